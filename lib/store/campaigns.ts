/**
 * The campaigns table's one writer: a campaign's row, its status changes, its counters and the
 * row lock every campaign transaction starts with (campaign row first, then send-log rows, then
 * subscribers: one lock order everywhere, so PostgreSQL never deadlocks).
 */
import { recordAudit } from './auditLog';
import {
	CAMPAIGN_STATUSES,
	CampaignError,
	type Campaign,
	type CampaignAudience,
	type CampaignCounters,
	type CampaignEventType,
	type CampaignFilter,
	type CampaignSender,
	type CampaignStatus,
	type CampaignTemplate,
} from './campaignTypes';
import type { Row, SqlDriver, SqlExecutor } from './driver';
import { forUpdate } from './dialect';
import { PREPARED } from './postgresDriver';
import { byRowId, checkLimitAs, decodeCursor, isRowId, now, pageOf, parseJson } from './rows';
import type { Actor, Page } from './types';

export const COUNTER_NAMES = [
	'sent',
	'failed',
	'unknown',
	'skipped',
	'bounced',
	'complained',
	'unsubscribed',
	'opened',
	'clicked',
	'delivered',
] as const satisfies ReadonlyArray<keyof CampaignCounters>;

/** The campaign columns the send path reads on every batch (not the template, which is large). */
export const RUN_COLUMNS = 'id, status, list_id, filter, audience, max_subscriber_id, next_subscriber_id';

const CAMPAIGN_ID = /^\d{1,18}$/;

export function checkCampaignId(id: unknown): string {
	const text = String(id ?? '').trim();
	if (!CAMPAIGN_ID.test(text)) {
		throw new CampaignError(`'${text.slice(0, 40)}' is not a campaign id (a whole number)`, 'invalid');
	}
	return text;
}

export function isCampaignId(value: unknown): value is string {
	return typeof value === 'string' && CAMPAIGN_ID.test(value);
}

export function toCampaign(row: Row): Campaign {
	const counters = {} as CampaignCounters;
	for (const name of COUNTER_NAMES) counters[name] = Number(row[name] ?? 0);
	counters.senderRefused = Number(row.sender_refused ?? 0);
	return {
		id: String(row.id),
		name: String(row.name),
		listId: String(row.list_id),
		audience: audienceOf(row),
		filter: parseJson(row.filter, {}),
		template: parseJson<CampaignTemplate>(row.template, {
			spec: { subject: '', from: '' },
			options: {},
		}),
		sender: parseJson<CampaignSender>(row.sender, {}),
		status: row.status as CampaignStatus,
		sendAt: (row.send_at as string | null) ?? null,
		maxSubscriberId:
			row.max_subscriber_id === null || row.max_subscriber_id === undefined ? null : String(row.max_subscriber_id),
		totalRecipients:
			row.total_recipients === null || row.total_recipients === undefined ? null : Number(row.total_recipients),
		counters,
		pauseReason: (row.pause_reason as string | null) ?? null,
		lastError: (row.last_error as string | null) ?? null,
		createdAt: String(row.created_at),
		updatedAt: String(row.updated_at),
		startedAt: (row.started_at as string | null) ?? null,
		finishedAt: (row.finished_at as string | null) ?? null,
		createKey: (row.create_key as string | null | undefined) ?? null,
	};
}

/**
 * The campaign's audience from its row: schema 9's `audience` column, or for a campaign made
 * before it (column empty) its one list.
 */
export function audienceOf(row: Row): CampaignAudience {
	const stored = parseJson<Partial<CampaignAudience>>(row.audience, {});
	return {
		listIds: Array.isArray(stored.listIds) ? stored.listIds.map(String) : [String(row.list_id)],
		segment: stored.segment ?? null,
		followUp: stored.followUp ?? null,
		timeZone: stored.timeZone ?? null,
		frozen: stored.frozen ?? null,
	};
}

