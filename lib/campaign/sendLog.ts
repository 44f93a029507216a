/**
 * The send log's state changes. Every write is one short transaction that starts by locking the
 * campaign row (PostgreSQL `FOR UPDATE`; on SQLite `BEGIN IMMEDIATE` serialises writers across
 * processes), so concurrent runs never interleave a claim, and the lock order (campaign row
 * first, then send-log rows, then subscribers) is the same everywhere: no deadlocks. Nothing
 * slow (SMTP) ever happens inside one.
 */
import type { ProviderPausePolicy } from '../bounce';
import type { SendBounce } from '../send/bounce';
import type { Dialect, Row, SqlExecutor } from '../store/driver';
import type { SqlSubscriberStore } from '../store/sqlStore';
import type { Actor, SubscriberStatus } from '../store/types';
import { countRemaining } from './campaigns';
import { countProviderOutcomes, holdPausedRecipients, type ProviderPause } from '../store/providerPauses';
import {
	CampaignError,
	filterConditions,
	idsParam,
	inIds,
	inTexts,
	lockCampaign,
	parseJson,
	RUN_COLUMNS,
	textsParam,
	validateFilter,
} from './sql';
import type { CampaignStatus } from './types';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The send log read by state. SQLite's planner (no statistics) prefers walking the primary key
 * to satisfy ORDER BY subscriber_id, which reads every row of the campaign; the state index
 * reads only the rows in that state.
 */
const byState = (d: Dialect) =>
	d === 'sqlite' ? 'send_log INDEXED BY send_log_state' : 'send_log';

export interface ClaimOptions {
	owner: string;
	now: number;
	leaseMs: number;
	size: number;
	retryUnknown: boolean;
}

export interface ClaimResult {
	status: CampaignStatus;
	/** Claimed subscriber ids, ascending. */
	ids: string[];
	/** No unclaimed members and no waiting rows are left (other runs may still be sending). */
	exhausted: boolean;
	/** Rows of a dead run found in `sending` (lease over) and turned `unknown`. */
	recoveredUnknown: number;
}

const STALE_SENDING_ERROR =
	'The run sending this message stopped (process ended) before recording the outcome; it may have been delivered.';

/**
 * Claims up to `size` recipients for `owner`: first rows put back by earlier runs (queued, or
 * claimed with a lapsed lease; also unknown ones with retryUnknown), then the next members by
 * keyset from the subscribers table, recorded as `claimed` with a lease.
 */
