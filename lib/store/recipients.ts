/**
 * The send log read per recipient (the Recipients operation) and the engagement marks on it
 * (opened, clicked, delivered, …), each counted once per recipient.
 */
import { CampaignError, type CampaignEventType, type RecipientEntry, type RecipientState } from './campaignTypes';
import { addToCounter, isCampaignId, lockCampaign } from './campaigns';
import type { Row, SqlExecutor } from './driver';
import { decodeCursor, pageOf } from './rows';
import type { Page } from './types';

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
		responseCode: row.response_code === null || row.response_code === undefined ? null : Number(row.response_code),
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

/** Per-recipient states from the send log, in subscriber order, paged (keyset); states checked by the caller. */
export async function recipientPage(
	db: SqlExecutor,
	campaignId: string,
	states: RecipientState[],
	limit: number,
	cursor: string | null | undefined,
): Promise<Page<RecipientEntry>> {
	const where = ['l.campaign_id = ?'];
	const params: unknown[] = [campaignId];
	if (states.length) {
		where.push(`l.state IN (${states.map(() => '?').join(', ')})`);
		params.push(...states);
	}
	const after = decodeCursor(cursor);
	if (after) {
		where.push('l.subscriber_id > ?');
		params.push(after);
	}
	// one state: walk the state index in subscriber order (SQLite's planner would walk the whole
	// campaign by primary key and filter)
	const index = states.length === 1 && db.dialect === 'sqlite' ? ' INDEXED BY send_log_state' : '';
	const rows = await db.all(
		`SELECT l.*, s.email, s.name FROM send_log l${index}
		 LEFT JOIN subscribers s ON s.id = l.subscriber_id
		 WHERE ${where.join(' AND ')} ORDER BY l.subscriber_id LIMIT ?`,
		[...params, limit + 1],
	);
	return pageOf(rows, limit, toRecipient, (entry) => entry.subscriberId);
}

/** Addresses of a campaign's recipients who bounced, complained or unsubscribed (at most `max` each, in subscriber order). */
export interface ReactionAddresses {
	bounced: string[];
	complained: string[];
	unsubscribed: string[];
	/** Some kind had more than `max`. */
	truncated: boolean;
}

/** One indexed read per kind of the campaign's send log rows that have it (erased subscribers have no address and are left out). */
export async function reactionAddresses(db: SqlExecutor, campaignId: string, max: number): Promise<ReactionAddresses> {
	const found: ReactionAddresses = { bounced: [], complained: [], unsubscribed: [], truncated: false };
	for (const [kind, column] of [['bounced', 'bounced_at'], ['complained', 'complained_at'], ['unsubscribed', 'unsubscribed_at']] as const) {
		const rows = await db.all(
			`SELECT s.email FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id
			 WHERE l.campaign_id = ? AND l.${column} IS NOT NULL AND s.email <> '' ORDER BY l.subscriber_id LIMIT ?`,
			[campaignId, max + 1],
		);
		if (rows.length > max) found.truncated = true;
		found[kind] = rows.slice(0, max).map((row) => String(row.email));
	}
	return found;
}

/** Campaign counter → its per-recipient column in the send log. */
const EVENT_COLUMNS: Record<CampaignEventType, string> = {
	opened: 'opened_at',
	clicked: 'clicked_at',
	bounced: 'bounced_at',
	complained: 'complained_at',
	unsubscribed: 'unsubscribed_at',
	delivered: 'delivered_at',
};

function eventColumn(type: CampaignEventType): string {
	const column = EVENT_COLUMNS[type];
	if (!column) {
		throw new CampaignError(
			`'${String(type)}' is not a campaign event; use one of ${Object.keys(EVENT_COLUMNS).join(', ')}`,
			'invalid',
		);
	}
	return column;
}

/**
 * Counts an event against a campaign (the Bounce Webhook calls this for events that carry the
 * campaign and subscriber ids). Each kind counts once per recipient: a second open of the same
 * message changes nothing. Returns whether it counted. Use inside the caller's transaction.
 */
export async function recordCampaignEventIn(
	tx: SqlExecutor,
	event: { campaignId: string; subscriberId: string; type: CampaignEventType; occurredAt?: string },
): Promise<boolean> {
	const column = eventColumn(event.type);
	if (!isCampaignId(String(event.campaignId)) || !isCampaignId(String(event.subscriberId))) return false;
	const at = event.occurredAt ? new Date(event.occurredAt).toISOString() : new Date().toISOString();
	// the campaign row first, as every engine transaction does, so PostgreSQL never deadlocks
	if (!(await lockCampaign(tx, String(event.campaignId), 'id'))) return false;
	const changed = await tx.run(
		`UPDATE send_log SET ${column} = ? WHERE campaign_id = ? AND subscriber_id = ? AND ${column} IS NULL`,
		[at, event.campaignId, event.subscriberId],
	);
	if (!changed.changes) return false;
	await addToCounter(tx, event.campaignId, event.type, 1);
	return true;
}

/**
 * Marks an event once per recipient for many subscribers of one campaign (webhook batches):
 * returns the subscriber ids whose `<counter>_at` was set now.
 */
export async function markEventOnce(
	db: SqlExecutor,
	campaignId: string,
	type: CampaignEventType,
	subscriberIds: string[],
	at: string,
): Promise<string[]> {
	if (!subscriberIds.length) return [];
	const column = eventColumn(type);
	const rows = await db.all(
		`UPDATE send_log SET ${column} = ? WHERE campaign_id = ? AND ${column} IS NULL
		 AND subscriber_id IN (${subscriberIds.map(() => '?').join(', ')}) RETURNING subscriber_id`,
		[at, campaignId, ...subscriberIds],
	);
	return rows.map((row) => String(row.subscriber_id));
}

/** When a recipient's open or click was first recorded (null: not yet, or no such recipient). */
export async function eventTimeOf(
	db: SqlExecutor,
	campaignId: string,
	subscriberId: string,
	type: 'opened' | 'clicked',
): Promise<string | null> {
	const row = await db.get(`SELECT ${eventColumn(type)} AS at FROM send_log WHERE campaign_id = ? AND subscriber_id = ?`, [
		campaignId,
		subscriberId,
	]);
	return row?.at === null || row?.at === undefined ? null : String(row.at);
}

/** The campaign recipient with this address, when an event names a campaign but no subscriber. */
export async function findCampaignRecipient(db: SqlExecutor, campaignId: string, email: string): Promise<string | null> {
	if (!isCampaignId(campaignId) || !email) return null;
	const row = await db.get(
		`SELECT l.subscriber_id FROM subscribers s JOIN send_log l ON l.subscriber_id = s.id AND l.campaign_id = ?
		 WHERE s.email_lower = ? ORDER BY s.id LIMIT 1`,
		[campaignId, email.trim().toLowerCase()],
	);
	return row ? String(row.subscriber_id) : null;
}

