/**
 * RFC 3464 delivery status notifications (bounce mail), posted raw (the whole RFC 5322 message)
 * by a mailbox poller. Authenticated with the generic HMAC signature header or a bearer token.
 *
 * The message is read by the bounce classifier (lib/bounce), so every format it knows is
 * accepted — standard DSNs (`multipart/report; report-type=delivery-status`), the plain-text
 * bounces of qmail, Exim, Gmail and others, ARF complaints — and each failure carries the
 * classifier's reason: only a dead address is `hard`; blocks, policy and full mailboxes are
 * `soft` (with the reason and kind in `raw`). Correlation headers come from the returned message.
 */
import { createHash } from 'node:crypto';

import { classifyBounce, type Classification, type ClassifiedRecipient } from '../bounce';

import {
	type CommonVerifyOptions,
	EventConfigError,
	getHeader,
	type IgnoredEvent,
	malformed,
	nowMs,
	readBearerToken,
	runVerifier,
	safeEqual,
	succeed,
	VerifyAbort,
	type VerifyResult,
	type WebhookRequest,
} from './common';
import { GENERIC_SIGNATURE_HEADER, verifyGenericSignature } from './generic';
import {
	buildEvent,
	extractSmtpStatus,
	findCorrelation,
	isoFromDateString,
	normaliseMessageId,
	normaliseRecipient,
	textOrNull,
} from './normalise';
import type { DeliveryEventKind, NormalisedEvent } from './types';

export interface DsnConfig extends CommonVerifyOptions {
	/** Secret(s) for the `X-Bulk-Mail-Signature` header (same scheme as the generic webhook). */
	secret?: string | string[];
	toleranceSeconds?: number;
	/** Or a shared token sent as `Authorization: Bearer …`. */
	bearerToken?: string;
}

export type HeaderFields = Record<string, string>;

/**
 * Parses an RFC 822-style field block (mail headers, DSN field groups): unfolds continuation
 * lines and lowercases names. The first occurrence of a repeated field wins.
 */
export function parseFieldBlock(block: string): HeaderFields {
	const fields: HeaderFields = {};
	let current: string | null = null;
	for (const line of block.split(/\r?\n/)) {
		if (/^[ \t]/.test(line) && current !== null) {
			if (!(current in fields)) continue;
			fields[current] += ` ${line.trim()}`;
			continue;
		}
		const colon = line.indexOf(':');
		if (colon <= 0) {
			current = null;
			continue;
		}
		const name = line.slice(0, colon).trim().toLowerCase();
		if (name in fields) {
			// Continuations of a repeated field must not extend the first one.
			current = `\u0000${name}`;
			continue;
		}
		current = name;
		fields[name] = line.slice(colon + 1).trim();
	}
	return fields;
}

/** Splits a `message/delivery-status` body into its per-message and per-recipient field groups. */
export function parseDeliveryStatus(text: string): {
	message: HeaderFields;
	recipients: HeaderFields[];
} {
	const blocks = text
		.replace(/^\s+/, '')
		.split(/\r?\n(?:[ \t]*\r?\n)+/)
		.map((block) => block.trim())
		.filter((block) => block.length > 0)
		.map(parseFieldBlock);
	const [message = {}, ...rest] = blocks;
	const recipients = rest.filter(
		(fields) => 'final-recipient' in fields || 'original-recipient' in fields,
	);
	return { message, recipients };
}

/** `rfc822; user@example.com` → `user@example.com` (the address type is dropped). */
function addressOf(value: string | undefined): string | null {
	if (!value) return null;
	const semicolon = value.indexOf(';');
	return normaliseRecipient(semicolon >= 0 ? value.slice(semicolon + 1) : value);
}

function checkDsnAuth(request: WebhookRequest, config: DsnConfig): void {
	const secrets = Array.isArray(config.secret)
		? config.secret
		: config.secret
			? [config.secret]
			: [];
	const signatureConfigured = secrets.some((secret) => typeof secret === 'string' && secret !== '');
	const bearerConfigured = typeof config.bearerToken === 'string' && config.bearerToken !== '';
	if (!signatureConfigured && !bearerConfigured) {
		throw new EventConfigError('DSN endpoint needs a signing secret or a bearer token');
	}
	if (signatureConfigured && getHeader(request, GENERIC_SIGNATURE_HEADER) !== undefined) {
		verifyGenericSignature(request, config);
		return;
	}
	const bearer = readBearerToken(request);
	if (bearerConfigured && bearer !== null) {
		if (!safeEqual(bearer, config.bearerToken as string))
			throw new VerifyAbort(401, 'Wrong bearer token');
		return;
	}
	throw new VerifyAbort(
		401,
		signatureConfigured && bearerConfigured
			? `Missing ${GENERIC_SIGNATURE_HEADER} header or bearer token`
			: signatureConfigured
				? `Missing ${GENERIC_SIGNATURE_HEADER} header`
				: 'Missing bearer token',
	);
}

