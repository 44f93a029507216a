/**
 * The consents table's one writer (double opt-in evidence: method, source, IP address, user
 * agent, when it was asked and confirmed), and the pending sign-ups that never confirmed.
 */
import type { Row, SqlExecutor } from './driver';
import { forUpdate } from './dialect';
import { now } from './rows';
import type { SubscriberStatus } from './types';

/** A subscriber about to be confirmed, locked for the caller's transaction. */
export interface ConfirmCandidate {
	id: string;
	listId: string;
	listName: string;
	email: string;
	status: SubscriberStatus;
	source: string;
	createdAt: string | null;
}

export async function lockConfirmCandidate(db: SqlExecutor, subscriberId: string): Promise<ConfirmCandidate | null> {
	const row = await db.get(
		`SELECT s.id, s.list_id, s.email, s.status, s.source, s.created_at, l.name AS list_name
		 FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE s.id = ?${forUpdate(db.dialect, ' OF s')}`,
		[subscriberId],
	);
	if (!row) return null;
	return {
		id: String(row.id),
		listId: String(row.list_id),
		listName: String(row.list_name),
		email: String(row.email),
		status: row.status as SubscriberStatus,
		source: String(row.source ?? ''),
		createdAt: (row.created_at as string | null) ?? null,
	};
}

/** A consent record as stored. */
export interface ConsentRecord {
	id: string;
	subscriberId: string;
	listId: string;
	method: string;
	source: string;
	ip: string | null;
	userAgent: string | null;
	requestedAt: string | null;
	confirmedAt: string;
}

function toRecord(row: Row): ConsentRecord {
	return {
		id: String(row.id),
		subscriberId: String(row.subscriber_id),
		listId: String(row.list_id),
		method: String(row.method),
		source: String(row.source ?? ''),
		ip: (row.ip as string | null) ?? null,
		userAgent: (row.user_agent as string | null) ?? null,
		requestedAt: (row.requested_at as string | null) ?? null,
		confirmedAt: String(row.confirmed_at),
	};
}

/** Inserts a consent record; returns it as stored. */
export async function insertConsent(db: SqlExecutor, consent: Omit<ConsentRecord, 'id'>): Promise<ConsentRecord> {
	const row = await db.get(
		`INSERT INTO consents (subscriber_id, list_id, method, source, ip, user_agent, requested_at, confirmed_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
		[
			consent.subscriberId,
			consent.listId,
			consent.method,
			consent.source,
			consent.ip,
			consent.userAgent,
			consent.requestedAt,
			consent.confirmedAt,
		],
	);
	return toRecord(row as Row);
}

/** The consent records of a subscriber, oldest first. */
export async function consentsOf(db: SqlExecutor, subscriberId: string): Promise<ConsentRecord[]> {
	return (await db.all('SELECT * FROM consents WHERE subscriber_id = ? ORDER BY id', [subscriberId])).map(toRecord);
}

/** Touches a subscriber row (a confirmation request is recent activity: not purged as stale). */
export async function touchSubscriber(db: SqlExecutor, subscriberId: string, at = now()): Promise<void> {
	await db.run('UPDATE subscribers SET updated_at = ? WHERE id = ?', [at, subscriberId]);
}

/**
 * Up to `limit` pending subscribers untouched since `cutoff` and with no consent record (of one
 * list, or all), locked for the caller's transaction; rows another purge holds are skipped.
 */
export async function staleUnconfirmed(
	db: SqlExecutor,
	cutoff: string,
	listId: string | null,
	limit: number,
): Promise<Array<{ id: string; listId: string }>> {
	const rows = await db.all(
		`SELECT s.id, s.list_id FROM subscribers s
		 WHERE s.status = 'pending' AND s.updated_at < ?${listId ? ' AND s.list_id = ?' : ''}
		   AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = s.id)
		 ORDER BY s.id LIMIT ?${forUpdate(db.dialect, ' OF s SKIP LOCKED')}`,
		listId ? [cutoff, listId, limit] : [cutoff, limit],
	);
	return rows.map((row) => ({ id: String(row.id), listId: String(row.list_id) }));
}

/** Deletes these subscribers if they are still pending (one confirmed meanwhile stays); returns the deleted ids. */
export async function deleteIfPending(db: SqlExecutor, ids: string[]): Promise<string[]> {
	if (!ids.length) return [];
	const deleted = await db.all(
		`DELETE FROM subscribers WHERE status = 'pending' AND id IN (${ids.map(() => '?').join(', ')}) RETURNING id`,
		ids,
	);
	return deleted.map((row) => String(row.id));
}
