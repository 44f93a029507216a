/**
 * Provider event ids already handled (`processed_events`): remembered in the same transaction
 * that applies the event, so a provider's retry of it changes nothing.
 */
import type { SqlDriver, SqlExecutor } from './driver';
import { now } from './rows';

/** Remembers one event id; false when it was seen before (a duplicate). */
export async function rememberEvent(db: SqlExecutor, eventId: string): Promise<boolean> {
	const fresh = await db.run('INSERT INTO processed_events (event_id, processed_at) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING', [
		eventId,
		now(),
	]);
	return fresh.changes > 0;
}

/** Remembers many event ids in one statement; returns the ones not seen before. */
export async function rememberEvents(db: SqlExecutor, eventIds: string[], at: string): Promise<Set<string>> {
	const fresh = new Set<string>();
	if (!eventIds.length) return fresh;
	const rows = await db.all(
		`INSERT INTO processed_events (event_id, processed_at) VALUES ${eventIds.map(() => '(?, ?)').join(', ')}
		 ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
		eventIds.flatMap((id) => [id, at]),
	);
	for (const row of rows) fresh.add(String(row.event_id));
	return fresh;
}

/**
 * Forgets provider event ids recorded before `before`, oldest first, at most `limit` per call.
 * They only catch a provider's retries of the same event, which stop within days; kept for
 * good, the table would grow with every event ever received.
 */
export async function pruneProcessedEvents(driver: SqlDriver, before: Date, limit = 10_000): Promise<number> {
	return driver.transaction(async (tx) => {
		const deleted = await tx.run(
			`DELETE FROM processed_events WHERE event_id IN (
				SELECT event_id FROM processed_events WHERE processed_at < ? ORDER BY processed_at LIMIT ?)`,
			[before.toISOString(), limit],
		);
		return deleted.changes;
	});
}