export async function claimBatch(
	store: SqlSubscriberStore,
	campaignId: string,
	options: ClaimOptions,
): Promise<ClaimResult> {
	return store.sql.transaction(async (tx) => {
		const row = await lockCampaign(tx, campaignId, RUN_COLUMNS);
		if (!row) return { status: 'cancelled', ids: [], exhausted: true, recoveredUnknown: 0 };
		const status = row.status as CampaignStatus;
		if (status !== 'running') return { status, ids: [], exhausted: true, recoveredUnknown: 0 };
		const now = iso(options.now);
		const lease = iso(options.now + options.leaseMs);
		const skipLocked = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';

		const stale = await tx.run(
			`UPDATE ${byState(tx.dialect)} SET state = 'unknown', error = ?, lease_until = NULL, updated_at = ?
			 WHERE campaign_id = ? AND state = 'sending' AND lease_until < ?`,
			[STALE_SENDING_ERROR, now, campaignId, now],
		);
		let unknownDelta = stale.changes;

		const ids: string[] = [];
		const reclaimed: string[] = [];
		const take = async (sql: string, params: unknown[], state: string) => {
			const need = options.size - ids.length;
			if (need <= 0) return;
			const rows = await tx.all(sql + ` ORDER BY subscriber_id LIMIT ?${skipLocked}`, [
				...params,
				need,
			]);
			for (const r of rows) {
				ids.push(String(r.subscriber_id));
				reclaimed.push(String(r.subscriber_id));
			}
			if (state === 'unknown') unknownDelta -= rows.length;
		};
		const log = byState(tx.dialect);
		await take(
			`SELECT subscriber_id FROM ${log} WHERE campaign_id = ? AND state = 'queued'`,
			[campaignId],
			'queued',
		);
		await take(
			`SELECT subscriber_id FROM ${log} WHERE campaign_id = ? AND state = 'claimed' AND lease_until < ?`,
			[campaignId, now],
			'claimed',
		);
		if (options.retryUnknown) {
			await take(
				`SELECT subscriber_id FROM ${log} WHERE campaign_id = ? AND state = 'unknown'`,
				[campaignId],
				'unknown',
			);
		}
		if (reclaimed.length) {
			await tx.run(
				`UPDATE send_log SET state = 'claimed', owner = ?, lease_until = ?, updated_at = ? WHERE campaign_id = ? AND subscriber_id ${inIds(tx.dialect)}`,
				[options.owner, lease, now, campaignId, idsParam(tx.dialect, reclaimed)],
			);
		}

		const cursor = String(row.next_subscriber_id ?? 0);
		const max = String(row.max_subscriber_id ?? 0);
		let atEnd = BigInt(cursor) >= BigInt(max);
		const need = options.size - ids.length;
		if (!atEnd && need > 0) {
			const filter = validateFilter(parseJson(row.filter, {}));
			const { where, params } = filterConditions(tx.dialect, filter);
			const fresh = await tx.all(
				`SELECT id FROM subscribers WHERE list_id = ? AND status = 'active' AND id > ? AND id <= ?${where.map((w) => ` AND ${w}`).join('')} ORDER BY id LIMIT ?`,
				[row.list_id, cursor, max, ...params, need],
			);
			const freshIds = fresh.map((r) => String(r.id));
			if (freshIds.length) {
				const inserted =
					tx.dialect === 'postgres'
						? await tx.all(
								`INSERT INTO send_log (campaign_id, subscriber_id, state, owner, lease_until, attempts, updated_at)
								 SELECT ?, unnest(?::bigint[]), 'claimed', ?, ?, 0, ?
								 ON CONFLICT (campaign_id, subscriber_id) DO NOTHING RETURNING subscriber_id`,
								[campaignId, freshIds, options.owner, lease, now],
							)
						: await tx.all(
								`INSERT INTO send_log (campaign_id, subscriber_id, state, owner, lease_until, attempts, updated_at)
								 SELECT ?, value, 'claimed', ?, ?, 0, ? FROM json_each(?) WHERE true
								 ON CONFLICT (campaign_id, subscriber_id) DO NOTHING RETURNING subscriber_id`,
								[campaignId, options.owner, lease, now, JSON.stringify(freshIds.map(Number))],
							);
				for (const r of inserted) ids.push(String(r.subscriber_id));
			}
			const reachedEnd = freshIds.length < need;
			const nextCursor = reachedEnd ? max : freshIds[freshIds.length - 1];
			await tx.run('UPDATE campaigns SET next_subscriber_id = ? WHERE id = ?', [
				nextCursor,
				campaignId,
			]);
			atEnd = reachedEnd;
		}
		if (unknownDelta) {
			await tx.run('UPDATE campaigns SET unknown = unknown + ?, updated_at = ? WHERE id = ?', [
				unknownDelta,
				now,
				campaignId,
			]);
		}
		ids.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
		// a short batch means every source ran dry (a full one may have more behind it)
		return {
			status,
			ids,
			exhausted: atEnd && ids.length < options.size,
			recoveredUnknown: stale.changes,
		};
	});
}

export interface ReadyRecipient {
	id: string;
	email: string;
	name: string;
	fields: Record<string, unknown>;
}

export interface MarkResult {
	status: CampaignStatus;
	/** Marked `sending`, in the order given: hand these to SMTP. */
	ready: ReadyRecipient[];
	/** Marked `skipped` (no longer active, suppressed, deleted). */
	skipped: number;
}

