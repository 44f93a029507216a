/**
 * SendGrid (Twilio) Event Webhook: a JSON array of events, signed with ECDSA P-256/SHA-256 over
 * `timestamp + rawBody` (headers X-Twilio-Email-Event-Webhook-Signature / -Timestamp).
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

import {
	checkFreshSeconds,
	type CommonVerifyOptions,
	EventConfigError,
	getHeader,
	type IgnoredEvent,
	isRecord,
	malformed,
	parseJsonBody,
	runVerifier,
	succeed,
	VerifyAbort,
	type VerifyResult,
	type WebhookRequest,
} from './common';
import type { FailureKind, FailureReason } from '../bounce';
import {
	type BounceEvidence,
	type BounceSeverity,
	buildEvent,
	classifyBounceEvent,
	extractSmtpStatus,
	findCorrelation,
	isoFromSeconds,
	normaliseMessageId,
	requireRecipient,
	textOrNull,
} from './normalise';
import type { DeliveryEventKind, NormalisedEvent } from './types';

export const SENDGRID_SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const SENDGRID_TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';
export const DEFAULT_SENDGRID_TOLERANCE_SECONDS = 300;

export interface SendgridConfig extends CommonVerifyOptions {
	/** The verification key from SendGrid's settings: base64 DER (SPKI), or PEM. */
	publicKey: string;
	toleranceSeconds?: number;
}

const keyCache = new Map<string, KeyObject>();

/** Parses the configured key once; throws EventConfigError unless it is an EC P-256 public key. */
export function parseSendgridPublicKey(publicKey: string): KeyObject {
	if (typeof publicKey !== 'string' || publicKey.trim() === '') {
		throw new EventConfigError('SendGrid verification key is not configured');
	}
	const cached = keyCache.get(publicKey);
	if (cached) return cached;
	let key: KeyObject;
	try {
		const text = publicKey.trim();
		key = text.includes('-----BEGIN')
			? createPublicKey(text)
			: createPublicKey({
					key: Buffer.from(text.replace(/\s+/g, ''), 'base64'),
					format: 'der',
					type: 'spki',
				});
	} catch {
		throw new EventConfigError(
			'SendGrid verification key is not a valid base64 DER or PEM public key',
		);
	}
	if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
		throw new EventConfigError('SendGrid verification key must be an ECDSA P-256 public key');
	}
	if (keyCache.size > 100) keyCache.clear();
	keyCache.set(publicKey, key);
	return key;
}

export function verifySendgridRequest(
	request: WebhookRequest,
	config: SendgridConfig,
): Promise<VerifyResult> {
	return runVerifier(request, config, () => {
		const key = parseSendgridPublicKey(config.publicKey);
		const signature = getHeader(request, SENDGRID_SIGNATURE_HEADER);
		const timestamp = getHeader(request, SENDGRID_TIMESTAMP_HEADER);
		if (!signature || !timestamp) {
			throw new VerifyAbort(
				401,
				`Missing ${SENDGRID_SIGNATURE_HEADER} or ${SENDGRID_TIMESTAMP_HEADER} header`,
			);
		}
		checkFreshSeconds(
			timestamp,
			config.toleranceSeconds ?? DEFAULT_SENDGRID_TOLERANCE_SECONDS,
			config,
			'Webhook timestamp',
		);
		const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
		let valid = false;
		if (/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) {
			try {
				valid = verify(
					'sha256',
					signed,
					{ key, dsaEncoding: 'der' },
					Buffer.from(signature, 'base64'),
				);
			} catch {
				valid = false;
			}
		}
		if (!valid) throw new VerifyAbort(401, 'Signature does not match the body');

		const body = parseJsonBody(request.rawBody);
		const records = Array.isArray(body) ? body : [body];
		const events: NormalisedEvent[] = [];
		const ignored: IgnoredEvent[] = [];
		records.forEach((record, index) => {
			const event = parseSendgridEvent(record, index, config);
			if ('ignored' in event) ignored.push(event.ignored);
			else events.push(event.event);
		});
		return succeed(events, ignored);
	});
}

