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

/**
 * Who a campaign mails (schema 9). Subscribers stay one row per list: conditions are evaluated
 * per row, an address qualifies if any of its active rows on the campaign's lists qualifies, and
 * it gets one message, made with (and unsubscribing from) its active row on the first list in
 * `listIds` order. The send log is unique per (campaign, address), so no run, slice or queue
 * worker can mail a person twice. A campaign made before schema 9 reads as `{ listIds: [listId] }`.
 */
export interface CampaignAudience {
	/** The lists, in order (the first list's row is the one used). Empty: every list, oldest first. */
	listIds: string[];
	/** A segment the rows must match, or null. */
	segment: CampaignSegment | null;
	/** A follow-up: the recipients of another campaign who did not open (or click) it. */
	followUp: CampaignFollowUp | null;
	/** IANA zone for calendar days and wall-clock times in the segment (default UTC). */
	timeZone: string | null;
	/**
	 * Set when the campaign starts and never changed after: the segment definition it evaluates
	 * (a saved segment's is copied then, so a later edit of it changes nothing) and the
	 * evaluation time, so "within the last 30 days" and engagement conditions mean the same on
	 * every batch and slice (engagement recorded after `at` does not count).
	 */
	frozen: FrozenAudience | null;
}

export interface CampaignSegment {
	/** A saved segment (its definition is copied when the campaign starts), or null for an inline one. */
	segmentId: string | null;
	/** The saved segment's name when the campaign was created (for display). */
	name: string | null;
	/** The inline definition (segment JSON); null for a saved segment until the campaign starts. */
	definition: Record<string, unknown> | null;
}

export interface FrozenAudience {
	/** The evaluation time (ISO, the campaign's start). */
	at: string;
	/** The segment definition evaluated on every batch (null: no segment). */
	definition: Record<string, unknown> | null;
	timeZone: string;
}

export const FOLLOW_UP_UNLESS = ['opened', 'clicked'] as const;
export const FOLLOW_UP_OPENS = ['any', 'human'] as const;

export interface CampaignFollowUp {
	/** The campaign followed up. */
	campaignId: string;
	/** Recipients who did this are not mailed again. */
	unless: (typeof FOLLOW_UP_UNLESS)[number];
	/**
	 * Which opens count: `any` (default; Apple Mail's proxied opens too, so those readers are not
	 * mailed again) or `human` (opens the reports work classifies as a person's).
	 */
	opens: (typeof FOLLOW_UP_OPENS)[number];
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
	/** The first list of the audience (a follow-up: the followed campaign's). */
	listId: string;
	/** Who the campaign mails: lists in order, segment, follow-up, and the frozen evaluation. */
	audience: CampaignAudience;
	filter: CampaignFilter;
	template: CampaignTemplate;
	sender: CampaignSender;
	status: CampaignStatus;
	sendAt: string | null;
	/** Membership snapshot taken at start: subscriber rows with id ≤ this. */
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
