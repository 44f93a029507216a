/**
 * A campaign run's start and end (status, membership snapshot, finish), what remains to send,
 * and the store side of the run's repository (SqlCampaignRuns), which lib/campaign's runner
 * drives: its small interface is all the runner knows about the store.
 */
import { recordAudit } from './auditLog';
import type { Campaign, CampaignStatus } from './campaignTypes';
import { audiencePlan, audienceSnapshotMax, countAudienceLeft, freezeAudience, materialiseAudience, materialisesAtStart } from './audience';
import { audienceOf, getCampaign, lockCampaign, toCampaign } from './campaigns';
import type { Row, SqlDriver, SqlExecutor } from './driver';
import {
	byState,
	claimBatch,
	flushResults,
	iso,
	markSending,
	releaseClaims,
	renewLeases,
	unmarkSending,
	type ClaimOptions,
	type ClaimResult,
	type FlushOutcome,
	type LogResult,
	type MarkResult,
} from './sendLog';
import type { HashEmail } from './suppressions';
import type { Actor } from './types';
import type { ProviderPausePolicy } from '../bounce';
import { pausedProviders, resumeProviders, type ProviderPause } from './providerPauses';
import { refreshStaleSendLogStatistics } from './planStatistics';

export type StartDecision =
	/** `written`: the send-log rows this start wrote (the audience, when it is materialised). */
	| { run: true; row: Row; written: number }
	| { run: false; row: Row; reason: 'not-due' | 'not-runnable' | 'finished' };

/**
 * Moves a due draft/scheduled campaign to running, snapshotting membership (the list's highest
 * subscriber id now) and the number of recipients; a paused one only with `resume`.
 */
export async function startRun(
	driver: SqlDriver,
	campaignId: string,
	options: { now: number; resume: boolean; actor: Actor },
): Promise<StartDecision> {
	return driver.transaction(async (tx) => {
		let row = (await lockCampaign(tx, campaignId))!;
		const status = row.status as CampaignStatus;
		const now = iso(options.now);
		if (status === 'finished' || status === 'cancelled')
			return { run: false, row, reason: 'finished' };
		if (status === 'paused' && !options.resume) return { run: false, row, reason: 'not-runnable' };
		if (status === 'running' || (status === 'paused' && row.started_at)) {
			if (status === 'paused') {
				row = (await tx.get(
					"UPDATE campaigns SET status = 'running', pause_reason = NULL, updated_at = ? WHERE id = ? RETURNING *",
					[now, campaignId],
				))!;
				await recordAudit(tx, options.actor, 'campaign.resume', 'campaign', campaignId, {});
			}
			return { run: true, row, written: 0 };
		}
		// draft, scheduled, or paused before it ever started
		if (row.send_at && Date.parse(String(row.send_at)) > options.now)
			return { run: false, row, reason: 'not-due' };
		// the membership snapshot, and the audience frozen: the segment's definition and its time
		const max = await audienceSnapshotMax(tx, row);
		const audience = { ...audienceOf(row), frozen: await freezeAudience(tx, row, now) };
		const snapshot: Row = {
			...row,
			audience: JSON.stringify(audience),
			max_subscriber_id: max,
			next_subscriber_id: '0',
			status: 'running',
		};
		// a segment, several lists or a follow-up: the recipients written to the log now, the
		// keyset cursor at the end (audience.ts materialisesAtStart)
		const plan = await audiencePlan(tx, snapshot, now);
		const materialised = materialisesAtStart(plan);
		let written = 0;
		if (materialised) {
			written = await materialiseAudience(tx, plan, { campaignId, max, now });
			snapshot.next_subscriber_id = max;
		}
		const { remaining } = await countRemaining(tx, snapshot);
		row = (await tx.get(
			`UPDATE campaigns SET status = 'running', pause_reason = NULL, max_subscriber_id = ?, next_subscriber_id = ?,
			 total_recipients = ?, audience = ?, started_at = ?, updated_at = ? WHERE id = ? RETURNING *`,
			[max, snapshot.next_subscriber_id, remaining, snapshot.audience, now, now, campaignId],
		))!;
		await recordAudit(tx, options.actor, 'campaign.start', 'campaign', campaignId, {
			maxSubscriberId: max,
			recipients: remaining,
			...(materialised ? { materialised: true } : {}),
			...(audience.frozen.definition ? { segmentAt: audience.frozen.at } : {}),
		});
		return { run: true, row, written };
	});
}