/**
 * The check just before sending: reads each claimed subscriber's current status and the
 * suppression list, marks the mailable ones `sending` (committed before any is handed to SMTP)
 * and the others `skipped`, all in one transaction.
 */
export async function markSending(
	store: SqlSubscriberStore,
	campaignId: string,
	ids: string[],
	options: { owner: string; now: number; leaseMs: number },
): Promise<MarkResult> {
	return store.sql.transaction(async (tx) => {
		const row = await lockCampaign(tx, campaignId, 'id, status');
		const status = (row?.status ?? 'cancelled') as CampaignStatus;
		if (status !== 'running') return { status, ready: [], skipped: 0 };
		const now = iso(options.now);
		const d = tx.dialect;
		const subscribers = await tx.all(
			`SELECT id, email, name, fields, status FROM subscribers WHERE id ${inIds(d)}`,
			[idsParam(d, ids)],
		);
		const byId = new Map<string, Row>();
		for (const s of subscribers) byId.set(String(s.id), s);
		const hashes = new Map<string, string>();
		for (const s of subscribers) {
			if (s.status === 'active') hashes.set(String(s.id), store.hashEmail(String(s.email)));
		}
		const suppressed = new Set<string>();
		if (hashes.size) {
			const found = await tx.all(`SELECT hash FROM suppressions WHERE hash ${inTexts(d)}`, [
				textsParam(d, [...hashes.values()]),
			]);
			for (const f of found) suppressed.add(String(f.hash));
		}
		const readyIds: string[] = [];
		const skipReasons = new Map<string, string[]>();
		for (const id of ids) {
			const s = byId.get(id);
			let reason: string | null = null;
			if (!s) reason = 'The subscriber was deleted before it was their turn.';
			else if (s.status !== 'active')
				reason = `The subscriber is ${s.status as SubscriberStatus} (was active when the campaign started).`;
			else if (suppressed.has(hashes.get(id)!)) reason = 'The address is on the suppression list.';
			if (reason === null) readyIds.push(id);
			else skipReasons.set(reason, [...(skipReasons.get(reason) ?? []), id]);
		}
		// a provider that is refusing our mail gets none until it is resumed (providerPause.ts)
		const { go } = await holdPausedRecipients(
			tx,
			campaignId,
			readyIds.map((id) => ({ id, email: String(byId.get(id)!.email) })),
			{ now, owner: options.owner },
		);
		readyIds.splice(0, readyIds.length, ...go.map((recipient) => recipient.id));
		const marked = new Set<string>();
		if (readyIds.length) {
			const rows = await tx.all(
				`UPDATE send_log SET state = 'sending', lease_until = ?, updated_at = ?
				 WHERE campaign_id = ? AND subscriber_id ${inIds(d)} AND state = 'claimed' AND owner = ? RETURNING subscriber_id`,
				[iso(options.now + options.leaseMs), now, campaignId, idsParam(d, readyIds), options.owner],
			);
			for (const r of rows) marked.add(String(r.subscriber_id));
		}
		let skipped = 0;
		for (const [reason, skipIds] of skipReasons) {
			const result = await tx.run(
				`UPDATE send_log SET state = 'skipped', error = ?, lease_until = NULL, updated_at = ?
				 WHERE campaign_id = ? AND subscriber_id ${inIds(d)} AND state = 'claimed' AND owner = ?`,
				[reason, now, campaignId, idsParam(d, skipIds), options.owner],
			);
			skipped += result.changes;
		}
		if (skipped) {
			await tx.run('UPDATE campaigns SET skipped = skipped + ?, updated_at = ? WHERE id = ?', [
				skipped,
				now,
				campaignId,
			]);
		}
		const ready: ReadyRecipient[] = [];
		for (const id of readyIds) {
			if (!marked.has(id)) continue;
			const s = byId.get(id)!;
			ready.push({
				id,
				email: String(s.email),
				name: String(s.name ?? ''),
				fields: parseJson<Record<string, unknown>>(s.fields, {}),
			});
		}
		return { status, ready, skipped };
	});
}

