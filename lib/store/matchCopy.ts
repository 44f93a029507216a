import { matchCopy } from '../segments';
import type { Dialect, SqlExecutor } from './driver';

/**
 * The match copy: beside each subscriber row, its e-mail and name folded (lib/segments
 * `foldText`) and its custom fields as `{ fieldKey(name): { t, n?, d? } }` — folded text, and the
 * number and date the value reads as. Segment SQL compares against these, so SQLite and
 * PostgreSQL match exactly what the in-memory evaluator matches.
 */
export const MATCH_COPY_COLUMNS = (dialect: Dialect): string[] => [
	"ALTER TABLE subscribers ADD COLUMN email_fold TEXT NOT NULL DEFAULT ''",
	"ALTER TABLE subscribers ADD COLUMN name_fold TEXT NOT NULL DEFAULT ''",
	// jsonb on PostgreSQL: parsed once on write, not on every row a segment reads.
	`ALTER TABLE subscribers ADD COLUMN fields_match ${dialect === 'postgres' ? 'JSONB' : 'TEXT'} NOT NULL DEFAULT '{}'`,
	// Engagement conditions look up a person's send log rows by subscriber.
	'CREATE INDEX send_log_subscriber ON send_log (subscriber_id)',
];

const BATCH = 1000;

/**
 * Writes the match copy of every row (ids after `afterId`, in batches): the backfill after the
 * columns are added. Returns how many rows it wrote.
 */
export async function refreshMatchCopies(tx: SqlExecutor, afterId = '0'): Promise<number> {
	let last = afterId;
	let written = 0;
	for (;;) {
		const rows = await tx.all<{ id: string | number; email: string; name: string; fields: string }>(
			'SELECT id, email, name, fields FROM subscribers WHERE id > ? ORDER BY id LIMIT ?',
			[last, BATCH],
		);
		if (rows.length === 0) return written;
		for (const row of rows) {
			const copy = matchCopy(row.email, row.name, parseFields(row.fields));
			await tx.run('UPDATE subscribers SET email_fold = ?, name_fold = ?, fields_match = ? WHERE id = ?', [
				copy.emailFold,
				copy.nameFold,
				copy.fieldsMatch,
				row.id,
			]);
		}
		written += rows.length;
		last = String(rows[rows.length - 1].id);
	}
}

function parseFields(text: string): Record<string, unknown> {
	try {
		const value = JSON.parse(text) as unknown;
		return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
	} catch {
		return {};
	}
}
