/** SES notifications (bounce, complaint, delivery, delay...) mapped to normalised events. */
import { isRecord, malformed, succeed, type VerifyResult } from './common';
import type { FailureKind, FailureReason } from '../bounce';
import {
	type BounceSeverity,
	buildEvent,
	classifyBounceEvent,
	extractSmtpStatus,
	findCorrelation,
	headerListToBag,
	isoFromDateString,
	normaliseMessageId,
	normaliseRecipient,
	textOrNull,
} from './normalise';
import type { DeliveryEventKind, NormalisedEvent } from './types';
import type { SesConfig, SnsEnvelope } from './sns';

interface RecipientOutcome {
	address: unknown;
	smtpStatus?: string | null;
	diagnostic?: string | null;
	/** A bounce's own verdict (each recipient of one notification may differ). */
	bounce?: { kind: FailureKind; reason: FailureReason };
}

/**
 * SES bounce sub-types that name a reason (Sisimai's names). `General`, `Undetermined` and the
 * account-level suppression list say nothing about why: the recipient's status and diagnostic
 * decide. `Suppressed` is SES's own list of addresses that recently hard-bounced.
 */
const SES_SUBTYPE_REASONS: Record<string, FailureReason> = {
	NoEmail: 'userunknown',
	Suppressed: 'userunknown',
	MailboxFull: 'mailboxfull',
	MessageTooLarge: 'mesgtoobig',
	ContentRejected: 'contenterror',
	AttachmentRejected: 'securityerror',
};

function sesSeverity(bounceType: unknown): BounceSeverity {
	return bounceType === 'Permanent' ? 'permanent' : bounceType === 'Transient' ? 'transient' : null;
}

// Long: one switch over SES notification types (bounce, complaint, delivery, delay...) feeding a shared mapping.
export function parseSesNotification(envelope: SnsEnvelope, config: SesConfig): VerifyResult {
	let message: unknown;
	try {
		message = JSON.parse(envelope.Message);
	} catch {
		message = null;
	}
	if (!isRecord(message)) {
		return succeed(
			[],
			[{ index: 0, type: 'text', reason: 'SNS message is not an SES notification' }],
		);
	}
	const type = String(message.notificationType ?? message.eventType ?? '');
	const mail = isRecord(message.mail) ? message.mail : {};
	const destination = Array.isArray(mail.destination) ? mail.destination : [];
	const section = (name: string): Record<string, unknown> =>
		isRecord(message[name]) ? (message[name] as Record<string, unknown>) : {};

	let kind: DeliveryEventKind | null = null;
	let details: Record<string, unknown> = {};
	let outcomes: RecipientOutcome[] = [];
	let url: string | null = null;
	switch (type) {
		case 'Bounce': {
			details = section('bounce');
			kind = 'soft'; // each recipient's own verdict below
			const fallback =
				[details.bounceType, details.bounceSubType].filter(Boolean).join('/') || null;
			const severity = sesSeverity(details.bounceType);
			const statedReason = SES_SUBTYPE_REASONS[String(details.bounceSubType ?? '')] ?? null;
			outcomes = listOf(details.bouncedRecipients).map((entry) => {
				const smtpStatus = extractSmtpStatus(entry.status, entry.diagnosticCode);
				const diagnostic = textOrNull(entry.diagnosticCode);
				return {
					address: entry.emailAddress,
					smtpStatus,
					diagnostic: diagnostic ?? fallback,
					bounce: classifyBounceEvent({ statedReason, smtpStatus, diagnostic }, severity),
				};
			});
			break;
		}
		case 'Complaint': {
			details = section('complaint');
			kind = 'complaint';
			const feedback =
				textOrNull(details.complaintFeedbackType) ?? textOrNull(details.complaintSubType);
			outcomes = listOf(details.complainedRecipients).map((entry) => ({
				address: entry.emailAddress,
				diagnostic: feedback,
			}));
			break;
		}
		case 'Delivery': {
			details = section('delivery');
			kind = 'delivered';
			const recipients = Array.isArray(details.recipients) ? details.recipients : destination;
			outcomes = recipients.map((address) => ({
				address,
				smtpStatus: extractSmtpStatus(details.smtpResponse),
				diagnostic: textOrNull(details.smtpResponse),
			}));
			break;
		}
		case 'DeliveryDelay': {
			details = section('deliveryDelay');
			kind = 'deferred';
			outcomes = listOf(details.delayedRecipients).map((entry) => ({
				address: entry.emailAddress,
				smtpStatus: extractSmtpStatus(entry.status, entry.diagnosticCode),
				diagnostic: textOrNull(entry.diagnosticCode) ?? textOrNull(details.delayType),
			}));
			break;
		}
		case 'Open':
			details = section('open');
			kind = 'open';
			outcomes = destination.map((address) => ({ address }));
			break;
		case 'Click':
			details = section('click');
			kind = 'click';
			url = typeof details.link === 'string' ? details.link : null;
			outcomes = destination.map((address) => ({ address }));
			break;
		case 'Subscription': {
			details = section('subscription');
			const preferences = isRecord(details.newTopicPreferences) ? details.newTopicPreferences : {};
			if (preferences.unsubscribeAll === true) {
				kind = 'unsubscribe';
				outcomes = destination.map((address) => ({ address, diagnostic: 'unsubscribeAll' }));
			}
			break;
		}
	}
	if (!kind) {
		return succeed([], [{ index: 0, type: type || 'unknown', reason: 'not a delivery outcome' }]);
	}
	if (outcomes.length === 0) throw malformed(`SES ${type} notification lists no recipients`);

	const occurredAt =
		isoFromDateString(details.timestamp) ?? isoFromDateString(envelope.Timestamp) ?? '';
	const commonHeaders = isRecord(mail.commonHeaders) ? mail.commonHeaders : {};
	const messageId =
		normaliseMessageId(commonHeaders.messageId) ?? normaliseMessageId(mail.messageId);
	const correlation = findCorrelation(headerListToBag(mail.headers), mail.tags);
	const events: NormalisedEvent[] = outcomes.map((outcome, index) => {
		const recipient = normaliseRecipient(outcome.address);
		if (!recipient) throw malformed(`SES ${type} recipient ${index} is not an e-mail address`);
		return buildEvent(
			{
				provider: 'ses',
				// One event per recipient: the index keeps ids unique and stable across SNS retries.
				eventId: outcomes.length > 1 ? `${envelope.MessageId}:${index}` : envelope.MessageId,
				messageId,
				recipient,
				kind: outcome.bounce?.kind ?? (kind as DeliveryEventKind),
				reason: outcome.bounce?.reason,
				smtpStatus: outcome.smtpStatus ?? null,
				diagnostic: outcome.diagnostic ?? null,
				occurredAt,
				...correlation,
				url,
				raw: message,
			},
			config.includeRaw,
		);
	});
	return succeed(events);
}

function listOf(value: unknown): Array<Record<string, unknown>> {
	return Array.isArray(value) ? value.filter(isRecord) : [];
}