export function validateFilter(filter: unknown): CampaignFilter {
	if (filter === undefined || filter === null) return {};
	if (typeof filter !== 'object' || Array.isArray(filter)) {
		throw new CampaignError('The campaign filter must be an object with search and/or field', 'invalid');
	}
	const input = filter as Record<string, unknown>;
	const unknownKeys = Object.keys(input).filter((key) => key !== 'search' && key !== 'field');
	if (unknownKeys.length) {
		throw new CampaignError(
			`The campaign filter has unknown keys (${unknownKeys.join(', ')}); use search and/or field`,
			'invalid',
		);
	}
	const result: CampaignFilter = {};
	if (input.search !== undefined && input.search !== null && input.search !== '') {
		if (typeof input.search !== 'string') {
			throw new CampaignError('The filter search must be text', 'invalid');
		}
		result.search = input.search;
	}
	if (input.field !== undefined && input.field !== null) {
		const field = input.field as Record<string, unknown>;
		if (typeof field !== 'object' || typeof field.name !== 'string' || !field.name.trim()) {
			throw new CampaignError('The filter field needs a name (the custom field) and a value', 'invalid');
		}
		if (field.value === undefined || field.value === null || typeof field.value === 'object') {
			throw new CampaignError(`The filter field '${field.name}' needs a value (text)`, 'invalid');
		}
		result.field = { name: field.name.trim(), value: String(field.value) };
	}
	return result;
}

/**
 * Locks the campaign row for the rest of the transaction (PostgreSQL; SQLite's BEGIN IMMEDIATE
 * already serialises) and reads `columns` of it.
 */
export async function lockCampaign(db: SqlExecutor, id: string, columns = '*'): Promise<Row | undefined> {
	return db.get(`SELECT ${columns} FROM campaigns WHERE id = ?${forUpdate(db.dialect)}`, [id]);
}

/**
 * Locks the campaigns a batch of events touches, in id order, before any subscriber row: the
 * order every campaign transaction uses, so concurrent batches and send runs cannot deadlock.
 */
export async function lockCampaigns(db: SqlExecutor, campaignIds: Iterable<string | null>, options: { history?: boolean } = {}): Promise<void> {
	if (db.dialect !== 'postgres') return; // SQLite transactions are already serialised
	const ids = lockOrder(campaignIds);
	for (const id of ids) await lockCampaign(db, id);
	if (options.history) await takeHistoryLocks(db, ids);
}

const lockOrder = (campaignIds: Iterable<string | null>): string[] => [...new Set([...campaignIds].filter(isCampaignId))].sort(byRowId);

/**
 * The campaigns' history locks, in id order, held to the end of the transaction. A transaction
 * that writes the report rollups or the recipients' marks (lib/store reportHistory) holds them,
 * so a batch reads the marks and writes their changes with no other batch in between. They are
 * not the campaign rows' locks, so the Bounce Webhook can record a batch's history in a short
 * transaction of its own while the next request counts its events under the campaign lock
 * (SqlSubscriberStore.recordCampaignHistory). Order: campaign rows first, then these, then send
 * log rows: a transaction that writes send log rows and then the history (the pixel, the click
 * redirect, a send run's flush) takes them right after the campaign row
 * (`lockCampaigns(…, { history: true })`); taken later, it could wait for a history transaction
 * that waits for one of its rows. SQLite: nothing to take (one writer).
 */
export async function lockCampaignHistories(db: SqlExecutor, campaignIds: Iterable<string | null>): Promise<void> {
	if (db.dialect !== 'postgres') return;
	await takeHistoryLocks(db, lockOrder(campaignIds));
}

/** The history locks of campaign ids already in lock order (PostgreSQL). */
async function takeHistoryLocks(db: SqlExecutor, orderedIds: string[]): Promise<void> {
	for (const id of orderedIds) {
		await db.get(`${PREPARED} SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':bm-history:' || ?::text, 0))`, [id]);
	}
}

