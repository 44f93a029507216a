import type { FailureKind, FailureReason, ProviderPausePolicy, VerpSettings } from '../bounce';
import type { ProviderPause } from '../store/providerPauses';
import type { ComposeOptions, TemplateSpec } from '../compose/types';
import type { BreakerOptions } from '../send/breaker';
import type { LimiterConfig, SendLimiter } from '../send/limiter';
import type { RetryPolicy } from '../send/retry';
import type { PooledTransport, SmtpSettings } from '../send/transport';
import type { Page } from '../store/types';

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

export interface CampaignInput {
	name: string;
	listId: string;
	filter?: CampaignFilter | null;
	template: TemplateSpec;
	/** Compose options; a `secret` here is refused (it is given to each run instead). */
	composeOptions?: StoredComposeOptions | null;
	/** Sender settings; passwords and keys are dropped before storing. */
	sender?: {
		smtp?: SmtpSettings | StoredSmtpSettings;
		limiter?: LimiterConfig;
		retry?: Partial<RetryPolicy>;
		breaker?: Partial<BreakerOptions> | false;
	} | null;
	/** ISO time; a campaign with a send-at time is `scheduled` and its runs wait for it. */
	sendAt?: string | Date | null;
	/**
	 * Optional unique key: creating with a key an earlier campaign already has returns that
	 * campaign (`created: false`) instead of a second one, so repeated or overlapping workflow
	 * runs cannot create — and send — the same campaign twice.
	 */
	createKey?: string | null;
}

export interface CampaignProgress {
	campaign: Campaign;
	counters: CampaignCounters;
	/** sent + failed + unknown + skipped. */
	handled: number;
	/** Members not handled yet: waiting, claimed by a run or being sent. */
	remaining: number;
	/** Rows in `sending` now (being sent by a run, or left by one that died). */
	inFlight: number;
	/** handled / (handled + remaining), 0–100; 100 when there is nothing to send. */
	progressPct: number;
	/** One sentence: what the campaign is doing. */
	message: string;
	/** Receiving providers the campaign is not sending to now, and why, in plain words. */
	providerPauses: ProviderPause[];
	/** Recipients held for those providers (part of `remaining`). */
	held: number;
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

export type RecipientPage = Page<RecipientEntry>;

export interface RunCampaignOptions {
	/** SMTP settings with the password (the campaign stores none). */
	smtp: SmtpSettings;
	/** An open pooled transport to use (the caller closes it); by default one per run. */
	transport?: PooledTransport;
	/** Limits (default: the campaign's stored limits), or a shared limiter the caller closes. */
	limiter?: LimiterConfig | SendLimiter;
	retry?: Partial<RetryPolicy>;
	/** Failure-rate breaker (default: the campaign's, else the send engine's default). */
	breaker?: Partial<BreakerOptions> | false;
	/** The store's link-signing secret, needed when the template signs links. */
	composeSecret?: string | null;
	/** Overrides the stored public base URL of the links. */
	baseUrl?: string | null;
	/**
	 * VERP: send each message with its own signed return path at this bounce domain (key: the
	 * store's link-signing secret), so its bounces match campaign and subscriber exactly.
	 */
	verp?: VerpSettings | null;
	/**
	 * When one receiving provider refuses our mail (sender-side refusals over the policy in its
	 * window), hold its recipients while the rest goes on (default on: 20 refusals that are half
	 * of its attempts in 5 minutes); false turns it off.
	 */
	providerPause?: Partial<ProviderPausePolicy> | false;
	/** Send to paused providers again: their held recipients queue (default false). */
	resumeProviders?: boolean;
	/** Stop handing out new messages after this long (ms); the next run resumes. */
	timeBudgetMs?: number;
	/** Recipients claimed per batch (keyset; default 500). */
	batchSize?: number;
	/** Messages in progress at once (default maxConnections × 4; fewer at a slow rate limit). */
	maxInFlight?: number;
	/**
	 * Most recipients in `sending` at once for this run (marked, not yet recorded); bounds how
	 * many can end up `unknown` if the process dies. Default 6 × maxInFlight, at least 128.
	 */
	inFlightWindow?: number;
	/** Retry recipients whose delivery is unknown (default false: they are never mailed again). */
	retryUnknown?: boolean;
	/** Let a paused campaign run again (default false: runs of a paused campaign do nothing). */
	resume?: boolean;
	/** How long a claim (and a `sending` mark) stays valid without renewal (ms, default 120 s). */
	leaseMs?: number;
	/** Identifies this run in the send log (default host:pid:random). */
	owner?: string;
	/** Clock (ms since the epoch), for send-at times and leases; a campaign's runs share one. */
	now?: () => number;
	/** Stops the run like the time budget. */
	signal?: AbortSignal;
	/** Most failures listed in the summary (default 100). */
	maxFailuresInSummary?: number;
	/** Who runs it, for the audit log. */
	actor?: { type: string; id?: string; name?: string };
}

export type RunOutcome =
	/** Nothing left to send: the campaign is finished (or was already). */
	| 'finished'
	/** The send-at time has not come. */
	| 'not-due'
	/** Draft, paused, cancelled: nothing to do. */
	| 'not-runnable'
	/** The time budget (or the caller's signal) ended the run; the next run resumes. */
	| 'stopped'
	/** The failure-rate breaker paused the campaign. */
	| 'paused'
	/** Someone paused or cancelled the campaign during the run. */
	| 'interrupted'
	/** Today's sending limit is used up. */
	| 'daily-cap'
	/** Other runs still hold the remaining recipients. */
	| 'drained'
	/** Everyone else was handled; the recipients of paused providers are held (see providerPauses). */
	| 'providers-paused';

export interface CampaignFailure {
	subscriberId: string;
	email: string;
	state: 'failed' | 'unknown';
	attempts: number;
	message: string;
	responseCode: number | null;
	enhancedStatus: string | null;
	/** What the refusal was by the shared reason rules (hard/soft/sender), if it was one. */
	bounce: FailureKind | null;
	/** The reason behind `bounce` (Sisimai's name, e.g. `userunknown`, `blocked`). */
	reason: FailureReason | null;
}

export interface CampaignRunSummary {
	campaignId: string;
	status: CampaignStatus;
	outcome: RunOutcome;
	message: string;
	/**
	 * Whether this run is the one that marked the campaign finished: true in exactly one run,
	 * however many overlap, so a "campaign done" report can hang on it.
	 */
	finishedThisRun: boolean;
	sentThisRun: number;
	failedThisRun: number;
	unknownThisRun: number;
	skippedThisRun: number;
	/** Recipients left in `sending` by a run that died, found and marked unknown by this run. */
	recoveredUnknown: number;
	remaining: number;
	/** The bound on recipients in `sending` at once for this run. */
	inFlightWindow: number;
	durationMs: number;
	failures: CampaignFailure[];
	/** Failures of this run beyond those listed. */
	failuresOmitted: number;
	warnings: string[];
	limits: string;
	/** Receiving providers not sent to (paused for refusing our mail), with the reason. */
	providerPauses: ProviderPause[];
}
