import type { SqlExecutor } from '../store/driver';

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
