/**
 * Our own signed JSON format, for any sender that is not one of the supported ESPs (an MTA log
 * shipper, a custom script, another n8n workflow).
 *
 *   POST  X-Bulk-Mail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + rawBody)>
 *   { "events": [{ "id", "type" | "kind", "email" | "recipient", "messageId"?, "campaignId"?,
 *                  "subscriberId"?, "status"?, "diagnostic"?, "reason"?, "occurredAt"?, "url"? }] }
 *   (or one event object on its own)
 *
 * A bounce (`bounce`, `hard`, `soft`, `sender`) goes through the shared reason rules: `reason`
 * (a Sisimai reason name), `status` and `diagnostic` decide its kind. Only when they say nothing
 * is the poster's `hard`/`soft`/`sender` taken at its word (reason `undefined`).
 */
import {
	checkFreshSeconds,
	type CommonVerifyOptions,
	EventConfigError,
	getHeader,
	hmacSha256,
	isRecord,
	malformed,
	nowMs,
	parseJsonBody,
	runVerifier,
	safeEqualHex,
	succeed,
	VerifyAbort,
	type VerifyResult,
	type WebhookRequest,
} from './common';
import { isFailureReason, type FailureKind, type FailureReason } from '../bounce';
import {
	buildEvent,
	classifyBounceEvent,
	extractSmtpStatus,
	isoFromDateString,
	isoFromSeconds,
	normaliseMessageId,
	requireRecipient,
	statusClass,
	textOrNull,
} from './normalise';
import type { DeliveryEventKind, NormalisedEvent } from './types';

export const GENERIC_SIGNATURE_HEADER = 'X-Bulk-Mail-Signature';
export const DEFAULT_GENERIC_TOLERANCE_SECONDS = 300;

export interface GenericConfig extends CommonVerifyOptions {
	/** Shared secret; several during a rotation (any one may sign). */
	secret: string | string[];
	toleranceSeconds?: number;
}

const KINDS: readonly DeliveryEventKind[] = [
	'hard',
	'soft',
	'sender',
	'complaint',
	'unsubscribe',
	'delivered',
	'deferred',
	'open',
	'click',
];

/** Header value for a body: `t=<time>,v1=<hex>`. `time` is Unix seconds (default now). */
export function signGenericPayload(
	secret: string,
	body: string | Buffer,
	time: number = Math.floor(Date.now() / 1000),
): string {
	const timestamp = String(Math.floor(time));
	const payload = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), Buffer.from(body)]);
	return `t=${timestamp},v1=${hmacSha256(secret, payload).toString('hex')}`;
}

function secretsOf(config: { secret?: string | string[] }): string[] {
	const list = Array.isArray(config.secret) ? config.secret : [config.secret];
	const secrets = list.filter(
		(entry): entry is string => typeof entry === 'string' && entry.length > 0,
	);
	if (secrets.length === 0)
		throw new EventConfigError('Generic webhook signing secret is not configured');
	return secrets;
}

/**
 * Checks `X-Bulk-Mail-Signature` against the raw body; aborts with 401 when it is missing,
 * malformed, stale or matches no secret. Shared with the DSN endpoint.
 */
export function verifyGenericSignature(
	request: WebhookRequest,
	config: { secret?: string | string[]; toleranceSeconds?: number } & CommonVerifyOptions,
): void {
	const secrets = secretsOf(config);
	const header = getHeader(request, GENERIC_SIGNATURE_HEADER);
	if (!header) throw new VerifyAbort(401, `Missing ${GENERIC_SIGNATURE_HEADER} header`);
	let timestamp: string | undefined;
	const signatures: string[] = [];
	for (const part of header.split(',')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		const key = part.slice(0, eq).trim();
		const value = part.slice(eq + 1).trim();
		if (key === 't') timestamp = value;
		else if (key === 'v1') signatures.push(value);
	}
	if (timestamp === undefined || signatures.length === 0) {
		throw new VerifyAbort(401, `${GENERIC_SIGNATURE_HEADER} must look like t=<unix>,v1=<hex>`);
	}
	checkFreshSeconds(
		timestamp,
		config.toleranceSeconds ?? DEFAULT_GENERIC_TOLERANCE_SECONDS,
		config,
		'Signature timestamp',
	);
	const signed = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), request.rawBody]);
	let matched = false;
	for (const secret of secrets) {
		const expected = hmacSha256(secret, signed);
		// No early exit: every candidate is compared, whichever matches.
		for (const signature of signatures) matched = safeEqualHex(signature, expected) || matched;
	}
	if (!matched) throw new VerifyAbort(401, 'Signature does not match the body');
}