/** What a new campaign row holds (validated by lib/campaign createCampaign). */
export interface NewCampaign {
	name: string;
	/** The audience's first list (a follow-up: the followed campaign's). */
	listId: string;
	audience: Omit<CampaignAudience, 'frozen'>;
	filter: CampaignFilter;
	template: CampaignTemplate;
	sender: CampaignSender;
	sendAt: string | null;
	createKey: string | null;
}

/**
 * Inserts a campaign (`scheduled` with a send-at time, else `draft`). With a key, a concurrent
 * insert of the same key waits on the unique index and then inserts nothing (both SQLite and
 * PostgreSQL), so exactly one campaign exists per key: that one is returned, `created: false`.
 */
export async function insertCampaign(
	driver: SqlDriver,
	input: NewCampaign,
	actor: Actor,
): Promise<Campaign & { created: boolean }> {
	const at = now();
	return driver.transaction(async (tx) => {
		const row = await tx.get(
			`INSERT INTO campaigns (name, list_id, audience, filter, template, sender, status, send_at, created_by, created_at, updated_at, create_key)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (create_key) WHERE create_key IS NOT NULL DO NOTHING RETURNING *`,
			[
				input.name,
				input.listId,
				JSON.stringify({ ...input.audience, frozen: null }),
				JSON.stringify(input.filter),
				JSON.stringify(input.template),
				JSON.stringify(input.sender),
				input.sendAt ? 'scheduled' : 'draft',
				input.sendAt,
				JSON.stringify(actor),
				at,
				at,
				input.createKey,
			],
		);
		if (!row) {
			const existing = await tx.get('SELECT * FROM campaigns WHERE create_key = ?', [input.createKey]);
			if (!existing) throw new CampaignError(`The campaign with key '${input.createKey}' could not be read back`, 'invalid');
			return { ...toCampaign(existing), created: false };
		}
		const campaign = toCampaign(row);
		await recordAudit(tx, actor, 'campaign.create', 'campaign', campaign.id, {
			name: input.name,
			listId: input.listId,
			...(input.audience.listIds.length > 1 ? { listIds: input.audience.listIds } : {}),
			...(input.audience.segment ? { segment: input.audience.segment.segmentId ?? 'inline' } : {}),
			...(input.audience.followUp ? { followUp: input.audience.followUp } : {}),
			sendAt: input.sendAt,
			...(input.createKey ? { createKey: input.createKey } : {}),
		});
		return { ...campaign, created: true };
	});
}

export async function getCampaign(db: SqlExecutor, id: string): Promise<Campaign | null> {
	if (!CAMPAIGN_ID.test(String(id ?? '').trim())) return null;
	const row = await db.get('SELECT * FROM campaigns WHERE id = ?', [String(id).trim()]);
	return row ? toCampaign(row) : null;
}

export async function campaignExists(db: SqlExecutor, id: string): Promise<boolean> {
	return Boolean(await db.get('SELECT id FROM campaigns WHERE id = ?', [id]));
}