export function verifyDsnRequest(
	request: WebhookRequest,
	config: DsnConfig,
): Promise<VerifyResult> {
	return runVerifier(request, config, async () => {
		checkDsnAuth(request, config);
		return parseDsn(classifyBounce(request.rawBody), request.rawBody, config);
	});
}

/** The webhook's event kind for a classified failure: never `hard` unless the address is dead. */
/** The classifier's kind as it is: a sender-side refusal stays `sender` (never held against the address). */
function eventKind(recipient: ClassifiedRecipient): DeliveryEventKind {
	return recipient.kind;
}

/**
 * Turns one classified message into events. Standard reports keep their order and dates (the
 * per-recipient blocks); other bounce formats (qmail, Exim, Gmail, …) and ARF complaints, which
 * have no such part, get one event per failed recipient dated by the bounce itself.
 */
function parseDsn(result: Classification, rawBody: Buffer, config: DsnConfig): VerifyResult {
	if (result.type === 'not-bounce' || result.type === 'auto-reply') {
		const why = result.type === 'auto-reply' ? 'an automatic reply, not a bounce' : (result.note ?? 'not a bounce');
		throw malformed(`Not a delivery status notification: no message/delivery-status part and no known bounce format (${why})`);
	}
	if (result.report && result.report.recipients.length === 0 && result.type !== 'complaint') {
		throw malformed('Delivery status part has no per-recipient block with a Final-Recipient field');
	}
	const original = result.original?.headers ?? {};
	const correlation = findCorrelation(original);
	const originalMessageId = normaliseMessageId(result.original?.messageId ?? null);
	const dsnMessageId = normaliseMessageId(result.messageId ?? null);
	const idBase = dsnMessageId ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
	const fallbackTime =
		isoFromDateString(result.report?.message['arrival-date']) ??
		isoFromDateString(result.date ?? null) ??
		new Date(nowMs(config)).toISOString();

	const failures = new Map(result.recipients.map((recipient) => [recipient.address.toLowerCase(), recipient]));
	const outcomes = new Map((result.outcomes ?? []).map((outcome) => [outcome.address.toLowerCase(), outcome]));
	// Report order when there is a report; else the classifier's order.
	const blocks: Array<{ address: string; fields: HeaderFields | null }> = result.report
		? result.report.recipients.map((fields) => ({ address: addressOf(fields['final-recipient']) ?? addressOf(fields['original-recipient']) ?? '', fields }))
		: result.recipients.map((recipient) => ({ address: recipient.address, fields: null }));
	for (const recipient of result.recipients) {
		if (!blocks.some((block) => block.address.toLowerCase() === recipient.address.toLowerCase())) blocks.push({ address: recipient.address, fields: null });
	}

	const events: NormalisedEvent[] = [];
	const ignored: IgnoredEvent[] = [];
	const seenRecipients = new Set<string>();
	blocks.forEach(({ address, fields }, index) => {
		if (!address) throw malformed(`Recipient block ${index + 1}: Final-Recipient is not an e-mail address`);
		const key = address.toLowerCase();
		const failure = failures.get(key);
		const outcome = outcomes.get(key);
		const kind: DeliveryEventKind | null = failure
			? result.type === 'delayed' ? 'deferred' : eventKind(failure)
			: outcome?.action === 'delayed' ? 'deferred' : outcome?.action === 'delivered' ? 'delivered' : null;
		if (!kind) {
			ignored.push({ index, type: outcome?.action ?? 'unknown', reason: 'not a delivery outcome' });
			return;
		}
		// Stable across re-posts of the same DSN; the index only separates repeated recipients.
		let eventId = `${idBase}:${address}`;
		if (seenRecipients.has(key)) eventId += `:${index}`;
		seenRecipients.add(key);
		const diagnostic = failure?.diagnostic ?? outcome?.diagnostic ?? null;
		events.push(
			buildEvent(
				{
					provider: 'dsn',
					eventId,
					messageId: originalMessageId,
					recipient: normaliseRecipient(address) ?? address,
					kind,
					reason: kind === 'deferred' ? null : (failure?.reason ?? null),
					smtpStatus: extractSmtpStatus(failure?.status ?? outcome?.status ?? null, diagnostic) ?? failure?.replyCode ?? null,
					diagnostic: textOrNull(diagnostic) ?? textOrNull(fields?.status),
					occurredAt: isoFromDateString(fields?.['last-attempt-date']) ?? fallbackTime,
					...correlation,
					raw: { message: result.report?.message ?? {}, recipient: fields ?? {}, original, reason: failure?.reason ?? null, bounceKind: failure?.kind ?? null },
				},
				config.includeRaw,
			),
		);
	});
	return succeed(events, ignored);
}