export function verifyGenericRequest(
	request: WebhookRequest,
	config: GenericConfig,
): Promise<VerifyResult> {
	return runVerifier(request, config, () => {
		verifyGenericSignature(request, config);
		const body = parseJsonBody(request.rawBody);
		let list: unknown[];
		if (isRecord(body) && 'events' in body) {
			if (!Array.isArray(body.events)) throw malformed('"events" must be an array');
			list = body.events;
		} else {
			list = Array.isArray(body) ? body : [body];
		}
		const receivedAt = new Date(nowMs(config)).toISOString();
		const events = list.map((record, index) =>
			parseGenericEvent(record, index, receivedAt, config),
		);
		return succeed(events);
	});
}

function parseGenericEvent(
	record: unknown,
	index: number,
	receivedAt: string,
	config: GenericConfig,
): NormalisedEvent {
	const where = `events[${index}]`;
	if (!isRecord(record)) throw malformed(`${where} is not an object`);
	const id = typeof record.id === 'number' ? String(record.id) : record.id;
	if (typeof id !== 'string' || id.trim() === '') throw malformed(`${where}: "id" is required`);
	const recipient = requireRecipient(record.email ?? record.recipient, where, 'email');
	const smtpStatus = extractSmtpStatus(record.status, record.diagnostic);
	const stated = genericKind(record.kind ?? record.type, smtpStatus, where);
	const diagnostic = textOrNull(record.diagnostic);
	const bounce = isBounceKind(stated) ? genericBounce(record, stated, smtpStatus, diagnostic, where) : null;
	const kind = bounce?.kind ?? stated;
	let occurredAt = receivedAt;
	if (record.occurredAt !== undefined && record.occurredAt !== null) {
		const parsed =
			typeof record.occurredAt === 'number'
				? isoFromSeconds(record.occurredAt)
				: isoFromDateString(record.occurredAt);
		if (!parsed) {
			throw malformed(`${where}: "occurredAt" must be an ISO 8601 date or Unix seconds`);
		}
		occurredAt = parsed;
	}
	return buildEvent(
		{
			provider: 'generic',
			eventId: id.trim(),
			messageId: normaliseMessageId(record.messageId),
			recipient,
			kind,
			reason: bounce?.reason,
			smtpStatus,
			diagnostic,
			occurredAt,
			campaignId: textOrNull(record.campaignId, 200),
			subscriberId: textOrNull(record.subscriberId, 200),
			url: typeof record.url === 'string' ? record.url : null,
			raw: record,
		},
		config.includeRaw,
	);
}

function isBounceKind(kind: DeliveryEventKind): kind is FailureKind {
	return kind === 'hard' || kind === 'soft' || kind === 'sender';
}

function genericBounce(
	record: Record<string, unknown>,
	stated: FailureKind,
	smtpStatus: string | null,
	diagnostic: string | null,
	where: string,
): { kind: FailureKind; reason: FailureReason } {
	let statedReason: FailureReason | null = null;
	if (record.reason !== undefined && record.reason !== null) {
		if (typeof record.reason !== 'string' || !isFailureReason(record.reason)) {
			throw malformed(`${where}: "reason" must be one of the reason names in the docs (e.g. userunknown, mailboxfull, blocked)`);
		}
		statedReason = record.reason;
	}
	const severity = stated === 'hard' ? 'permanent' : stated === 'soft' ? 'transient' : null;
	const verdict = classifyBounceEvent({ statedReason, smtpStatus, diagnostic }, severity);
	return verdict.reason === 'undefined' ? { kind: stated, reason: 'undefined' } : verdict;
}

function genericKind(value: unknown, smtpStatus: string | null, where: string): DeliveryEventKind {
	if (typeof value !== 'string') throw malformed(`${where}: "type" is required`);
	const name = value.trim().toLowerCase();
	if ((KINDS as readonly string[]).includes(name)) return name as DeliveryEventKind;
	// A plain "bounce" is classified by its status: 5.x.x permanent, 4.x.x transient.
	if (name === 'bounce') {
		const statusKind = statusClass(smtpStatus);
		if (statusKind === 5) return 'hard';
		if (statusKind === 4) return 'soft';
		throw malformed(`${where}: a "bounce" needs a 4.x.x or 5.x.x "status" (or use type hard/soft)`);
	}
	throw malformed(
		`${where}: unknown type "${name.slice(0, 40)}" (use one of ${KINDS.join(', ')}, bounce)`,
	);
}
