/**
 * Whole-table reads for the portable export and housekeeping: a table's columns as the database
 * has them, its rows in keyset order, and SQLite file compaction.
 */
import type { Row, SqlDriver, SqlExecutor } from './driver';

/**
 * The columns of a store table in their declared order, or none when the table does not exist
 * (e.g. the campaign tables of a store that was never opened by a version with campaigns).
 */
export async function tableColumns(sql: SqlExecutor, table: string): Promise<string[]> {
	const rows =
		sql.dialect === 'sqlite'
			? await sql.all('SELECT name FROM pragma_table_info(?) ORDER BY cid', [table])
			: await sql.all(
					'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position',
					[table],
				);
	return rows.map((row) => String(row.name));
}

export function quoteIdentifier(name: string): string {
	return `"${name.replace(/"/g, '""')}"`;
}

/** A whole table in keyset order (by `keys`), `columns` as the database has them, `pageSize` rows per read. */
export async function* tableRows(
	sql: SqlExecutor,
	table: string,
	columns: string[],
	keys: string[],
	pageSize: number,
): AsyncGenerator<Row> {
	const list = columns.map(quoteIdentifier).join(', ');
	const keyList = keys.map(quoteIdentifier).join(', ');
	let after: unknown[] | null = null;
	for (;;) {
		const rows: Row[] = await sql.all(
			`SELECT ${list} FROM ${quoteIdentifier(table)}
			 ${after ? `WHERE (${keyList}) > (${keys.map(() => '?').join(', ')})` : ''}
			 ORDER BY ${keyList} LIMIT ?`,
			[...(after ?? []), pageSize],
		);
		for (const row of rows) yield row;
		if (rows.length < pageSize) return;
		const last = rows[rows.length - 1];
		after = keys.map((key) => last[key]);
	}
}

/** How many subscribers each list has (trashed ones included), by list id. */
export async function subscriberCountsByList(sql: SqlExecutor): Promise<Map<string, number>> {
	const rows = await sql.all('SELECT list_id, COUNT(*) AS n FROM subscribers GROUP BY list_id');
	return new Map(rows.map((row) => [String(row.list_id), Number(row.n)]));
}

/**
 * SQLite after an erasure: optionally rebuilds the file (VACUUM), then empties the write-ahead
 * log, where old page images stay until it is checkpointed and truncated. Returns whether the
 * log could be emptied (false while another reader holds it); null on PostgreSQL.
 */
export async function compactAfterErasure(driver: SqlDriver, vacuum: boolean): Promise<{ walCheckpointed: boolean | null; compacted: boolean }> {
	if (driver.dialect !== 'sqlite') return { walCheckpointed: null, compacted: false };
	if (vacuum) await driver.exec('VACUUM');
	const checkpoint = await driver.get('PRAGMA wal_checkpoint(TRUNCATE)');
	return { walCheckpointed: Number(checkpoint?.busy ?? 1) === 0, compacted: vacuum };
}
