/**
 * Mailgun webhooks: JSON `{ signature: { timestamp, token, signature }, "event-data": {…} }`,
 * signed with HMAC-SHA256(webhook signing key, timestamp + token) as hex. Tokens are remembered
 * so a captured request cannot be replayed within the timestamp window.
 */
import {
	checkFreshSeconds,
	type CommonVerifyOptions,
	hmacSha256,
	isRecord,
	malformed,
	parseJsonBody,
	requireSecret,
	runVerifier,
	safeEqualHex,
	succeed,
	VerifyAbort,
	type VerifyResult,
	type WebhookRequest,
} from './common';
import type { FailureReason } from '../bounce';
import {
	buildEvent,
	classifyBounceEvent,
	extractSmtpStatus,
	findCorrelation,
	isoFromSeconds,
	normaliseMessageId,
	requireRecipient,
	textOrNull,
} from './normalise';
import { MemoryReplayCache, type ReplayCache } from './replayCache';
import type { DeliveryEventKind } from './types';

export const DEFAULT_MAILGUN_TOLERANCE_SECONDS = 300;

export interface MailgunConfig extends CommonVerifyOptions {
	/** The "HTTP webhook signing key" from Mailgun's settings. */
	signingKey: string;
	toleranceSeconds?: number;
	/** Where tokens are remembered; defaults to one bounded in-memory cache per process. */
	replayCache?: ReplayCache;
}

/** Shared by every call that does not bring its own cache. */
const defaultReplayCache = new MemoryReplayCache();

/**
 * Mailgun's failure `reason`s that name one (Sisimai's names). `suppress-*`: Mailgun declined
 * to send to an address on its own lists, which says nothing new about the address; `espblock`:
 * the receiving provider blocked us; `old`: retried until it expired. `bounce` and `generic`
 * let the delivery status decide.
 */
const MAILGUN_REASONS: Record<string, FailureReason> = {
	'suppress-bounce': 'onhold',
	'suppress-unsubscribe': 'onhold',
	'suppress-complaint': 'onhold',
	espblock: 'blocked',
	old: 'expired',
};

function mailgunKind(eventData: Record<string, unknown>): DeliveryEventKind | null {
	switch (eventData.event) {
		case 'failed': {
			const severity = String(eventData.severity ?? '').toLowerCase();
			// the reason rules decide the kind (see below)
			return severity === 'permanent' || severity === 'temporary' ? 'soft' : null;
		}
		case 'complained':
			return 'complaint';
		case 'unsubscribed':
			return 'unsubscribe';
		case 'delivered':
			return 'delivered';
		case 'opened':
			return 'open';
		case 'clicked':
			return 'click';
		default:
			return null;
	}
}

// Long: verify-then-map of one payload kept top-down so the signature check visibly precedes any parsing.
export function verifyMailgunRequest(
	request: WebhookRequest,
	config: MailgunConfig,
): Promise<VerifyResult> {
	return runVerifier(request, config, async () => {
		const signingKey = requireSecret(config.signingKey, 'Mailgun webhook signing key');
		const body = parseJsonBody(request.rawBody);
		if (!isRecord(body))
			throw malformed('Body must be a JSON object with "signature" and "event-data"');
		const signature = body.signature;
		if (!isRecord(signature)) throw new VerifyAbort(401, 'Missing "signature" object');
		const { timestamp, token } = signature;
		const given = signature.signature;
		if (typeof token !== 'string' || token === '' || typeof given !== 'string') {
			throw new VerifyAbort(401, 'Signature, token or timestamp is missing');
		}
		const timestampText = typeof timestamp === 'number' ? String(timestamp) : timestamp;
		if (typeof timestampText !== 'string')
			throw new VerifyAbort(401, 'Signature timestamp is missing');
		const expected = hmacSha256(signingKey, timestampText + token);
		if (!safeEqualHex(given, expected)) throw new VerifyAbort(401, 'Signature does not match');
		checkFreshSeconds(
			timestampText,
			config.toleranceSeconds ?? DEFAULT_MAILGUN_TOLERANCE_SECONDS,
			config,
			'Signature timestamp',
		);
		const eventData = body['event-data'];
		if (!isRecord(eventData)) throw malformed('"event-data" object is missing');
		const kind = mailgunKind(eventData);
		if (!kind) {
			await rejectReplay(token, config);
			return succeed(
				[],
				[{ index: 0, type: String(eventData.event ?? ''), reason: 'not a delivery outcome' }],
			);
		}
		const where = 'event-data';
		const recipient = requireRecipient(eventData.recipient, where, 'recipient');
		const occurredAt = isoFromSeconds(eventData.timestamp);
		if (!occurredAt) throw malformed(`${where}: "timestamp" must be Unix seconds`);
		const eventId = textOrNull(eventData.id, 200);
		if (!eventId) throw malformed(`${where}: "id" is missing`);
		const message = isRecord(eventData.message) ? eventData.message : {};
		const headers = isRecord(message.headers) ? message.headers : {};
		const deliveryStatus = isRecord(eventData['delivery-status'])
			? eventData['delivery-status']
			: {};
		const smtpStatus = extractSmtpStatus(
			deliveryStatus['enhanced-code'],
			deliveryStatus.message,
			deliveryStatus.description,
			deliveryStatus.code,
		);
		const diagnostic =
			textOrNull(deliveryStatus.message) ??
			textOrNull(deliveryStatus.description) ??
			textOrNull(eventData.reason);
		const bounce =
			eventData.event === 'failed'
				? classifyBounceEvent(
						{ statedReason: MAILGUN_REASONS[String(eventData.reason ?? '')] ?? null, smtpStatus, diagnostic },
						String(eventData.severity).toLowerCase() === 'permanent' ? 'permanent' : 'transient',
					)
				: null;
		const event = buildEvent(
			{
				provider: 'mailgun',
				eventId,
				messageId: normaliseMessageId(headers['message-id']),
				recipient,
				kind: bounce?.kind ?? kind,
				reason: bounce?.reason,
				smtpStatus,
				diagnostic,
				occurredAt,
				...findCorrelation(eventData['user-variables'], headers),
				url: typeof eventData.url === 'string' ? eventData.url : null,
				raw: eventData,
			},
			config.includeRaw,
		);
		await rejectReplay(token, config);
		return succeed([event]);
	});
}

/** Only authentic, fresh, well-formed requests get here, so forgeries cannot fill the cache. */
async function rejectReplay(token: string, config: MailgunConfig): Promise<void> {
	const replayCache = config.replayCache ?? defaultReplayCache;
	if (await replayCache.seen(token)) throw new VerifyAbort(401, 'Token was already used (replay)');
}
