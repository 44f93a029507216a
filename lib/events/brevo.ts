/**
 * Brevo (ex-Sendinblue) webhooks: one JSON event per request, or an array when batched. No
 * payload signature: the webhook is created with a Bearer token header or Basic credentials in
 * its URL, and either is compared in constant time.
 */
import { createHash } from 'node:crypto';

import {
	basicAuthMatches,
	type CommonVerifyOptions,
	EventConfigError,
	type IgnoredEvent,
	isRecord,
	malformed,
	parseJsonBody,
	readBasicAuth,
	readBearerToken,
	runVerifier,
	safeEqual,
	succeed,
	VerifyAbort,
	type VerifyResult,
	type WebhookRequest,
} from './common';
import type { FailureReason } from '../bounce';
import {
	type BounceSeverity,
	buildEvent,
	classifyBounceEvent,
	extractSmtpStatus,
	findCorrelation,
	isoFromMillis,
	isoFromSeconds,
	normaliseMessageId,
	requireRecipient,
	textOrNull,
} from './normalise';
import type { DeliveryEventKind, NormalisedEvent } from './types';

export interface BrevoConfig extends CommonVerifyOptions {
	/** Token Brevo sends as `Authorization: Bearer …`. */
	bearerToken?: string;
	/** Basic credentials from the webhook URL. Either these or `bearerToken` (or both). */
	username?: string;
	password?: string;
}

/**
 * Brevo's bounce events: severity, and the reason (Sisimai's names) where the event names one.
 * `blocked` is Brevo declining to send to a contact on its own block list — its hold, not the
 * receiver's verdict; a hard or soft bounce lets its `reason` text decide.
 */
const BREVO_BOUNCES: Record<string, { severity: BounceSeverity; reason: FailureReason | null }> = {
	hard_bounce: { severity: 'permanent', reason: null },
	hardbounce: { severity: 'permanent', reason: null },
	invalid_email: { severity: 'permanent', reason: 'userunknown' },
	invalidemail: { severity: 'permanent', reason: 'userunknown' },
	invalid: { severity: 'permanent', reason: 'userunknown' },
	soft_bounce: { severity: 'transient', reason: null },
	softbounce: { severity: 'transient', reason: null },
	blocked: { severity: 'permanent', reason: 'onhold' },
};

/** Snake-case names from Brevo's payloads and the camelCase ones n8n's Brevo trigger registers. */
const BREVO_KINDS: Record<string, DeliveryEventKind> = {
	...Object.fromEntries(Object.keys(BREVO_BOUNCES).map((name) => [name, 'soft' as const])),
	deferred: 'deferred',
	spam: 'complaint',
	complaint: 'complaint',
	unsubscribe: 'unsubscribe',
	unsubscribed: 'unsubscribe',
	delivered: 'delivered',
	opened: 'open',
	unique_opened: 'open',
	uniqueopened: 'open',
	proxy_open: 'open',
	unique_proxy_open: 'open',
	click: 'click',
	clicked: 'click',
};

function checkBrevoAuth(request: WebhookRequest, config: BrevoConfig): void {
	const bearerConfigured = typeof config.bearerToken === 'string' && config.bearerToken !== '';
	const basicConfigured =
		typeof config.username === 'string' &&
		config.username !== '' &&
		typeof config.password === 'string' &&
		config.password !== '';
	if (!bearerConfigured && !basicConfigured) {
		throw new EventConfigError('Brevo webhook needs a bearer token or a username and password');
	}
	const bearer = readBearerToken(request);
	if (bearer !== null && bearerConfigured) {
		if (!safeEqual(bearer, config.bearerToken as string))
			throw new VerifyAbort(401, 'Wrong bearer token');
		return;
	}
	const basic = readBasicAuth(request);
	if (basic !== null && basicConfigured) {
		const expected = { username: config.username as string, password: config.password as string };
		if (!basicAuthMatches(basic, expected))
			throw new VerifyAbort(401, 'Wrong HTTP Basic credentials');
		return;
	}
	throw new VerifyAbort(
		401,
		bearerConfigured && basicConfigured
			? 'Missing bearer token or HTTP Basic credentials'
			: bearerConfigured
				? 'Missing bearer token'
				: 'Missing HTTP Basic credentials',
	);
}

export function verifyBrevoRequest(
	request: WebhookRequest,
	config: BrevoConfig,
): Promise<VerifyResult> {
	return runVerifier(request, config, () => {
		checkBrevoAuth(request, config);
		const body = parseJsonBody(request.rawBody);
		const records = Array.isArray(body) ? body : [body];
		const events: NormalisedEvent[] = [];
		const ignored: IgnoredEvent[] = [];
		records.forEach((record, index) => {
			const where = Array.isArray(body) ? `events[${index}]` : 'event';
			if (!isRecord(record)) throw malformed(`${where} is not an object`);
			const name = typeof record.event === 'string' ? record.event : '';
			const kind = BREVO_KINDS[name.toLowerCase()];
			if (!kind) {
				ignored.push({ index, type: name, reason: 'not a delivery outcome' });
				return;
			}
			events.push(parseBrevoEvent(record, kind, name, where, config));
		});
		return succeed(events, ignored);
	});
}

function parseBrevoEvent(
	record: Record<string, unknown>,
	kind: DeliveryEventKind,
	name: string,
	where: string,
	config: BrevoConfig,
): NormalisedEvent {
	const recipient = requireRecipient(record.email, where, 'email');
	// ts_epoch is milliseconds in UTC; `date` is in the account's time zone, so it is not used.
	const occurredAt =
		isoFromMillis(record.ts_epoch) ?? isoFromSeconds(record.ts_event) ?? isoFromSeconds(record.ts);
	if (!occurredAt) throw malformed(`${where}: "ts_epoch" (or "ts_event") is missing`);
	const messageId = normaliseMessageId(record['message-id'] ?? record.message_id);
	const url = [record.link, record.URL, record.url].find((value) => typeof value === 'string') as
		string | undefined;
	const source =
		messageId ??
		(record.camp_id !== undefined ? `camp:${String(record.camp_id)}` : null) ??
		(record.id !== undefined ? `id:${String(record.id)}` : null);
	const timeKey = String(record.ts_epoch ?? record.ts_event ?? record.ts);
	const eventId = source
		? [source, name, timeKey, recipient, kind === 'click' ? (url ?? '') : '']
				.filter(Boolean)
				.join(':')
		: createHash('sha256').update(JSON.stringify(record)).digest('hex');
	const reason = textOrNull(record.reason);
	const smtpStatus = extractSmtpStatus(reason);
	const stated = BREVO_BOUNCES[name.toLowerCase()];
	const bounce = stated
		? classifyBounceEvent({ statedReason: stated.reason, smtpStatus, diagnostic: reason }, stated.severity)
		: null;
	return buildEvent(
		{
			provider: 'brevo',
			eventId,
			messageId,
			recipient,
			kind: bounce?.kind ?? kind,
			reason: bounce?.reason,
			smtpStatus,
			diagnostic: reason,
			occurredAt,
			...findCorrelation(parseCustomHeader(record['X-Mailin-custom']), record.headers, record),
			url: url ?? null,
			raw: record,
		},
		config.includeRaw,
	);
}

/** `X-Mailin-custom` carries whatever the sender put there; we read it when it is a JSON object. */
function parseCustomHeader(value: unknown): Record<string, unknown> | null {
	if (isRecord(value)) return value;
	if (typeof value !== 'string' || !value.trim().startsWith('{')) return null;
	try {
		const parsed = JSON.parse(value);
		return isRecord(parsed) ? parsed : null;
	} catch {
		return null;
	}
}