/**
 * Ends a run: pauses the campaign if asked (breaker), records an error, and marks it finished
 * when every member has been handled. Returns the campaign row and what remains.
 */
export async function endRun(
	driver: SqlDriver,
	campaignId: string,
	options: { now: number; pauseReason: string | null; lastError: string | null; actor: Actor },
): Promise<{ row: Row; remaining: number; finishedNow: boolean }> {
	return driver.transaction(async (tx) => {
		let row = (await lockCampaign(tx, campaignId))!;
		let finishedNow = false;
		const now = iso(options.now);
		if (row.status === 'running' && options.pauseReason) {
			row = (await tx.get(
				"UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE id = ? RETURNING *",
				[options.pauseReason, now, campaignId],
			))!;
			await recordAudit(tx, options.actor, 'campaign.pause', 'campaign', campaignId, {
				reason: options.pauseReason,
			});
		}
		if (options.lastError !== null || row.last_error) {
			row = (await tx.get(
				'UPDATE campaigns SET last_error = ?, updated_at = ? WHERE id = ? RETURNING *',
				[options.lastError, now, campaignId],
			))!;
		}
		const { remaining } = await countRemaining(tx, row);
		if (row.status === 'running' && remaining === 0) {
			const inFlight = await tx.get(
				"SELECT COUNT(*) AS n FROM send_log WHERE campaign_id = ? AND state IN ('queued', 'claimed', 'sending')",
				[campaignId],
			);
			if (Number(inFlight?.n ?? 0) === 0) {
				row = (await tx.get(
					"UPDATE campaigns SET status = 'finished', finished_at = ?, updated_at = ? WHERE id = ? RETURNING *",
					[now, now, campaignId],
				))!;
				finishedNow = true;
				await recordAudit(tx, options.actor, 'campaign.finish', 'campaign', campaignId, {
					sent: Number(row.sent),
					failed: Number(row.failed),
					unknown: Number(row.unknown),
					skipped: Number(row.skipped),
				});
			}
		}
		return { row, remaining, finishedNow };
	});
}

/**
 * Messages handed to SMTP in the last 24 hours by any campaign of this store (sent, failed or
 * unknown), for a daily cap kept without Redis: each run's limiter starts from it, so slices of
 * one day share the day's budget. A rolling 24 hours, as providers count.
 */
export async function sentInLastDay(driver: SqlDriver, now: number): Promise<number> {
	const since = iso(now - 24 * 60 * 60 * 1000);
	const campaigns = await driver.all('SELECT id FROM campaigns WHERE updated_at >= ?', [since]);
	let total = 0;
	for (const campaign of campaigns) {
		const row = await driver.get(
			`SELECT COUNT(*) AS n FROM ${byState(driver.dialect)}
			 WHERE campaign_id = ? AND state IN ('sent', 'failed', 'unknown') AND updated_at >= ?`,
			[campaign.id, since],
		);
		total += Number(row?.n ?? 0);
	}
	return total;
}

/** Members the campaign has not reached yet (keyset part: beyond the claim cursor). */
export async function countUnclaimedMembers(tx: SqlExecutor, row: Row): Promise<number> {
	const plan = await audiencePlan(tx, row, new Date().toISOString());
	const max = row.max_subscriber_id === null || row.max_subscriber_id === undefined ? null : String(row.max_subscriber_id);
	return countAudienceLeft(tx, plan, String(row.id), { after: String(row.next_subscriber_id ?? 0), max });
}

/** Recipients still to be handled: waiting rows of the log plus members not claimed yet. */
export async function countRemaining(
	tx: SqlExecutor,
	row: Row,
): Promise<{ remaining: number; inFlight: number; held: number }> {
	const status = row.status as CampaignStatus;
	if (status === 'cancelled' || status === 'finished') return { remaining: 0, inFlight: 0, held: 0 };
	const states = await tx.all<{ state: string; n: unknown }>(
		"SELECT state, COUNT(*) AS n FROM send_log WHERE campaign_id = ? AND state IN ('queued', 'claimed', 'sending', 'held') GROUP BY state",
		[row.id],
	);
	let pending = 0;
	let inFlight = 0;
	let held = 0;
	for (const entry of states) {
		pending += Number(entry.n);
		if (entry.state === 'sending') inFlight = Number(entry.n);
		if (entry.state === 'held') held = Number(entry.n);
	}
	return { remaining: pending + (await countUnclaimedMembers(tx, row)), inFlight, held };
}

