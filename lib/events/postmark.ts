/**
 * Postmark webhooks: one JSON record per request, no payload signature. Authenticity comes from
 * HTTP Basic credentials put in the webhook URL (https://user:pass@host/…), compared in
 * constant time.
 */
import {
	basicAuthMatches,
	type CommonVerifyOptions,
	type IgnoredEvent,
	isRecord,
	malformed,
	parseJsonBody,
	readBasicAuth,
	requireSecret,
	runVerifier,
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
	headerListToBag,
	isoFromDateString,
	normaliseMessageId,
	requireRecipient,
	textOrNull,
} from './normalise';
import type { DeliveryEventKind, NormalisedEvent } from './types';

export interface PostmarkConfig extends CommonVerifyOptions {
	username: string;
	password: string;
}

/**
 * Postmark bounce `Type`s: their severity, and the reason (Sisimai's names) where the type names
 * one; null lets the status and text decide (a `HardBounce` is often a block in disguise).
 * `ManuallyDeactivated` and `Unconfirmed` are Postmark's own holds, not the receiver's verdict.
 */
const POSTMARK_BOUNCES: Record<string, { severity: BounceSeverity; reason: FailureReason | null }> = {
	HardBounce: { severity: 'permanent', reason: null },
	BadEmailAddress: { severity: 'permanent', reason: 'userunknown' },
	ManuallyDeactivated: { severity: 'permanent', reason: 'onhold' },
	Unconfirmed: { severity: 'permanent', reason: 'onhold' },
	SoftBounce: { severity: 'transient', reason: null },
	Transient: { severity: 'transient', reason: null },
	DnsError: { severity: 'transient', reason: 'networkerror' },
	Blocked: { severity: 'transient', reason: 'blocked' },
	SpamNotification: { severity: 'transient', reason: 'spamdetected' },
	VirusNotification: { severity: 'transient', reason: 'virusdetected' },
	DMARCPolicy: { severity: 'permanent', reason: 'authfailure' },
	Unknown: { severity: null, reason: null },
};

function bounceKind(type: unknown): DeliveryEventKind | null {
	if (typeof type !== 'string') return null;
	if (type in POSTMARK_BOUNCES) return 'soft'; // the reason rules decide (parsePostmarkRecord)
	if (type === 'SpamComplaint') return 'complaint';
	if (type === 'Unsubscribe') return 'unsubscribe';
	// AutoResponder, AddressChange, SMTPApiError, … say nothing about the address.
	return null;
}

export function verifyPostmarkRequest(
	request: WebhookRequest,
	config: PostmarkConfig,
): Promise<VerifyResult> {
	return runVerifier(request, config, () => {
		const expected = {
			username: requireSecret(config.username, 'Postmark webhook username'),
			password: requireSecret(config.password, 'Postmark webhook password'),
		};
		const given = readBasicAuth(request);
		if (!given) throw new VerifyAbort(401, 'Missing HTTP Basic credentials');
		if (!basicAuthMatches(given, expected))
			throw new VerifyAbort(401, 'Wrong HTTP Basic credentials');

		const body = parseJsonBody(request.rawBody);
		const records = Array.isArray(body) ? body : [body];
		const events: NormalisedEvent[] = [];
		const ignored: IgnoredEvent[] = [];
		records.forEach((record, index) => {
			const parsed = parsePostmarkRecord(record, index, records.length > 1, config);
			if ('ignored' in parsed) ignored.push(parsed.ignored);
			else events.push(parsed.event);
		});
		return succeed(events, ignored);
	});
}

type Parsed = { event: NormalisedEvent } | { ignored: IgnoredEvent };

// Long: one switch over Postmark record types choosing fields, then a single shared mapping to the event.
function parsePostmarkRecord(
	record: unknown,
	index: number,
	batched: boolean,
	config: PostmarkConfig,
): Parsed {
	const where = batched ? `records[${index}]` : 'record';
	if (!isRecord(record)) throw malformed(`${where} is not an object`);
	const recordType = typeof record.RecordType === 'string' ? record.RecordType : '';
	let kind: DeliveryEventKind | null = null;
	let recipientField = 'Recipient';
	let timeField = 'ReceivedAt';
	switch (recordType) {
		case 'Bounce':
			kind = bounceKind(record.Type);
			recipientField = 'Email';
			timeField = 'BouncedAt';
			break;
		case 'SpamComplaint':
			kind = 'complaint';
			recipientField = 'Email';
			timeField = 'BouncedAt';
			break;
		case 'Delivery':
			kind = 'delivered';
			timeField = 'DeliveredAt';
			break;
		case 'Open':
			kind = 'open';
			break;
		case 'Click':
			kind = 'click';
			break;
		case 'SubscriptionChange':
			// Only a stop matters here; a reactivation needs the subscriber's own consent.
			kind = record.SuppressSending === true ? 'unsubscribe' : null;
			timeField = 'ChangedAt';
			break;
	}
	if (!kind) {
		const type = recordType === 'Bounce' ? `Bounce/${String(record.Type ?? '')}` : recordType;
		return { ignored: { index, type, reason: 'not a delivery outcome' } };
	}
	const recipient = requireRecipient(
		record[recipientField] ?? record.Email ?? record.Recipient,
		where,
		recipientField,
	);
	const occurredAt = isoFromDateString(record[timeField]);
	if (!occurredAt) throw malformed(`${where}: "${timeField}" is missing or not a date`);
	const messageId = normaliseMessageId(record.MessageID);
	const url = typeof record.OriginalLink === 'string' ? record.OriginalLink : null;
	// Bounces carry their own ID; other records are keyed by message, type and time (retry-stable).
	const eventId =
		record.ID !== undefined && record.ID !== null && record.ID !== ''
			? `${recordType}:${String(record.ID)}`
			: [messageId ?? '', recordType, recipient, record[timeField], kind === 'click' ? url : '']
					.filter((part) => part !== '')
					.join(':');
	const details = textOrNull(record.Details);
	const description = textOrNull(record.Description);
	const smtpStatus = extractSmtpStatus(details, description);
	const stated = recordType === 'Bounce' ? POSTMARK_BOUNCES[String(record.Type)] : undefined;
	const bounce = stated
		? classifyBounceEvent({ statedReason: stated.reason, smtpStatus, diagnostic: details ?? description }, stated.severity)
		: null;
	return {
		event: buildEvent(
			{
				provider: 'postmark',
				eventId,
				messageId,
				recipient,
				kind: bounce?.kind ?? kind,
				reason: bounce?.reason,
				smtpStatus,
				diagnostic:
					details ??
					description ??
					(recordType === 'SubscriptionChange' ? textOrNull(record.SuppressionReason) : null),
				occurredAt,
				...findCorrelation(record.Metadata, headerListToBag(record.Headers, 'Name', 'Value')),
				url,
				raw: record,
			},
			config.includeRaw,
		),
	};
}