export async function listCampaigns(
	db: SqlExecutor,
	options: { status?: CampaignStatus | CampaignStatus[]; listId?: string; limit?: number; cursor?: string | null } = {},
): Promise<Page<Campaign>> {
	const limit = checkLimitAs(options.limit ?? 100, CampaignError);
	const where: string[] = [];
	const params: unknown[] = [];
	const statuses = options.status === undefined ? [] : ([] as CampaignStatus[]).concat(options.status);
	for (const status of statuses) {
		if (!CAMPAIGN_STATUSES.includes(status)) {
			throw new CampaignError(`'${status}' is not a campaign status; use one of ${CAMPAIGN_STATUSES.join(', ')}`, 'invalid');
		}
	}
	if (statuses.length) {
		where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
		params.push(...statuses);
	}
	if (options.listId !== undefined) {
		where.push('list_id = ?');
		params.push(isRowId(options.listId) ? String(options.listId) : '-1');
	}
	const after = decodeCursor(options.cursor);
	if (after) {
		where.push('id > ?');
		params.push(after);
	}
	const rows = await db.all(
		`SELECT * FROM campaigns ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
		[...params, limit + 1],
	);
	return pageOf(rows, limit, toCampaign, (campaign) => campaign.id);
}

/** The columns a status change may set. */
export interface CampaignStatusChange {
	status: CampaignStatus;
	pauseReason?: string | null;
	sendAt?: string | null;
	finishedAt?: string | null;
}

/** A status change decided by a caller's rule, with the audit entry that records it. */
export interface DecidedChange {
	set: CampaignStatusChange;
	audit: { action: string; details: Record<string, unknown> };
}

/**
 * Locks the campaign, lets `decide` (lib/campaign's rule for pause, resume, cancel, schedule)
 * look at it and either keep it (null) or change it, writes the change with its audit entry and
 * returns the campaign as it is afterwards. `decide` may throw to refuse.
 */
export async function changeCampaign(
	driver: SqlDriver,
	id: string,
	decide: (campaign: Campaign) => DecidedChange | null,
	actor: Actor,
): Promise<Campaign> {
	return driver.transaction(async (tx) => {
		const row = await lockCampaign(tx, checkCampaignId(id));
		if (!row) throw new CampaignError(`There is no campaign with id '${id}'`, 'not-found');
		const current = toCampaign(row);
		const change = decide(current);
		if (!change) return current;
		const columns: string[] = ['status = ?'];
		const params: unknown[] = [change.set.status];
		if (change.set.pauseReason !== undefined) {
			columns.push('pause_reason = ?');
			params.push(change.set.pauseReason);
		}
		if (change.set.sendAt !== undefined) {
			columns.push('send_at = ?');
			params.push(change.set.sendAt);
		}
		if (change.set.finishedAt !== undefined) {
			columns.push('finished_at = ?');
			params.push(change.set.finishedAt);
		}
		const updated = await tx.get(`UPDATE campaigns SET ${columns.join(', ')}, updated_at = ? WHERE id = ? RETURNING *`, [
			...params,
			change.set.finishedAt ?? now(),
			current.id,
		]);
		await recordAudit(tx, actor, change.audit.action, 'campaign', current.id, change.audit.details);
		return toCampaign(updated as Row);
	});
}

/** Adds `by` to one of the campaign's counters. */
export async function addToCounter(
	db: SqlExecutor,
	campaignId: string,
	counter: CampaignEventType,
	by: number,
	at = now(),
): Promise<void> {
	if (!COUNTER_NAMES.includes(counter)) throw new CampaignError(`'${String(counter)}' is not a campaign counter`, 'invalid');
	await db.run(`UPDATE campaigns SET ${counter} = ${counter} + ?, updated_at = ? WHERE id = ?`, [by, at, campaignId]);
}

/** The figures the complaint-rate brake judges by. */
export async function complaintFigures(
	db: SqlExecutor,
	campaignId: string,
): Promise<{ status: CampaignStatus; sent: number; bounced: number; complained: number; delivered: number } | null> {
	const row = await db.get('SELECT status, sent, bounced, complained, delivered FROM campaigns WHERE id = ?', [campaignId]);
	if (!row) return null;
	return {
		status: row.status as CampaignStatus,
		sent: Number(row.sent),
		bounced: Number(row.bounced),
		complained: Number(row.complained),
		delivered: Number(row.delivered),
	};
}

/** Pauses a campaign inside the caller's transaction (the complaint-rate brake), audited. */
export async function pauseCampaignIn(
	db: SqlExecutor,
	campaignId: string,
	reason: string,
	actor: Actor,
	details: Record<string, unknown>,
): Promise<void> {
	await db.run("UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE id = ?", [reason, now(), campaignId]);
	await recordAudit(db, actor, 'campaign.pause', 'campaign', campaignId, details);
}
