import type { BounceReason } from '../bounce';

/**
 * The one shape every provider event, DSN and link hit is normalised to. A bounce is `hard`,
 * `soft` or `sender` by the shared reason rules (lib/bounce classifyFailure): `sender` is a
 * refusal of our mail (blocked, reputation, authentication, content), never the address's fault.
 */
export type DeliveryEventKind =
	| 'hard'
	| 'soft'
	| 'sender'
	| 'complaint'
	| 'unsubscribe'
	| 'delivered'
	| 'deferred'
	| 'open'
	| 'click';

export type EventProvider =
	| 'ses'
	| 'sendgrid'
	| 'mailgun'
	| 'postmark'
	| 'brevo'
	| 'generic'
	| 'dsn'
	| 'link'
	| 'smtp';

export interface NormalisedEvent {
	provider: EventProvider;
	/** The provider's own id for the event, used to drop retried deliveries of the same event. */
	eventId: string;
	messageId: string | null;
	recipient: string;
	kind: DeliveryEventKind;
	/**
	 * Why, in Sisimai's reason names, for a bounce (`userunknown`, `mailboxfull`, `blocked`, …)
	 * and a complaint (`feedback`); null for other kinds.
	 */
	reason?: BounceReason | null;
	/** Enhanced status code such as `5.1.1`, or the SMTP reply code, when known. */
	smtpStatus: string | null;
	diagnostic: string | null;
	/** ISO 8601 in UTC. */
	occurredAt: string;
	campaignId: string | null;
	subscriberId: string | null;
	/** Clicked URL, for click events. */
	url?: string | null;
	raw?: unknown;
}

/** Mail headers that tie a message (and so its bounces) back to a campaign and a subscriber. */
export const CORRELATION_HEADERS = {
	campaignId: 'X-Bulk-Mail-Campaign',
	subscriberId: 'X-Bulk-Mail-Subscriber',
} as const;