/** The campaign with what remains to be handled (nothing for a missing campaign: null). */
export async function campaignWithRemaining(
	db: SqlExecutor,
	id: string,
): Promise<{ campaign: Campaign; remaining: number; inFlight: number; held: number } | null> {
	const row = await db.get('SELECT * FROM campaigns WHERE id = ?', [id]);
	if (!row) return null;
	return { campaign: toCampaign(row), ...(await countRemaining(db, row)) };
}


/** The campaign's send-log rows that have an outcome (a lower bound of the rows it has). */
function handledRows(campaign: Campaign): number {
	const { sent, failed, unknown, skipped } = campaign.counters;
	return sent + failed + unknown + skipped;
}

/** How a run begins: it sends, or it does nothing for a reason (with what remains). */
export type RunStart =
	| { run: true; campaign: Campaign }
	| { run: false; campaign: Campaign; remaining: number; reason: 'not-due' | 'not-runnable' | 'finished' };

/** How a run ended: the campaign afterwards, what remains, and whether this run finished it. */
export interface RunEnd {
	campaign: Campaign;
	remaining: number;
	finishedNow: boolean;
}

/**
 * The store side of a campaign run, on the campaigns and send_log tables: what lib/campaign's
 * runner calls (through its CampaignRunRepository interface) and nothing more.
 */
export class SqlCampaignRuns {
	constructor(
		private readonly driver: SqlDriver,
		private readonly hash: HashEmail,
		private readonly addressKey: (emailKey: string) => string,
	) {}

	async get(campaignId: string): Promise<Campaign | null> {
		return getCampaign(this.driver, campaignId);
	}

	async progress(campaignId: string): Promise<{ campaign: Campaign; remaining: number } | null> {
		return campaignWithRemaining(this.driver, campaignId);
	}

	async start(campaignId: string, options: { now: number; resume: boolean; actor: Actor }): Promise<RunStart> {
		const decision = await startRun(this.driver, campaignId, options);
		if (decision.run) {
			await refreshStaleSendLogStatistics(this.driver, campaignId, decision.written);
			return { run: true, campaign: toCampaign(decision.row) };
		}
		const { remaining } = await countRemaining(this.driver, decision.row);
		return { run: false, campaign: toCampaign(decision.row), remaining, reason: decision.reason };
	}

	claim(campaignId: string, options: ClaimOptions): Promise<ClaimResult> {
		return claimBatch(this.driver, this.addressKey, campaignId, options);
	}

	markSending(campaignId: string, ids: string[], options: { owner: string; now: number; leaseMs: number }): Promise<MarkResult> {
		return markSending(this.driver, this.hash, campaignId, ids, options);
	}

	record(
		campaignId: string,
		results: LogResult[],
		options: { owner: string; now: number; actor: Actor; providerPause?: ProviderPausePolicy | false },
	): Promise<FlushOutcome> {
		return flushResults(this.driver, this.hash, campaignId, results, options);
	}

	async providerPauses(campaignId: string): Promise<ProviderPause[]> {
		return [...(await pausedProviders(this.driver, campaignId)).values()];
	}

	resumeProviders(campaignId: string, options: { now: number; actor: Actor }): Promise<{ providers: string[]; requeued: number }> {
		return this.driver.transaction((tx) => resumeProviders(tx, campaignId, { now: iso(options.now), actor: options.actor }));
	}

	unmarkSending(campaignId: string, ids: string[], options: { owner: string; now: number }): Promise<number> {
		return unmarkSending(this.driver, campaignId, ids, options);
	}

	releaseClaims(campaignId: string, options: { owner: string; now: number }): Promise<number> {
		return releaseClaims(this.driver, campaignId, options);
	}

	async renewLeases(campaignId: string, options: { owner: string; now: number; leaseMs: number }): Promise<void> {
		await renewLeases(this.driver, campaignId, options);
		await refreshStaleSendLogStatistics(this.driver, campaignId, async () => {
			const campaign = await getCampaign(this.driver, campaignId);
			return campaign ? handledRows(campaign) : 0;
		});
	}

	async end(
		campaignId: string,
		options: { now: number; pauseReason: string | null; lastError: string | null; actor: Actor },
	): Promise<RunEnd> {
		const ended = await endRun(this.driver, campaignId, options);
		const campaign = toCampaign(ended.row);
		await refreshStaleSendLogStatistics(this.driver, campaignId, handledRows(campaign));
		return { campaign, remaining: ended.remaining, finishedNow: ended.finishedNow };
	}

	sentInLastDay(now: number): Promise<number> {
		return sentInLastDay(this.driver, now);
	}
}
