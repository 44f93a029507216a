import { compileTemplate } from '../compose/compile';
import { ComposeError } from '../compose/errors';
import type { SqlExecutor, Row } from '../store/driver';
import type { SqlSubscriberStore } from '../store/sqlStore';
import type { Actor, Page } from '../store/types';
import { pausedProviders, type ProviderPause } from '../store/providerPauses';
import {
	CampaignError,
	checkCampaignId,
	checkLimit,
	decodeCursor,
	encodeCursor,
	filterConditions,
	lockCampaign,
	parseJson,
	validateFilter,
} from './sql';
import {
	CAMPAIGN_STATUSES,
	RECIPIENT_STATES,
	type Campaign,
	type CampaignCounters,
	type CampaignInput,
	type CampaignProgress,
	type CampaignSender,
	type CampaignStatus,
	type CampaignTemplate,
	type RecipientEntry,
	type RecipientState,
	type StoredComposeOptions,
} from './types';

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

const MAX_NAME = 200;
/** Only used to check that a template with signed links compiles; never stored or sent. */
const VALIDATION_SECRET = 'campaign-validation-only-secret';

export function toCampaign(row: Row): Campaign {
	const counters = {} as CampaignCounters;
	for (const name of COUNTER_NAMES) counters[name] = Number(row[name] ?? 0);
	counters.senderRefused = Number(row.sender_refused ?? 0);
	return {
		id: String(row.id),
		name: String(row.name),
		listId: String(row.list_id),
		filter: parseJson(row.filter, {}),
		template: parseJson<CampaignTemplate>(row.template, {
			spec: { subject: '', from: '' },
			options: {},
		}),
		sender: parseJson<CampaignSender>(row.sender, {}),
		status: row.status as CampaignStatus,
		sendAt: (row.send_at as string | null) ?? null,
		maxSubscriberId:
			row.max_subscriber_id === null || row.max_subscriber_id === undefined
				? null
				: String(row.max_subscriber_id),
		totalRecipients:
			row.total_recipients === null || row.total_recipients === undefined
				? null
				: Number(row.total_recipients),
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

function parseSendAt(value: unknown): string | null {
	if (value === undefined || value === null || value === '') return null;
	const time = value instanceof Date ? value.getTime() : Date.parse(String(value));
	if (!Number.isFinite(time)) {
		throw new CampaignError(
			`The send-at time '${String(value).slice(0, 60)}' is not a date and time; use ISO 8601 such as 2026-12-01T09:00:00Z`,
			'invalid',
		);
	}
	return new Date(time).toISOString();
}

function storedComposeOptions(options: unknown): StoredComposeOptions {
	if (options === undefined || options === null) return {};
	if (typeof options !== 'object' || Array.isArray(options)) {
		throw new CampaignError('Compose options must be an object', 'invalid');
	}
	if (
		'secret' in (options as Record<string, unknown>) &&
		(options as Record<string, unknown>).secret
	) {
		throw new CampaignError(
			'The link-signing secret is not stored with a campaign: leave it out of the compose options and give it to each run (composeSecret)',
			'invalid',
		);
	}
	const { secret: _secret, ...rest } = options as Record<string, unknown>;
	return rest as StoredComposeOptions;
}

/** The sender settings without anything secret (password, DKIM key, CA, Redis URL). */
export function storedSender(sender: CampaignInput['sender']): CampaignSender {
	if (!sender) return {};
	const result: CampaignSender = {};
	if (sender.smtp) {
		const {
			password: _p,
			dkim,
			caCertificates: _ca,
			...smtp
		} = sender.smtp as Record<string, unknown> & {
			dkim?: { domainName: string; keySelector: string };
		};
		result.smtp = {
			...(smtp as unknown as CampaignSender['smtp'] & object),
			...(dkim ? { dkim: { domainName: dkim.domainName, keySelector: dkim.keySelector } } : {}),
		};
	}
	if (sender.limiter) {
		const { redis, now: _now, ...limits } = sender.limiter;
		result.limiter = { ...limits, ...(redis?.id ? { redisId: redis.id } : {}) };
	}
	if (sender.retry) result.retry = { ...sender.retry };
	if (sender.breaker !== undefined)
		result.breaker = sender.breaker === false ? false : { ...sender.breaker };
	return result;
}

async function audit(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	actor: Actor,
	action: string,
	id: string,
	details: Record<string, unknown>,
): Promise<void> {
	await store.audit(tx, actor, action, 'campaign', id, details);
}

/**
 * Creates a campaign (status `draft`, or `scheduled` with a send-at time). The template is
 * compiled once here so a broken template fails now, naming the problem, not at send time.
 */
export async function createCampaign(
	store: SqlSubscriberStore,
	input: CampaignInput,
	actor: Actor,
): Promise<Campaign & { created: boolean }> {
	if (!input || typeof input !== 'object')
		throw new CampaignError('Campaign details are missing', 'invalid');
	const name = String(input.name ?? '').trim();
	if (!name) throw new CampaignError('The campaign name is empty', 'invalid');
	if (name.length > MAX_NAME)
		throw new CampaignError(`The campaign name is longer than ${MAX_NAME} characters`, 'invalid');
	const list = await store.getList(String(input.listId ?? ''));
	if (!list)
		throw new CampaignError(`There is no list '${String(input.listId ?? '')}'`, 'not-found');
	const filter = validateFilter(input.filter);
	const options = storedComposeOptions(input.composeOptions);
	if (!input.template || typeof input.template !== 'object') {
		throw new CampaignError(
			'The campaign needs a template: { subject, html and/or text, from }',
			'invalid',
		);
	}
	try {
		compileTemplate(input.template, {
			...options,
			secret: options.baseUrl ? VALIDATION_SECRET : undefined,
		});
	} catch (error) {
		if (error instanceof ComposeError)
			throw new CampaignError(`The campaign template is not valid: ${error.message}`, 'invalid');
		throw error;
	}
	const template: CampaignTemplate = { spec: { ...input.template }, options };
	const sender = storedSender(input.sender);
	const sendAt = parseSendAt(input.sendAt);
	const createKey = checkCreateKey(input.createKey);
	const at = new Date().toISOString();
	return store.sql.transaction(async (tx) => {
		// With a key, a concurrent Create of the same key waits on the unique index and then
		// inserts nothing (both SQLite and PostgreSQL), so exactly one campaign exists per key.
		const row = await tx.get(
			`INSERT INTO campaigns (name, list_id, filter, template, sender, status, send_at, created_by, created_at, updated_at, create_key)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (create_key) WHERE create_key IS NOT NULL DO NOTHING RETURNING *`,
			[
				name,
				list.id,
				JSON.stringify(filter),
				JSON.stringify(template),
				JSON.stringify(sender),
				sendAt ? 'scheduled' : 'draft',
				sendAt,
				JSON.stringify(actor),
				at,
				at,
				createKey,
			],
		);
		if (!row) {
			const existing = await tx.get('SELECT * FROM campaigns WHERE create_key = ?', [createKey]);
			if (!existing) throw new CampaignError(`The campaign with key '${createKey}' could not be read back`, 'invalid');
			return { ...toCampaign(existing), created: false };
		}
		const campaign = toCampaign(row);
		await audit(store, tx, actor, 'campaign.create', campaign.id, {
			name,
			listId: list.id,
			sendAt,
			...(createKey ? { createKey } : {}),
		});
		return { ...campaign, created: true };
	});
}

const MAX_CREATE_KEY = 200;

function checkCreateKey(value: unknown): string | null {
	if (value === undefined || value === null) return null;
	const key = String(value).trim();
	if (!key) return null;
	if (key.length > MAX_CREATE_KEY)
		throw new CampaignError(`The campaign key is longer than ${MAX_CREATE_KEY} characters`, 'invalid');
	return key;
}

export async function getCampaign(store: SqlSubscriberStore, id: string): Promise<Campaign | null> {
	if (!/^\d{1,18}$/.test(String(id ?? '').trim())) return null;
	const row = await store.sql.get('SELECT * FROM campaigns WHERE id = ?', [String(id).trim()]);
	return row ? toCampaign(row) : null;
}

async function requireCampaign(tx: SqlExecutor, id: string): Promise<Row> {
	const row = await lockCampaign(tx, checkCampaignId(id));
	if (!row) throw new CampaignError(`There is no campaign with id '${id}'`, 'not-found');
	return row;
}

export async function listCampaigns(
	store: SqlSubscriberStore,
	options: {
		status?: CampaignStatus | CampaignStatus[];
		listId?: string;
		limit?: number;
		cursor?: string | null;
	} = {},
): Promise<Page<Campaign>> {
	const limit = checkLimit(options.limit ?? 100);
	const where: string[] = [];
	const params: unknown[] = [];
	const statuses =
		options.status === undefined ? [] : ([] as CampaignStatus[]).concat(options.status);
	for (const status of statuses) {
		if (!CAMPAIGN_STATUSES.includes(status)) {
			throw new CampaignError(
				`'${status}' is not a campaign status; use one of ${CAMPAIGN_STATUSES.join(', ')}`,
				'invalid',
			);
		}
	}
	if (statuses.length) {
		where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
		params.push(...statuses);
	}
	if (options.listId !== undefined) {
		where.push('list_id = ?');
		params.push(/^\d+$/.test(String(options.listId)) ? String(options.listId) : '-1');
	}
	const after = decodeCursor(options.cursor);
	if (after) {
		where.push('id > ?');
		params.push(after);
	}
	const rows = await store.sql.all(
		`SELECT * FROM campaigns ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
		[...params, limit + 1],
	);
	const items = rows.slice(0, limit).map(toCampaign);
	return { items, next: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null };
}

/** Stops a running or scheduled campaign; runs in progress stop after their in-flight messages. */
export async function pauseCampaign(
	store: SqlSubscriberStore,
	id: string,
	actor: Actor,
	reason = 'Paused by request',
): Promise<Campaign> {
	return store.sql.transaction(async (tx) => {
		const row = await requireCampaign(tx, id);
		const status = row.status as CampaignStatus;
		if (status === 'paused') return toCampaign(row);
		if (status !== 'running' && status !== 'scheduled' && status !== 'draft') {
			throw new CampaignError(
				`Campaign ${String(row.id)} is ${status}; only a draft, scheduled or running campaign can be paused`,
				'conflict',
			);
		}
		const updated = await tx.get(
			"UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE id = ? RETURNING *",
			[String(reason).slice(0, 1000), new Date().toISOString(), row.id],
		);
		await audit(store, tx, actor, 'campaign.pause', String(row.id), { from: status, reason });
		return toCampaign(updated as Row);
	});
}

/** Makes a paused campaign runnable again (it sends on its next run). */
export async function resumeCampaign(
	store: SqlSubscriberStore,
	id: string,
	actor: Actor,
): Promise<Campaign> {
	return store.sql.transaction(async (tx) => {
		const row = await requireCampaign(tx, id);
		const status = row.status as CampaignStatus;
		if (status !== 'paused') {
			if (status === 'running' || status === 'scheduled' || status === 'draft')
				return toCampaign(row);
			throw new CampaignError(
				`Campaign ${String(row.id)} is ${status} and cannot be resumed`,
				'conflict',
			);
		}
		const next: CampaignStatus = row.started_at ? 'running' : row.send_at ? 'scheduled' : 'draft';
		const updated = await tx.get(
			'UPDATE campaigns SET status = ?, pause_reason = NULL, updated_at = ? WHERE id = ? RETURNING *',
			[next, new Date().toISOString(), row.id],
		);
		await audit(store, tx, actor, 'campaign.resume', String(row.id), { to: next });
		return toCampaign(updated as Row);
	});
}

/** Ends a campaign for good: nobody else is mailed (messages already in flight finish). */
export async function cancelCampaign(
	store: SqlSubscriberStore,
	id: string,
	actor: Actor,
): Promise<Campaign> {
	return store.sql.transaction(async (tx) => {
		const row = await requireCampaign(tx, id);
		const status = row.status as CampaignStatus;
		if (status === 'cancelled') return toCampaign(row);
		if (status === 'finished') {
			throw new CampaignError(
				`Campaign ${String(row.id)} has finished; there is nothing left to cancel`,
				'conflict',
			);
		}
		const at = new Date().toISOString();
		const updated = await tx.get(
			"UPDATE campaigns SET status = 'cancelled', updated_at = ?, finished_at = ? WHERE id = ? RETURNING *",
			[at, at, row.id],
		);
		await audit(store, tx, actor, 'campaign.cancel', String(row.id), { from: status });
		return toCampaign(updated as Row);
	});
}

/** Sets or clears the send-at time of a campaign that has not started. */
export async function scheduleCampaign(
	store: SqlSubscriberStore,
	id: string,
	sendAt: string | Date | null,
	actor: Actor,
): Promise<Campaign> {
	const at = parseSendAt(sendAt);
	return store.sql.transaction(async (tx) => {
		const row = await requireCampaign(tx, id);
		const status = row.status as CampaignStatus;
		if (status !== 'draft' && status !== 'scheduled' && !(status === 'paused' && !row.started_at)) {
			throw new CampaignError(
				`Campaign ${String(row.id)} is ${status}; only a campaign that has not started can be scheduled`,
				'conflict',
			);
		}
		const next: CampaignStatus = status === 'paused' ? 'paused' : at ? 'scheduled' : 'draft';
		const updated = await tx.get(
			'UPDATE campaigns SET send_at = ?, status = ?, updated_at = ? WHERE id = ? RETURNING *',
			[at, next, new Date().toISOString(), row.id],
		);
		await audit(store, tx, actor, 'campaign.schedule', String(row.id), { sendAt: at });
		return toCampaign(updated as Row);
	});
}

/** Members the campaign has not reached yet (keyset part: beyond the claim cursor). */
export async function countUnclaimedMembers(tx: SqlExecutor, row: Row): Promise<number> {
	const filter = validateFilter(parseJson(row.filter, {}));
	const { where, params } = filterConditions(tx.dialect, filter);
	const conditions = ['list_id = ?', "status = 'active'", 'id > ?', ...where];
	const args: unknown[] = [row.list_id, row.next_subscriber_id ?? 0, ...params];
	if (row.max_subscriber_id !== null && row.max_subscriber_id !== undefined) {
		conditions.push('id <= ?');
		args.push(row.max_subscriber_id);
	}
	const count = await tx.get(
		`SELECT COUNT(*) AS n FROM subscribers WHERE ${conditions.join(' AND ')}`,
		args,
	);
	return Number(count?.n ?? 0);
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

/** The campaign with its counters and progress. */
export async function campaignStatus(
	store: SqlSubscriberStore,
	id: string,
): Promise<CampaignProgress> {
	const row = await store.sql.get('SELECT * FROM campaigns WHERE id = ?', [checkCampaignId(id)]);
	if (!row) throw new CampaignError(`There is no campaign with id '${id}'`, 'not-found');
	const campaign = toCampaign(row);
	const { remaining, inFlight, held } = await countRemaining(store.sql, row);
	const providerPauses = [...(await pausedProviders(store.sql, campaign.id)).values()];
	const c = campaign.counters;
	const handled = c.sent + c.failed + c.unknown + c.skipped;
	const progressPct =
		handled + remaining === 0 ? 100 : Math.floor((handled * 10000) / (handled + remaining)) / 100;
	return {
		campaign,
		counters: c,
		handled,
		remaining,
		inFlight,
		progressPct,
		message: describeStatus(campaign, remaining, providerPauses, held),
		providerPauses,
		held,
	};
}

export function describeStatus(
	campaign: Campaign,
	remaining: number,
	providerPauses: ProviderPause[] = [],
	held = 0,
): string {
	const status = describeRunStatus(campaign, remaining);
	if (!providerPauses.length || campaign.status === 'finished' || campaign.status === 'cancelled') return status;
	const pauses = providerPauses.map((pause) => pause.reason).join(' ');
	return `${status} Not sending to ${providerPauses.map((pause) => pause.name).join(', ')} (${held} recipients held): ${pauses}. Start with Resume Paused Providers sends to them again.`;
}

function describeRunStatus(campaign: Campaign, remaining: number): string {
	const c = campaign.counters;
	const done = `${c.sent} sent, ${c.failed} failed, ${c.unknown} unknown, ${c.skipped} skipped`;
	switch (campaign.status) {
		case 'draft':
			return `Draft: ${remaining} recipients would be mailed when it starts.`;
		case 'scheduled':
			return `Scheduled for ${campaign.sendAt}: ${remaining} recipients.`;
		case 'running':
			return `Running: ${done}; ${remaining} to go.`;
		case 'paused':
			return `Paused (${campaign.pauseReason ?? 'no reason given'}): ${done}; ${remaining} to go.`;
		case 'cancelled':
			return `Cancelled: ${done}.`;
		case 'finished':
			return `Finished: ${done}.`;
	}
}

function toRecipient(row: Row): RecipientEntry {
	const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
	return {
		subscriberId: String(row.subscriber_id),
		email: text(row.email),
		name: text(row.name),
		state: row.state as RecipientState,
		attempts: Number(row.attempts ?? 0),
		messageId: text(row.message_id),
		response: text(row.response),
		responseCode:
			row.response_code === null || row.response_code === undefined
				? null
				: Number(row.response_code),
		error: text(row.error),
		openedAt: text(row.opened_at),
		clickedAt: text(row.clicked_at),
		bouncedAt: text(row.bounced_at),
		complainedAt: text(row.complained_at),
		unsubscribedAt: text(row.unsubscribed_at),
		deliveredAt: text(row.delivered_at),
		updatedAt: String(row.updated_at),
	};
}

/** Per-recipient states from the send log, in subscriber order, paged (keyset). */
export async function getRecipients(
	store: SqlSubscriberStore,
	id: string,
	options: {
		state?: RecipientState | RecipientState[];
		limit?: number;
		cursor?: string | null;
	} = {},
): Promise<Page<RecipientEntry>> {
	const campaignId = checkCampaignId(id);
	const limit = checkLimit(options.limit ?? 100);
	const states = options.state === undefined ? [] : ([] as RecipientState[]).concat(options.state);
	for (const state of states) {
		if (!RECIPIENT_STATES.includes(state)) {
			throw new CampaignError(
				`'${state}' is not a recipient state; use one of ${RECIPIENT_STATES.join(', ')}`,
				'invalid',
			);
		}
	}
	const exists = await store.sql.get('SELECT id FROM campaigns WHERE id = ?', [campaignId]);
	if (!exists) throw new CampaignError(`There is no campaign with id '${campaignId}'`, 'not-found');
	const where = ['l.campaign_id = ?'];
	const params: unknown[] = [campaignId];
	if (states.length) {
		where.push(`l.state IN (${states.map(() => '?').join(', ')})`);
		params.push(...states);
	}
	const after = decodeCursor(options.cursor);
	if (after) {
		where.push('l.subscriber_id > ?');
		params.push(after);
	}
	// one state: walk the state index in subscriber order (SQLite's planner would walk the whole
	// campaign by primary key and filter)
	const index =
		states.length === 1 && store.sql.dialect === 'sqlite' ? ' INDEXED BY send_log_state' : '';
	const rows = await store.sql.all(
		`SELECT l.*, s.email, s.name FROM send_log l${index}
		 LEFT JOIN subscribers s ON s.id = l.subscriber_id
		 WHERE ${where.join(' AND ')} ORDER BY l.subscriber_id LIMIT ?`,
		[...params, limit + 1],
	);
	const items = rows.slice(0, limit).map(toRecipient);
	return {
		items,
		next: rows.length > limit ? encodeCursor(items[items.length - 1].subscriberId) : null,
	};
}

export type CampaignEventType =
	'opened' | 'clicked' | 'bounced' | 'complained' | 'unsubscribed' | 'delivered';

const EVENT_COLUMNS: Record<CampaignEventType, string> = {
	opened: 'opened_at',
	clicked: 'clicked_at',
	bounced: 'bounced_at',
	complained: 'complained_at',
	unsubscribed: 'unsubscribed_at',
	delivered: 'delivered_at',
};

/**
 * Counts an event against a campaign (the Bounce Webhook calls this for events that carry the
 * campaign and subscriber ids). Each kind counts once per recipient: a second open of the same
 * message changes nothing. Returns whether it counted. Use inside the caller's transaction.
 */
export async function recordCampaignEventIn(
	tx: SqlExecutor,
	event: { campaignId: string; subscriberId: string; type: CampaignEventType; occurredAt?: string },
): Promise<boolean> {
	const column = EVENT_COLUMNS[event.type];
	if (!column)
		throw new CampaignError(
			`'${String(event.type)}' is not a campaign event; use one of ${Object.keys(EVENT_COLUMNS).join(', ')}`,
			'invalid',
		);
	if (
		!/^\d{1,18}$/.test(String(event.campaignId)) ||
		!/^\d{1,18}$/.test(String(event.subscriberId))
	)
		return false;
	const at = event.occurredAt ? new Date(event.occurredAt).toISOString() : new Date().toISOString();
	// the campaign row first, as every engine transaction does, so PostgreSQL never deadlocks
	if (!(await lockCampaign(tx, String(event.campaignId), 'id'))) return false;
	const changed = await tx.run(
		`UPDATE send_log SET ${column} = ? WHERE campaign_id = ? AND subscriber_id = ? AND ${column} IS NULL`,
		[at, event.campaignId, event.subscriberId],
	);
	if (!changed.changes) return false;
	const counter = event.type;
	await tx.run(`UPDATE campaigns SET ${counter} = ${counter} + 1, updated_at = ? WHERE id = ?`, [
		new Date().toISOString(),
		event.campaignId,
	]);
	return true;
}

export async function recordCampaignEvent(
	store: SqlSubscriberStore,
	event: { campaignId: string; subscriberId: string; type: CampaignEventType; occurredAt?: string },
): Promise<boolean> {
	return store.sql.transaction((tx) => recordCampaignEventIn(tx, event));
}
