/**
 * All a campaign run needs from storage (as listmonk's manager needs only its `Store`): the
 * store's SqlCampaignRuns implements it on SQLite and PostgreSQL; a test can implement it in
 * memory. Every method is one short transaction in the SQL implementation.
 */
import type { ProviderPausePolicy } from '../bounce';
import type {
	Actor,
	ProviderPause,
	Campaign,
	ClaimOptions,
	ClaimResult,
	FlushOutcome,
	LogResult,
	MarkResult,
	RunEnd,
	RunStart,
} from '../store';

export interface CampaignRunRepository {
	/** The campaign, or null when there is none. */
	get(campaignId: string): Promise<Campaign | null>;
	/** The campaign and how many recipients are still to be handled. */
	progress(campaignId: string): Promise<{ campaign: Campaign; remaining: number } | null>;
	/** Moves a due campaign to running (membership fixed on its first run), or says why not. */
	start(campaignId: string, options: { now: number; resume: boolean; actor: Actor }): Promise<RunStart>;
	/** Claims the next recipients for `owner` with a lease (put-back ones first, then new members). */
	claim(campaignId: string, options: ClaimOptions): Promise<ClaimResult>;
	/** Re-checks claimed recipients (still active, not suppressed) and marks the mailable ones `sending`. */
	markSending(campaignId: string, ids: string[], options: { owner: string; now: number; leaseMs: number }): Promise<MarkResult>;
	/**
	 * Writes outcomes (sent / failed / unknown / queued), their bounces and counters, and counts
	 * them per receiving provider, pausing one that refuses our mail (`providerPause`).
	 */
	record(
		campaignId: string,
		results: LogResult[],
		options: { owner: string; now: number; actor: Actor; providerPause?: ProviderPausePolicy | false },
	): Promise<FlushOutcome>;
	/** The receiving providers this campaign does not send to now, and why. */
	providerPauses(campaignId: string): Promise<ProviderPause[]>;
	/** Ends the provider pauses: their held recipients queue again (audited). */
	resumeProviders(campaignId: string, options: { now: number; actor: Actor }): Promise<{ providers: string[]; requeued: number }>;
	/** Puts rows marked `sending` but never handed to SMTP back in the queue. */
	unmarkSending(campaignId: string, ids: string[], options: { owner: string; now: number }): Promise<number>;
	/** Gives back every claim of `owner` (the run is ending). */
	releaseClaims(campaignId: string, options: { owner: string; now: number }): Promise<number>;
	/** Extends the leases of `owner`'s claimed and sending rows (the run is alive). */
	renewLeases(campaignId: string, options: { owner: string; now: number; leaseMs: number }): Promise<void>;
	/** Ends a run: pauses (breaker), records an error, finishes the campaign when all are handled. */
	end(
		campaignId: string,
		options: { now: number; pauseReason: string | null; lastError: string | null; actor: Actor },
	): Promise<RunEnd>;
	/** Messages handed to SMTP by any campaign in the 24 hours before `now` (daily cap without Redis). */
	sentInLastDay(now: number): Promise<number>;
}

/** The run repository of a store, or the repository itself (an in-memory one in tests). */
export function runRepositoryOf(source: { campaignRuns: CampaignRunRepository } | CampaignRunRepository): CampaignRunRepository {
	return 'campaignRuns' in source ? source.campaignRuns : source;
}