type Parsed = { event: NormalisedEvent } | { ignored: IgnoredEvent };

/** SendGrid's bounce classifications that name a reason (Sisimai's names); others let the text decide. */
const SENDGRID_CLASSIFICATION_REASONS: Record<string, FailureReason> = {
	'invalid address': 'userunknown',
	content: 'contenterror',
	reputation: 'badreputation',
	'frequency or volume too high': 'speeding',
	'mailbox unavailable': 'suspend',
};

/**
 * A bounce-like record's reason and severity. SendGrid's `bounce` is permanent and its `blocked`
 * (event, or bounce type) a temporary refusal of our mail. `dropped` is SendGrid declining to
 * send: an invalid address is hard; its own suppression lists say nothing new about the address.
 */
function sendgridBounce(record: Record<string, unknown>): BounceEvidence & { severity: BounceSeverity } {
	const classification = String(record.bounce_classification ?? '').toLowerCase();
	if (record.event === 'blocked' || (record.event === 'bounce' && record.type === 'blocked')) {
		return { statedReason: SENDGRID_CLASSIFICATION_REASONS[classification] ?? 'blocked', severity: 'transient' };
	}
	if (record.event === 'dropped') {
		const invalid = /^invalid$|invalid address/i.test(String(record.reason ?? ''));
		return { statedReason: invalid ? 'userunknown' : 'onhold', severity: 'permanent' };
	}
	return { statedReason: SENDGRID_CLASSIFICATION_REASONS[classification] ?? null, severity: 'permanent' };
}

function sendgridKind(record: Record<string, unknown>): DeliveryEventKind | null {
	switch (record.event) {
		case 'bounce':
		case 'blocked':
		case 'dropped':
			return 'soft'; // the reason rules decide (sendgridBounce)
		case 'deferred':
			return 'deferred';
		case 'spamreport':
			return 'complaint';
		case 'unsubscribe':
		case 'group_unsubscribe':
			return 'unsubscribe';
		case 'delivered':
			return 'delivered';
		case 'open':
			return 'open';
		case 'click':
			return 'click';
		default:
			return null;
	}
}

function parseSendgridEvent(record: unknown, index: number, config: SendgridConfig): Parsed {
	const where = `events[${index}]`;
	if (!isRecord(record)) throw malformed(`${where} is not an object`);
	const kind = sendgridKind(record);
	if (!kind) {
		const type = String(record.event ?? '');
		return { ignored: { index, type, reason: 'not a delivery outcome' } };
	}
	const recipient = requireRecipient(record.email, where, 'email');
	const occurredAt = isoFromSeconds(record.timestamp);
	if (!occurredAt) throw malformed(`${where}: "timestamp" must be Unix seconds`);
	const eventId =
		textOrNull(record.sg_event_id, 200) ??
		// Without sg_event_id, a hash of the record itself is stable across retries.
		createHash('sha256').update(JSON.stringify(record)).digest('hex');
	const diagnostic = textOrNull(record.reason) ?? textOrNull(record.response);
	const smtpStatus = extractSmtpStatus(record.status, record.reason, record.response);
	let bounce: { kind: FailureKind; reason: FailureReason } | null = null;
	if (kind === 'soft') {
		const { severity, ...evidence } = sendgridBounce(record);
		bounce = classifyBounceEvent({ ...evidence, smtpStatus, diagnostic }, severity);
	}
	return {
		event: buildEvent(
			{
				provider: 'sendgrid',
				eventId,
				messageId: normaliseMessageId(record.sg_message_id ?? record['smtp-id']),
				recipient,
				kind: bounce?.kind ?? kind,
				reason: bounce?.reason,
				smtpStatus,
				diagnostic,
				occurredAt,
				...findCorrelation(record, record.unique_args, record.custom_args),
				url: typeof record.url === 'string' ? record.url : null,
				raw: record,
			},
			config.includeRaw,
		),
	};
}
