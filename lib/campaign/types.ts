import type { FailureKind, FailureReason, ProviderPausePolicy, VerpSettings } from '../bounce';
import type { TemplateSpec } from '../compose';
import type {
	BreakerOptions,
	LimiterConfig,
	PooledTransport,
	RetryPolicy,
	SendLimiter,
	SmtpSettings,
} from '../send';
import type {
	Campaign,
	CampaignCounters,
	CampaignFilter,
	CampaignFollowUp,
	CampaignStatus,
	Page,
	ProviderPause,
	RecipientEntry,
	StoredComposeOptions,
	StoredSmtpSettings,
} from '../store';
export {
	CAMPAIGN_STATUSES,
	CampaignError,
	RECIPIENT_STATES,
	FOLLOW_UP_OPENS,
	FOLLOW_UP_UNLESS,
	type Campaign,
	type CampaignAudience,
	type CampaignFollowUp,
	type CampaignSegment,
	type FrozenAudience,
	type CampaignCounters,
	type CampaignEventType,
	type CampaignFilter,
	type CampaignSender,
	type CampaignStatus,
	type CampaignTemplate,
	type RecipientEntry,
	type RecipientState,
	type StoredComposeOptions,
	type StoredSmtpSettings,
} from '../store';

/** A campaign's segment: a saved one (by id or name) or an inline definition (segment JSON). */
export type CampaignSegmentInput = { segmentId: string } | { definition: unknown };

export interface CampaignInput {
	name: string;
	/** One list (as before schema 9); give this or `listIds`. */
	listId?: string;
	/**
	 * Several lists, in order: an address on more than one gets one message, made with its
	 * active row on the first of them (its fields, its unsubscribe link). With `listId` too, that
	 * list goes first. With a segment and no list at all, every list is the audience (oldest first).
	 */
	listIds?: string[];
	/** The rows must match this segment (evaluated per row, frozen when the campaign starts). */
	segment?: CampaignSegmentInput | null;
	/** IANA zone for calendar days and wall-clock times in the segment (default UTC). */
	timeZone?: string | null;
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

/** Campaign → Create Follow-Up: a new campaign to the recipients of `campaignId` who did not open (or click). */
export interface FollowUpInput {
	/** The campaign followed up: its recipients whose send succeeded. */
	campaignId: string;
	name: string;
	template: TemplateSpec;
	/** Not mailed again when they did this (default `opened`). */
	unless?: CampaignFollowUp['unless'];
	/** Which opens count (default `any`: proxied Apple Mail opens too; `human`: a person's opens only). */
	opens?: CampaignFollowUp['opens'];
	composeOptions?: CampaignInput['composeOptions'];
	sender?: CampaignInput['sender'];
	sendAt?: CampaignInput['sendAt'];
	createKey?: CampaignInput['createKey'];
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
