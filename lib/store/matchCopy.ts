import { storedMatch } from '../segments';
import type { Dialect, SqlExecutor } from './driver';

/**
 * The match copy (lib/segments `storedMatch`): beside each subscriber row, only what segment SQL
 * cannot derive from the row itself — the folded e-mail and name where folding differs from
 * lower-casing, and for custom fields the folded text, number and date where SQL cannot read
 * them from the `fields` JSON (usually nothing: all three columns are NULL). So writes stay as
 * cheap as without segments, and SQLite and PostgreSQL still match exactly what the in-memory
 * evaluator matches.
 */
export const MATCH_COPY_COLUMNS = (dialect: Dialect): string[] => [
	'ALTER TABLE subscribers ADD COLUMN email_fold TEXT',
	'ALTER TABLE subscribers ADD COLUMN name_fold TEXT',
	// jsonb on PostgreSQL: parsed once on write, not on every row a segment reads.
	`ALTER TABLE subscribers ADD COLUMN fields_match ${dialect === 'postgres' ? 'JSONB' : 'TEXT'}`,
	// Engagement conditions look up a person's send log rows by subscriber, and "opened / clicked
	// any campaign within N days" the opens and clicks in a time window (ISO text, compared
	// byte-wise: COLLATE "C" on PostgreSQL, as segment SQL compares them).
	'CREATE INDEX send_log_subscriber ON send_log (subscriber_id)',
	`CREATE INDEX send_log_opened ON send_log (opened_at${dialect === 'postgres' ? ' COLLATE "C"' : ''}) WHERE opened_at IS NOT NULL`,
	`CREATE INDEX send_log_clicked ON send_log (clicked_at${dialect === 'postgres' ? ' COLLATE "C"' : ''}) WHERE clicked_at IS NOT NULL`,
];

const BATCH = 1000;

/**
 * Writes the match copy of every row (ids after `afterId`, in batches) that needs one: the
 * backfill after the columns are added. Returns how many rows it looked at.
 */
export async function refreshMatchCopies(tx: SqlExecutor, afterId = '0'): Promise<number> {
	let last = afterId;
	let seen = 0;
	for (;;) {
		const rows = await tx.all<{ id: string | number; email: string; name: string; fields: string }>(
			'SELECT id, email, name, fields FROM subscribers WHERE id > ? ORDER BY id LIMIT ?',
			[last, BATCH],
		);
		if (rows.length === 0) return seen;
		for (const row of rows) {
			const fields = parseFields(row.fields);
			// Text that is not a JSON object must never reach SQL's JSON functions: an empty complete copy.
			const copy = fields ? storedMatch(row.email, row.name, fields, row.fields) : { ...storedMatch(row.email, row.name, {}, '{}'), fieldsMatch: '{"x":1,"t":{},"n":{},"d":{}}' };
			if (copy.emailFold === null && copy.nameFold === null && copy.fieldsMatch === null) continue;
			await tx.run('UPDATE subscribers SET email_fold = ?, name_fold = ?, fields_match = ? WHERE id = ?', [
				copy.emailFold,
				copy.nameFold,
				copy.fieldsMatch,
				row.id,
			]);
		}
		seen += rows.length;
		last = String(rows[rows.length - 1].id);
	}
}

function parseFields(text: string): Record<string, unknown> | null {
	try {
		const value = JSON.parse(text) as unknown;
		return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}
