import { classifyFailure, type BounceReason, type FailureKind, type FailureReason } from '../bounce';
import {
	CORRELATION_HEADERS,
	type DeliveryEventKind,
	type EventProvider,
	type NormalisedEvent,
} from './types';
import { isRecord, malformed } from './common';

/**
 * Trims an address, drops surrounding `<>` and lowercases the domain only (the local part is
 * case-sensitive in principle). Null when it is not a plausible `local@domain` address.
 */
export function normaliseRecipient(value: unknown): string | null {
	if (typeof value !== 'string') return null;
	let address = value.trim();
	if (address.startsWith('<') && address.endsWith('>')) address = address.slice(1, -1).trim();
	if (address.length === 0 || address.length > 320 || /[\s<>]/.test(address)) return null;
	if (/\p{Cc}/u.test(address)) return null;
	const at = address.lastIndexOf('@');
	if (at <= 0 || at === address.length - 1) return null;
	return `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

/** Message ids without the angle brackets of the header form, so all providers compare alike. */
export function normaliseMessageId(value: unknown): string | null {
	if (typeof value === 'number') return String(value);
	if (typeof value !== 'string') return null;
	let id = value.trim();
	if (id.startsWith('<') && id.endsWith('>')) id = id.slice(1, -1).trim();
	return id.length > 0 ? id : null;
}

const ENHANCED_STATUS = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/;
const REPLY_CODE = /(?:^|[^\d.])([245]\d\d)(?:[\s-]|$)/;

/**
 * The RFC 3463 enhanced status code (`5.1.1`) in the first text that has one; failing that the
 * three-digit SMTP reply code (`550`).
 */
export function extractSmtpStatus(...texts: unknown[]): string | null {
	for (const text of texts) {
		if (typeof text !== 'string' && typeof text !== 'number') continue;
		const match = ENHANCED_STATUS.exec(String(text));
		if (match) return `${match[1]}.${Number(match[2])}.${Number(match[3])}`;
	}
	for (const text of texts) {
		if (typeof text !== 'string' && typeof text !== 'number') continue;
		const match = REPLY_CODE.exec(String(text));
		if (match) return match[1];
	}
	return null;
}

/** 2 success, 4 transient, 5 permanent (from `5.1.1` or `550`); null when unknown. */
export function statusClass(status: string | null): 2 | 4 | 5 | null {
	const first = status?.trim().charAt(0);
	return first === '2' ? 2 : first === '4' ? 4 : first === '5' ? 5 : null;
}

/** ISO 8601 UTC from Unix seconds (fractions allowed); null when not a usable number. */
export function isoFromSeconds(value: unknown): string | null {
	const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return null;
	return isoFromMillis(seconds * 1000);
}

export function isoFromMillis(value: unknown): string | null {
	const millis = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof millis !== 'number' || !Number.isFinite(millis) || millis <= 0) return null;
	const date = new Date(Math.round(millis));
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** ISO 8601 UTC from a date string (ISO 8601 or RFC 5322); null when unparsable. */
export function isoFromDateString(value: unknown): string | null {
	if (typeof value !== 'string' || value.trim() === '') return null;
	const date = new Date(value.trim());
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export interface Correlation {
	campaignId: string | null;
	subscriberId: string | null;
}

const CAMPAIGN_KEYS = [CORRELATION_HEADERS.campaignId.toLowerCase(), 'campaignid'];
const SUBSCRIBER_KEYS = [CORRELATION_HEADERS.subscriberId.toLowerCase(), 'subscriberid'];

function correlationValue(value: unknown): string | null {
	const single = Array.isArray(value) ? value[0] : value;
	if (typeof single === 'number' && Number.isFinite(single)) return String(single);
	if (typeof single !== 'string') return null;
	const trimmed = single.trim();
	return trimmed.length > 0 && trimmed.length <= 200 ? trimmed : null;
}

/**
 * Campaign and subscriber ids from key/value bags (custom args, metadata, user variables,
 * header maps), matched case-insensitively on the CORRELATION_HEADERS names and on plain
 * `campaignId`/`subscriberId`. The first bag that has a value wins.
 */
export function findCorrelation(...bags: unknown[]): Correlation {
	const found: Correlation = { campaignId: null, subscriberId: null };
	for (const bag of bags) {
		if (!isRecord(bag)) continue;
		for (const [key, value] of Object.entries(bag)) {
			const name = key.toLowerCase();
			if (found.campaignId === null && CAMPAIGN_KEYS.includes(name)) {
				found.campaignId = correlationValue(value);
			} else if (found.subscriberId === null && SUBSCRIBER_KEYS.includes(name)) {
				found.subscriberId = correlationValue(value);
			}
		}
	}
	return found;
}

/** Turns `[{ name, value }]` header lists (SES, Postmark) into a bag for `findCorrelation`. */
export function headerListToBag(
	list: unknown,
	nameKey = 'name',
	valueKey = 'value',
): Record<string, unknown> {
	const bag: Record<string, unknown> = {};
	if (!Array.isArray(list)) return bag;
	for (const entry of list) {
		if (!isRecord(entry) || typeof entry[nameKey] !== 'string') continue;
		const name = (entry[nameKey] as string).toLowerCase();
		if (!(name in bag)) bag[name] = entry[valueKey];
	}
	return bag;
}

export function textOrNull(value: unknown, maxLength = 2000): string | null {
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	if (typeof value !== 'string') return null;
	const text = value.replace(/\s+/g, ' ').trim();
	if (text.length === 0) return null;
	return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** What the provider says of a bounce's permanence; null when it does not say. */
export type BounceSeverity = 'permanent' | 'transient' | null;

export interface BounceEvidence {
	/** The provider's own bounce sub-type, mapped to Sisimai's reason names, when it states one. */
	statedReason?: FailureReason | null;
	/** Enhanced status (`5.1.1`) or reply code (`550`), as extractSmtpStatus found it. */
	smtpStatus?: string | null;
	diagnostic?: string | null;
}

/**
 * A provider's bounce through the shared reason rules (lib/bounce classifyFailure), the same
 * rules the send path and returned mail use. A bounce the provider calls transient is never
 * hard: the receiving side itself said it may recover.
 */
export function classifyBounceEvent(
	evidence: BounceEvidence,
	severity: BounceSeverity,
): { kind: FailureKind; reason: FailureReason } {
	const status = evidence.smtpStatus && /^\d\.\d+\.\d+$/.test(evidence.smtpStatus) ? evidence.smtpStatus : null;
	const code = evidence.smtpStatus && /^\d{3}$/.test(evidence.smtpStatus) ? evidence.smtpStatus : null;
	const replyCode = code ?? (evidence.diagnostic ? (REPLY_CODE.exec(evidence.diagnostic)?.[1] ?? null) : null);
	const verdict = classifyFailure({
		status,
		replyCode,
		diagnostic: evidence.diagnostic ?? null,
		statedReason: evidence.statedReason ?? null,
	});
	return { kind: severity === 'transient' && verdict.kind === 'hard' ? 'soft' : verdict.kind, reason: verdict.reason };
}

export interface EventFields {
	provider: EventProvider;
	eventId: string;
	messageId?: string | null;
	recipient: string;
	kind: DeliveryEventKind;
	/** The bounce reason (from classifyBounceEvent); a complaint is `feedback` without saying. */
	reason?: BounceReason | null;
	smtpStatus?: string | null;
	diagnostic?: string | null;
	occurredAt: string;
	campaignId?: string | null;
	subscriberId?: string | null;
	url?: string | null;
	raw?: unknown;
}

export function buildEvent(fields: EventFields, includeRaw: boolean | undefined): NormalisedEvent {
	const event: NormalisedEvent = {
		provider: fields.provider,
		eventId: fields.eventId,
		messageId: fields.messageId ?? null,
		recipient: fields.recipient,
		kind: fields.kind,
		reason: fields.reason ?? (fields.kind === 'complaint' ? 'feedback' : null),
		smtpStatus: fields.smtpStatus ?? null,
		diagnostic: fields.diagnostic ?? null,
		occurredAt: fields.occurredAt,
		campaignId: fields.campaignId ?? null,
		subscriberId: fields.subscriberId ?? null,
	};
	if (fields.kind === 'click') event.url = fields.url ?? null;
	if (includeRaw) event.raw = fields.raw;
	return event;
}

/** The recipient of record `index`, or a 400 naming the record and the field to fix. */
export function requireRecipient(value: unknown, where: string, field: string): string {
	const recipient = normaliseRecipient(value);
	if (!recipient) throw malformed(`${where}: "${field}" is missing or not an e-mail address`);
	return recipient;
}
