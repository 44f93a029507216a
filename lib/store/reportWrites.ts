/**
 * Set-based writes of the report rollups: deltas aggregated in JavaScript per batch, then one
 * multi-row upsert per table (`ON CONFLICT … DO UPDATE SET n = n + excluded.n`), so recording a
 * webhook batch of 48 events costs a handful of statements, not several per event.
 */
import type { SqlExecutor } from './driver';

const ROWS_PER_STATEMENT = 200;

/** Adds `add` columns to the rows keyed by `keys` (created at the values given when missing). */
export async function upsertAdd(
	tx: SqlExecutor,
	table: string,
	keys: string[],
	adds: string[],
	rows: unknown[][],
): Promise<void> {
	const columns = [...keys, ...adds];
	const placeholder = `(${columns.map(() => '?').join(', ')})`;
	const update = adds.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ');
	for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
		const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
		await tx.run(
			`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => placeholder).join(', ')}
			 ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${update}`,
			chunk.flat(),
		);
	}
}

/** Sets `sets` columns on the rows keyed by `keys` (inserted when missing). */
export async function upsertSet(
	tx: SqlExecutor,
	table: string,
	keys: string[],
	sets: string[],
	rows: unknown[][],
): Promise<void> {
	const columns = [...keys, ...sets];
	const placeholder = `(${columns.map(() => '?').join(', ')})`;
	const update = sets.map((c) => `${c} = excluded.${c}`).join(', ');
	for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
		const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
		await tx.run(
			`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => placeholder).join(', ')}
			 ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${update}`,
			chunk.flat(),
		);
	}
}

/** Appends event rows: one statement per chunk on both backends. */
export async function insertEvents(tx: SqlExecutor, rows: unknown[][]): Promise<void> {
	const columns = 'campaign_id, subscriber_id, at, type, class, signal, reason, link_id';
	if (tx.dialect === 'postgres') {
		for (let i = 0; i < rows.length; i += 5_000) {
			const chunk = rows.slice(i, i + 5_000);
			const column = (index: number) => chunk.map((row) => row[index]);
			await tx.run(
				`INSERT INTO campaign_events (${columns})
				 SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::smallint[], ?::smallint[], ?::smallint[], ?::smallint[], ?::int[])`,
				[0, 1, 2, 3, 4, 5, 6, 7].map(column),
			);
		}
		return;
	}
	for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
		const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
		await tx.run(`INSERT INTO campaign_events (${columns}) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, chunk.flat());
	}
}

/** Writes each changed recipient's best open / click class and last bounce reason to the send log. */
export async function updateRecipientMarks(
	tx: SqlExecutor,
	campaignId: string,
	rows: Array<{ subscriberId: string; openClass: number | null; clickClass: number | null; bounceReason: number | null }>,
): Promise<void> {
	if (!rows.length) return;
	if (tx.dialect === 'postgres') {
		await tx.run(
			`UPDATE send_log AS l SET open_class = v.o, click_class = v.c, bounce_reason = v.b
			 FROM unnest(?::bigint[], ?::smallint[], ?::smallint[], ?::smallint[]) AS v(s, o, c, b)
			 WHERE l.campaign_id = ? AND l.subscriber_id = v.s`,
			[
				rows.map((r) => r.subscriberId),
				rows.map((r) => r.openClass),
				rows.map((r) => r.clickClass),
				rows.map((r) => r.bounceReason),
				campaignId,
			],
		);
		return;
	}
	for (const r of rows) {
		await tx.run('UPDATE send_log SET open_class = ?, click_class = ?, bounce_reason = ? WHERE campaign_id = ? AND subscriber_id = ?', [
			r.openClass,
			r.clickClass,
			r.bounceReason,
			campaignId,
			r.subscriberId,
		]);
	}
}
