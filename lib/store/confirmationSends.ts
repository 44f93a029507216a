/**
 * Double opt-in's re-send counters (`confirmation_sends`, keyed by the address's salted hash):
 * how many confirmation mails an address got in its 24-hour window, when the last one went, and
 * the nonce of the one that may still be delivered.
 */
import type { SqlExecutor } from './driver';

export interface ConfirmationSendTake {
	hash: string;
	at: string;
	nonce: string;
	/** A window that started at or before this has ended: the count starts again. */
	windowCutoff: string;
	/** The previous send must be at or before this (the minimum interval). */
	intervalCutoff: string;
	maxPerDay: number;
}

/**
 * Takes one send in one conditional upsert (atomic on both backends, so concurrent form posts
 * cannot both get through); null when the interval or the daily count refuses it.
 */
export async function takeConfirmationSend(db: SqlExecutor, take: ConfirmationSendTake): Promise<{ sends: number } | null> {
	const taken = await db.get(
		`INSERT INTO confirmation_sends (address_hash, last_sent_at, window_start, sends, nonce) VALUES (?, ?, ?, 1, ?)
		 ON CONFLICT (address_hash) DO UPDATE SET
		   sends = CASE WHEN confirmation_sends.window_start <= ? THEN 1 ELSE confirmation_sends.sends + 1 END,
		   window_start = CASE WHEN confirmation_sends.window_start <= ? THEN excluded.window_start ELSE confirmation_sends.window_start END,
		   last_sent_at = excluded.last_sent_at,
		   nonce = excluded.nonce
		 WHERE confirmation_sends.last_sent_at <= ?
		   AND (confirmation_sends.window_start <= ? OR confirmation_sends.sends < ?)
		 RETURNING sends`,
		[
			take.hash,
			take.at,
			take.at,
			take.nonce,
			take.windowCutoff,
			take.windowCutoff,
			take.intervalCutoff,
			take.windowCutoff,
			take.maxPerDay,
		],
	);
	return taken ? { sends: Number(taken.sends) } : null;
}

/** The address's counter as it stands (to say when the next send is allowed). */
export async function confirmationSendState(
	db: SqlExecutor,
	hash: string,
): Promise<{ lastSentAt: string; windowStart: string; sends: number } | null> {
	const row = await db.get('SELECT last_sent_at, window_start, sends FROM confirmation_sends WHERE address_hash = ?', [hash]);
	return row ? { lastSentAt: String(row.last_sent_at), windowStart: String(row.window_start), sends: Number(row.sends) } : null;
}

/** Takes the nonce of a sealed confirmation, once: false when used already or replaced. */
export async function consumeConfirmationNonce(db: SqlExecutor, hash: string, nonce: string): Promise<boolean> {
	const result = await db.run('UPDATE confirmation_sends SET nonce = NULL WHERE address_hash = ? AND nonce = ?', [hash, nonce]);
	return result.changes === 1;
}

/** Drops the counters of addresses not sent a confirmation since `cutoff`; returns how many. */
export async function clearConfirmationSendsBefore(db: SqlExecutor, cutoff: string): Promise<number> {
	return (await db.run('DELETE FROM confirmation_sends WHERE last_sent_at < ?', [cutoff])).changes;
}
