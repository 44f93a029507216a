/**
 * RFC 3464 delivery status notifications (bounce mail), posted raw (the whole RFC 5322 message)
 * by a mailbox poller. Authenticated with the generic HMAC signature header or a bearer token.
 *
 * A DSN is `multipart/report; report-type=delivery-status` with a human-readable part, a
 * `message/delivery-status` part (one per-message field block, then one block per recipient)
 * and, usually, the returned message or its headers, where our correlation headers are found.
 */
import { createHash } from 'node:crypto';

import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';

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
import type { FailureReason } from '../bounce';
import {
	buildEvent,
	classifyBounceEvent,
	extractSmtpStatus,
	findCorrelation,
	isoFromDateString,
	normaliseMessageId,
	normaliseRecipient,
	statusClass,
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

const STATUS_PART_TYPES = ['message/delivery-status', 'message/global-delivery-status'];
const ORIGINAL_PART_TYPES = [
	'message/rfc822',
	'text/rfc822-headers',
	'message/global',
	'message/global-headers',
];

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

/** `smtp; 550 5.1.1 …` → `550 5.1.1 …`. */
function diagnosticOf(value: string | undefined): string | null {
	if (!value) return null;
	return textOrNull(value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, ''));
}

function classify(
	action: string,
	smtpStatus: string | null,
	diagnostic: string | null,
): { kind: DeliveryEventKind; reason?: FailureReason } | null {
	const severity = statusClass(smtpStatus);
	const failure = () =>
		classifyBounceEvent({ smtpStatus, diagnostic }, severity === 5 ? 'permanent' : severity === 4 ? 'transient' : null);
	switch (action) {
		case 'failed':
			// without a status, the diagnostic decides (no evidence at all: reason undefined, soft)
			return failure();
		case 'delayed':
			return { kind: 'deferred' };
		case 'delivered':
			return { kind: 'delivered' };
		case 'relayed':
		case 'expanded':
			return null;
		default:
			return severity === 5 || severity === 4 ? failure() : null;
	}
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
		let mail: ParsedMail;
		try {
			mail = await simpleParser(request.rawBody, {
				keepDeliveryStatus: true,
				skipHtmlToText: true,
				skipTextToHtml: true,
				skipTextLinks: true,
				skipImageLinks: true,
			});
		} catch (error) {
			throw malformed(`Body is not a readable e-mail message (${(error as Error).message})`);
		}
		return parseDsn(mail, request.rawBody, config);
	});
}

function findPart(mail: ParsedMail, types: string[]): Attachment | undefined {
	return mail.attachments.find((part) => types.includes(part.contentType.toLowerCase()));
}

function parseDsn(mail: ParsedMail, rawBody: Buffer, config: DsnConfig): VerifyResult {
	const statusPart = findPart(mail, STATUS_PART_TYPES);
	if (!statusPart) {
		throw malformed('Not a delivery status notification: no message/delivery-status part found');
	}
	const report = parseDeliveryStatus(statusPart.content.toString('utf8'));
	if (report.recipients.length === 0) {
		throw malformed('Delivery status part has no per-recipient block with a Final-Recipient field');
	}
	const originalPart = findPart(mail, ORIGINAL_PART_TYPES);
	const original = originalPart
		? parseFieldBlock(headerSection(originalPart.content.toString('utf8')))
		: {};
	const correlation = findCorrelation(original);
	const originalMessageId = normaliseMessageId(original['message-id']);
	const dsnMessageId = normaliseMessageId(mail.messageId);
	const idBase = dsnMessageId ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
	const fallbackTime =
		isoFromDateString(report.message['arrival-date']) ??
		(mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null) ??
		new Date(nowMs(config)).toISOString();

	const events: NormalisedEvent[] = [];
	const ignored: IgnoredEvent[] = [];
	const seenRecipients = new Set<string>();
	report.recipients.forEach((fields, index) => {
		const recipient =
			addressOf(fields['final-recipient']) ?? addressOf(fields['original-recipient']);
		if (!recipient)
			throw malformed(`Recipient block ${index + 1}: Final-Recipient is not an e-mail address`);
		const action = (fields.action ?? '').toLowerCase().split(/[\s(]/)[0];
		const diagnostic = diagnosticOf(fields['diagnostic-code']);
		const smtpStatus = extractSmtpStatus(fields.status, diagnostic);
		const verdict = classify(action, smtpStatus, diagnostic);
		if (!verdict) {
			ignored.push({ index, type: action || 'unknown', reason: 'not a delivery outcome' });
			return;
		}
		// Stable across re-posts of the same DSN; the index only separates repeated recipients.
		let eventId = `${idBase}:${recipient}`;
		if (seenRecipients.has(recipient)) eventId += `:${index}`;
		seenRecipients.add(recipient);
		events.push(
			buildEvent(
				{
					provider: 'dsn',
					eventId,
					messageId: originalMessageId,
					recipient,
					kind: verdict.kind,
					reason: verdict.reason,
					smtpStatus,
					diagnostic: diagnostic ?? textOrNull(fields.status),
					occurredAt: isoFromDateString(fields['last-attempt-date']) ?? fallbackTime,
					...correlation,
					raw: { message: report.message, recipient: fields, original },
				},
				config.includeRaw,
			),
		);
	});
	return succeed(events, ignored);
}

/** The header section of a returned message (everything before the first blank line). */
function headerSection(text: string): string {
	const end = text.search(/\r?\n[ \t]*\r?\n/);
	return end >= 0 ? text.slice(0, end) : text;
}