/** One recipient's outcome, as written to the log. */
export interface LogResult {
	subscriberId: string;
	/** `queued`: never handed to SMTP (the run stopped first); sent again by a later run. */
	state: 'sent' | 'failed' | 'unknown' | 'queued';
	attempts: number;
	messageId: string | null;
	response: string | null;
	responseCode: number | null;
	error: string | null;
	/** The refusal by the shared reason rules, applied through the store's bounce policy. */
	bounce: SendBounce | null;
	/** The recipient's address, for the per-provider sender health (empty when unknown). */
	email?: string;
}

export interface FlushOutcome {
	status: CampaignStatus;
	sent: number;
	failed: number;
	unknown: number;
	queued: number;
	bounced: number;
	/** Providers this flush paused (their recipients are held from now on). */
	providersPaused?: ProviderPause[];
}

/**
 * Writes a batch of outcomes (rows this owner has in `sending`) in one transaction: the log
 * rows in one statement, bounces through the store's bounce policy, the counters in one update.
 */
export async function flushResults(
	store: SqlSubscriberStore,
	campaignId: string,
	results: LogResult[],
	options: { owner: string; now: number; actor: Actor; providerPause?: ProviderPausePolicy | false },
): Promise<FlushOutcome> {
	return store.sql.transaction(async (tx) => {
		const row = await lockCampaign(tx, campaignId, 'id, status');
		const outcome: FlushOutcome = {
			status: (row?.status ?? 'cancelled') as CampaignStatus,
			sent: 0,
			failed: 0,
			unknown: 0,
			queued: 0,
			bounced: 0,
		};
		if (!row || !results.length) return outcome;
		const now = iso(options.now);
		const updated = await writeOutcomes(tx, campaignId, results, now, options.owner);
		const written = new Set<string>();
		for (const r of updated) {
			written.add(String(r.subscriber_id));
			outcome[r.state as 'sent' | 'failed' | 'unknown' | 'queued']++;
		}
		const attempts = results.filter((r) => r.state !== 'queued' && r.email && written.has(r.subscriberId));
		outcome.providersPaused = await countProviderOutcomes(
			store,
			tx,
			campaignId,
			attempts.map((r) => ({ email: r.email!, bounce: r.bounce })),
			{ now, policy: options.providerPause ?? false, actor: options.actor },
		);
		for (const result of results) {
			// every kind is recorded with its reason; the policy never holds a sender one against the subscriber
			if (!result.bounce || !written.has(result.subscriberId)) continue;
			await store.applyDeliveryEventIn(
				tx,
				{
					type: result.bounce.kind,
					reason: result.bounce.reason,
					subscriberId: result.subscriberId,
					diagnostic: (result.bounce.diagnostic ?? result.error ?? '').slice(0, 500) || null,
					occurredAt: now,
					source: 'bulk-send',
				},
				options.actor,
			);
			if (result.bounce.kind === 'hard') {
				const marked = await tx.run(
					'UPDATE send_log SET bounced_at = ? WHERE campaign_id = ? AND subscriber_id = ? AND bounced_at IS NULL',
					[now, campaignId, result.subscriberId],
				);
				outcome.bounced += marked.changes;
			}
		}
		if (outcome.sent || outcome.failed || outcome.unknown || outcome.bounced) {
			await tx.run(
				'UPDATE campaigns SET sent = sent + ?, failed = failed + ?, unknown = unknown + ?, bounced = bounced + ?, updated_at = ? WHERE id = ?',
				[outcome.sent, outcome.failed, outcome.unknown, outcome.bounced, now, campaignId],
			);
		}
		return outcome;
	});
}

