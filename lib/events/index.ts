/**
 * Bounce/complaint event engine: one verifier+parser per provider, all returning verified
 * NormalisedEvent[] or a typed failure (status + safe reason). No store, no n8n.
 */
import type { DeliveryEventInput, DeliveryEventType } from '../store';

import { type BrevoConfig, verifyBrevoRequest } from './brevo';
import { type CommonVerifyOptions, fail, type VerifyResult, type WebhookRequest } from './common';
import { type DsnConfig, verifyDsnRequest } from './dsn';
import { type GenericConfig, verifyGenericRequest } from './generic';
import { type MailgunConfig, verifyMailgunRequest } from './mailgun';
import { type PostmarkConfig, verifyPostmarkRequest } from './postmark';
import { type SendgridConfig, verifySendgridRequest } from './sendgrid';
import { type SesConfig, verifySesRequest } from './ses';
import type { DeliveryEventKind, NormalisedEvent } from './types';

export * from './common';
export * from './types';
export {
	buildEvent,
	extractSmtpStatus,
	findCorrelation,
	normaliseMessageId,
	normaliseRecipient,
	statusClass,
} from './normalise';
export { MemoryReplayCache, type MemoryReplayCacheOptions, type ReplayCache } from './replayCache';
export {
	confirmSubscription,
	type ConfirmSubscriptionResult,
	fetchSnsCertificate,
	isGenuineSnsUrl,
	SNS_HOST_PATTERN,
	SnsCertificateCache,
	snsStringToSign,
	type SesConfig,
	type SnsTransportOptions,
	verifySesRequest,
} from './ses';
export {
	parseSendgridPublicKey,
	SENDGRID_SIGNATURE_HEADER,
	SENDGRID_TIMESTAMP_HEADER,
	type SendgridConfig,
	verifySendgridRequest,
} from './sendgrid';
export { type MailgunConfig, verifyMailgunRequest } from './mailgun';
export { type PostmarkConfig, verifyPostmarkRequest } from './postmark';
export { type BrevoConfig, verifyBrevoRequest } from './brevo';
export {
	GENERIC_SIGNATURE_HEADER,
	type GenericConfig,
	signGenericPayload,
	verifyGenericRequest,
	verifyGenericSignature,
} from './generic';
export { type DsnConfig, parseDeliveryStatus, parseFieldBlock, verifyDsnRequest } from './dsn';

/** Providers a webhook can receive from (the event provider names minus internal ones). */
export const WEBHOOK_PROVIDERS = [
	'ses',
	'sendgrid',
	'mailgun',
	'postmark',
	'brevo',
	'generic',
	'dsn',
] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export interface ProviderConfigs {
	ses: SesConfig;
	sendgrid: SendgridConfig;
	mailgun: MailgunConfig;
	postmark: PostmarkConfig;
	brevo: BrevoConfig;
	generic: GenericConfig;
	dsn: DsnConfig;
}

const VERIFIERS: {
	[P in WebhookProvider]: (
		request: WebhookRequest,
		config: ProviderConfigs[P],
	) => Promise<VerifyResult>;
} = {
	ses: verifySesRequest,
	sendgrid: verifySendgridRequest,
	mailgun: verifyMailgunRequest,
	postmark: verifyPostmarkRequest,
	brevo: verifyBrevoRequest,
	generic: verifyGenericRequest,
	dsn: verifyDsnRequest,
};

export function isWebhookProvider(value: unknown): value is WebhookProvider {
	return typeof value === 'string' && (WEBHOOK_PROVIDERS as readonly string[]).includes(value);
}

/**
 * Verifies and parses one webhook request for `provider`. Resolves to `{ ok: true, events, … }`
 * or `{ ok: false, status, reason }`; rejects only for configuration errors (EventConfigError).
 * Every provider applies the body size cap (`maxBodyBytes`, default 1 MiB → 413).
 */
export function verifyAndParse<P extends WebhookProvider>(
	provider: P,
	request: WebhookRequest,
	config: ProviderConfigs[P] & CommonVerifyOptions,
): Promise<VerifyResult> {
	if (!isWebhookProvider(provider)) {
		return Promise.resolve(fail(400, `Unknown provider "${String(provider).slice(0, 40)}"`));
	}
	const verifier = VERIFIERS[provider] as (
		request: WebhookRequest,
		config: ProviderConfigs[P],
	) => Promise<VerifyResult>;
	return verifier(request, config);
}

/** The store's delivery event type for an event kind; null for kinds the store does not count. */
export function toDeliveryEventType(kind: DeliveryEventKind): DeliveryEventType | null {
	switch (kind) {
		case 'hard':
		case 'soft':
		case 'sender':
		case 'complaint':
		case 'unsubscribe':
			return kind;
		default:
			return null;
	}
}

/**
 * The store input for an event (null for delivered/deferred/open/click). The event id is
 * prefixed with the provider so ids from different providers can never collide.
 */
export function toDeliveryEventInput(event: NormalisedEvent): DeliveryEventInput | null {
	const type = toDeliveryEventType(event.kind);
	if (!type) return null;
	const diagnostic =
		event.diagnostic && event.smtpStatus && !event.diagnostic.includes(event.smtpStatus)
			? `${event.smtpStatus} ${event.diagnostic}`
			: (event.diagnostic ?? event.smtpStatus);
	return {
		type,
		reason: event.reason ?? null,
		subscriberId: event.subscriberId,
		email: event.recipient,
		diagnostic,
		occurredAt: event.occurredAt,
		eventId: `${event.provider}:${event.eventId}`,
		source: event.provider,
	};
}
