/**
 * The shape of a campaign and its send log as the store keeps them. The store owns these
 * tables, so it owns their row types; lib/campaign re-exports them for its callers.
 */
import type { ComposeOptions, TemplateSpec } from '../compose';
import type { BreakerOptions, LimiterConfig, RetryPolicy, SmtpSettings } from '../send';

export const CAMPAIGN_STATUSES = [
	'draft',
	'scheduled',
	'running',
	'paused',
	'cancelled',
	'finished',
] as const;

export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * One recipient's state in the send log:
 * - queued: waiting (put back by a run that stopped before sending it);
 * - claimed: taken by a run (`owner`) until `lease_until`;
 * - sending: handed, or about to be handed, to SMTP; what survives a crash in this state is
 *   turned into `unknown` once its lease runs out;
 * - sent / failed / unknown: the outcome; skipped: not mailed (no longer active, suppressed,
 *   or deleted by the time it was its turn).
 * - held: its receiving provider is refusing our mail (a provider pause); queued again when the
 *   provider is resumed.
 */
export const RECIPIENT_STATES = [
	'queued',
	'claimed',
	'sending',
	'sent',
	'failed',
	'unknown',
	'skipped',
	'held',
] as const;

export type RecipientState = (typeof RECIPIENT_STATES)[number];

/** Which subscribers of the list a campaign goes to (besides being active and not suppressed). */
export interface CampaignFilter {
	/** Case-insensitive substring of e-mail or name. */
	search?: string;
	/** Custom field equality (compared as text). */
	field?: { name: string; value: string };
}

/** The Compose options stored with a campaign: everything but the link-signing secret. */
export type StoredComposeOptions = Omit<ComposeOptions, 'secret'>;

export interface CampaignTemplate {
	spec: TemplateSpec;
	options: StoredComposeOptions;
}

/** SMTP settings as stored with a campaign: no password, no DKIM private key. */
export type StoredSmtpSettings = Omit<SmtpSettings, 'password' | 'dkim' | 'caCertificates'> & {
	dkim?: { domainName: string; keySelector: string };
};

/** The sender settings snapshot: what the campaign was set up to send with (no secrets). */
export interface CampaignSender {
	smtp?: StoredSmtpSettings;
	/** Default limits of the campaign's runs (Redis connection details are not stored). */
	limiter?: Omit<LimiterConfig, 'redis' | 'now'> & { redisId?: string };
	retry?: Partial<RetryPolicy>;
	breaker?: Partial<BreakerOptions> | false;
}

export interface CampaignCounters {
	sent: number;
	failed: number;
	unknown: number;
	skipped: number;
	bounced: number;
	complained: number;
	unsubscribed: number;
	opened: number;
	clicked: number;
	delivered: number;
	/** Refusals of our mail (blocked, reputation, authentication, content): the sender's health. */
	senderRefused: number;
}

export interface Campaign {
	id: string;
	name: string;
	listId: string;
	filter: CampaignFilter;
	template: CampaignTemplate;
	sender: CampaignSender;
	status: CampaignStatus;
	sendAt: string | null;
	/** Membership snapshot taken at start: subscribers of the list with id ≤ this. */
	maxSubscriberId: string | null;
	/** Active members matching the filter when the campaign started. */
	totalRecipients: number | null;
	counters: CampaignCounters;
	pauseReason: string | null;
	/** The error that ended the latest run, if it ended on one (e.g. SMTP authentication). */
	lastError: string | null;
	createdAt: string;
	updatedAt: string;
	startedAt: string | null;
	finishedAt: string | null;
	/** The key given at creation, if any (see CampaignInput.createKey). */
	createKey: string | null;
}

export interface RecipientEntry {
	subscriberId: string;
	/** Null when the subscriber was deleted since. */
	email: string | null;
	name: string | null;
	state: RecipientState;
	attempts: number;
	messageId: string | null;
	response: string | null;
	responseCode: number | null;
	error: string | null;
	openedAt: string | null;
	clickedAt: string | null;
	bouncedAt: string | null;
	complainedAt: string | null;
	unsubscribedAt: string | null;
	deliveredAt: string | null;
	updatedAt: string;
}

export type CampaignEventType = 'opened' | 'clicked' | 'bounced' | 'complained' | 'unsubscribed' | 'delivered';

export class CampaignError extends Error {
	constructor(
		message: string,
		readonly code: 'not-found' | 'invalid' | 'conflict' | 'smtp',
	) {
		super(message);
		this.name = 'CampaignError';
	}
}