async function writeOutcomes(
	tx: SqlExecutor,
	campaignId: string,
	results: LogResult[],
	now: string,
	owner: string,
): Promise<Row[]> {
	if (tx.dialect === 'postgres') {
		return tx.all(
			`UPDATE send_log AS l SET state = v.state, attempts = v.attempts, message_id = v.message_id,
			 response = v.response, response_code = v.response_code, error = v.error, lease_until = NULL, updated_at = ?,
			 owner = CASE WHEN v.state = 'queued' THEN NULL ELSE l.owner END
			 FROM unnest(?::bigint[], ?::text[], ?::int[], ?::text[], ?::text[], ?::int[], ?::text[])
			   AS v(subscriber_id, state, attempts, message_id, response, response_code, error)
			 WHERE l.campaign_id = ? AND l.subscriber_id = v.subscriber_id AND l.state = 'sending' AND l.owner = ?
			 RETURNING l.subscriber_id, l.state`,
			[
				now,
				results.map((r) => r.subscriberId),
				results.map((r) => r.state),
				results.map((r) => r.attempts),
				results.map((r) => r.messageId),
				results.map((r) => r.response),
				results.map((r) => r.responseCode),
				results.map((r) => r.error),
				campaignId,
				owner,
			],
		);
	}
	// SQLite: one prepared statement per row inside the transaction (~20 µs each); an
	// UPDATE … FROM json_each is planned as a scan of the whole campaign per row.
	const rows: Row[] = [];
	for (const r of results) {
		const row = await tx.get(
			`UPDATE send_log SET state = ?, attempts = ?, message_id = ?, response = ?, response_code = ?, error = ?,
			 lease_until = NULL, updated_at = ?, owner = CASE WHEN ? = 'queued' THEN NULL ELSE owner END
			 WHERE campaign_id = ? AND subscriber_id = ? AND state = 'sending' AND owner = ? RETURNING subscriber_id, state`,
			[
				r.state,
				r.attempts,
				r.messageId,
				r.response,
				r.responseCode,
				r.error,
				now,
				r.state,
				campaignId,
				r.subscriberId,
				owner,
			],
		);
		if (row) rows.push(row);
	}
	return rows;
}

/** Puts this owner's rows that were marked `sending` but never handed to SMTP back in the queue. */
export async function unmarkSending(
	store: SqlSubscriberStore,
	campaignId: string,
	ids: string[],
	options: { owner: string; now: number },
): Promise<number> {
	if (!ids.length) return 0;
	return store.sql.transaction(async (tx) => {
		await lockCampaign(tx, campaignId, 'id');
		const result = await tx.run(
			`UPDATE send_log SET state = 'queued', owner = NULL, lease_until = NULL, updated_at = ?
			 WHERE campaign_id = ? AND subscriber_id ${inIds(tx.dialect)} AND state = 'sending' AND owner = ?`,
			[iso(options.now), campaignId, idsParam(tx.dialect, ids), options.owner],
		);
		return result.changes;
	});
}

/** Gives back every claim of this owner (the run is ending): the rows wait for the next run. */
export async function releaseClaims(
	store: SqlSubscriberStore,
	campaignId: string,
	options: { owner: string; now: number },
): Promise<number> {
	return store.sql.transaction(async (tx) => {
		await lockCampaign(tx, campaignId, 'id');
		const result = await tx.run(
			`UPDATE ${byState(tx.dialect)} SET state = 'queued', owner = NULL, lease_until = NULL, updated_at = ?
			 WHERE campaign_id = ? AND state = 'claimed' AND owner = ?`,
			[iso(options.now), campaignId, options.owner],
		);
		return result.changes;
	});
}

/** Extends the lease of this owner's claimed and sending rows (a run is alive). */
export async function renewLeases(
	store: SqlSubscriberStore,
	campaignId: string,
	options: { owner: string; now: number; leaseMs: number },
): Promise<void> {
	await store.sql.transaction(async (tx) => {
		await lockCampaign(tx, campaignId, 'id');
		await tx.run(
			`UPDATE ${byState(tx.dialect)} SET lease_until = ? WHERE campaign_id = ? AND state IN ('claimed', 'sending') AND owner = ?`,
			[iso(options.now + options.leaseMs), campaignId, options.owner],
		);
	});
}

export type StartDecision =
	| { run: true; row: Row }
	| { run: false; row: Row; reason: 'not-due' | 'not-runnable' | 'finished' };

/**
 * Moves a due draft/scheduled campaign to running, snapshotting membership (the list's highest
 * subscriber id now) and the number of recipients; a paused one only with `resume`.
 */
export async function startRun(
	store: SqlSubscriberStore,
	campaignId: string,
	options: { now: number; resume: boolean; actor: Actor },
): Promise<StartDecision> {
	return store.sql.transaction(async (tx) => {
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
				await store.audit(tx, options.actor, 'campaign.resume', 'campaign', campaignId, {});
			}
			return { run: true, row };
		}
		// draft, scheduled, or paused before it ever started
		if (row.send_at && Date.parse(String(row.send_at)) > options.now)
			return { run: false, row, reason: 'not-due' };
		const list = await tx.get('SELECT id FROM lists WHERE id = ?', [row.list_id]);
		if (!list) {
			throw new CampaignError(
				`Campaign ${campaignId} cannot start: its list (id ${String(row.list_id)}) no longer exists`,
				'not-found',
			);
		}
		const max = await tx.get(
			'SELECT COALESCE(MAX(id), 0) AS max FROM subscribers WHERE list_id = ?',
			[row.list_id],
		);
		const snapshot = {
			...row,
			max_subscriber_id: max?.max ?? 0,
			next_subscriber_id: 0,
			status: 'running',
		};
		const { remaining } = await countRemaining(tx, snapshot);
		row = (await tx.get(
			`UPDATE campaigns SET status = 'running', pause_reason = NULL, max_subscriber_id = ?, next_subscriber_id = 0,
			 total_recipients = ?, started_at = ?, updated_at = ? WHERE id = ? RETURNING *`,
			[max?.max ?? 0, remaining, now, now, campaignId],
		))!;
		await store.audit(tx, options.actor, 'campaign.start', 'campaign', campaignId, {
			maxSubscriberId: String(max?.max ?? 0),
			recipients: remaining,
		});
		return { run: true, row };
	});
}

/**
 * Ends a run: pauses the campaign if asked (breaker), records an error, and marks it finished
 * when every member has been handled. Returns the campaign row and what remains.
 */
export async function endRun(
	store: SqlSubscriberStore,
	campaignId: string,
	options: { now: number; pauseReason: string | null; lastError: string | null; actor: Actor },
): Promise<{ row: Row; remaining: number; finishedNow: boolean }> {
	return store.sql.transaction(async (tx) => {
		let row = (await lockCampaign(tx, campaignId))!;
		let finishedNow = false;
		const now = iso(options.now);
		if (row.status === 'running' && options.pauseReason) {
			row = (await tx.get(
				"UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE id = ? RETURNING *",
				[options.pauseReason, now, campaignId],
			))!;
			await store.audit(tx, options.actor, 'campaign.pause', 'campaign', campaignId, {
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
				await store.audit(tx, options.actor, 'campaign.finish', 'campaign', campaignId, {
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
export async function sentInLastDay(store: SqlSubscriberStore, now: number): Promise<number> {
	const since = iso(now - 24 * 60 * 60 * 1000);
	const campaigns = await store.sql.all('SELECT id FROM campaigns WHERE updated_at >= ?', [since]);
	let total = 0;
	for (const campaign of campaigns) {
		const row = await store.sql.get(
			`SELECT COUNT(*) AS n FROM ${byState(store.sql.dialect)}
			 WHERE campaign_id = ? AND state IN ('sent', 'failed', 'unknown') AND updated_at >= ?`,
			[campaign.id, since],
		);
		total += Number(row?.n ?? 0);
	}
	return total;
}
