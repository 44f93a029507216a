import { storedMatch, type StoredMatch } from '../segments';
import type { Dialect, SqlExecutor } from './driver';

/**
 * The match copy (lib/segments `storedMatch`): beside each subscriber row, what segment SQL
 * cannot derive from the row itself cheaply — the folded e-mail and name where folding differs
 * from lower-casing, and for custom fields every number, and the folded text and date where SQL
 * cannot read them from the `fields` JSON (for a row of plain text fields, nothing: all three
 * columns are NULL). So writes stay cheap, and SQLite and PostgreSQL still match exactly what
 * the in-memory evaluator matches.
 */
export const MATCH_COPY_COLUMNS = (dialect: Dialect): string[] => {
	const c = (column: string) => (dialect === 'postgres' ? `${column} COLLATE "C"` : column);
	return [
		'ALTER TABLE subscribers ADD COLUMN email_fold TEXT',
		'ALTER TABLE subscribers ADD COLUMN name_fold TEXT',
		// jsonb on PostgreSQL: parsed once on write, not on every row a segment reads.
		`ALTER TABLE subscribers ADD COLUMN fields_match ${dialect === 'postgres' ? 'JSONB' : 'TEXT'}`,
		// Engagement conditions look up a person's send log rows by subscriber, and compare the first
		// open / click time (ISO text, byte order: COLLATE "C" on PostgreSQL, as segment SQL compares
		// them): in the index, so the log rows themselves are not read (a third of the time on 1M rows).
		`CREATE INDEX send_log_subscriber ON send_log (subscriber_id, ${c('opened_at')}, ${c('clicked_at')})`,
		// A time window's opens / clicks with their subscriber rows, from the index alone: SQLite
		// collects them once per query as a set of ids, PostgreSQL as the side of a semi join.
		`CREATE INDEX send_log_opened ON send_log (${c('opened_at')}, subscriber_id) WHERE opened_at IS NOT NULL`,
		`CREATE INDEX send_log_clicked ON send_log (${c('clicked_at')}, subscriber_id) WHERE clicked_at IS NOT NULL`,
		// The addresses on a list (list conditions), from the index alone.
		'CREATE INDEX subscribers_list_status_key ON subscribers (list_id, status, email_key)',
	];
};

const BATCH = 1000;

/**
 * Writes the match copy of every row (ids after `afterId`, in batches) that needs one: the
 * backfill after the columns are added, and after what the copy holds changed. Returns how many
 * rows it looked at.
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
		const copies: Array<{ id: string | number; copy: StoredMatch }> = [];
		for (const row of rows) {
			const fields = parseFields(row.fields);
			// Text that is not a JSON object must never reach SQL's JSON functions: an empty complete copy.
			const copy = fields ? storedMatch(row.email, row.name, fields, row.fields) : { ...storedMatch(row.email, row.name, {}, '{}'), fieldsMatch: '{"x":1,"t":{},"n":{},"d":{}}' };
			if (copy.emailFold === null && copy.nameFold === null && copy.fieldsMatch === null) continue;
			copies.push({ id: row.id, copy });
		}
		await writeMatchCopies(tx, copies);
		seen += rows.length;
		last = String(rows[rows.length - 1].id);
	}
}

/** PostgreSQL: one statement per batch (a round trip per row made a 1M-row backfill minutes long); SQLite: a prepared statement per row. */
async function writeMatchCopies(tx: SqlExecutor, copies: Array<{ id: string | number; copy: StoredMatch }>): Promise<void> {
	if (!copies.length) return;
	if (tx.dialect === 'postgres') {
		await tx.run(
			`UPDATE subscribers AS s SET email_fold = c.email_fold, name_fold = c.name_fold, fields_match = c.fields_match::jsonb
			 FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[]) AS c(id, email_fold, name_fold, fields_match) WHERE s.id = c.id`,
			[copies.map((c) => String(c.id)), copies.map((c) => c.copy.emailFold), copies.map((c) => c.copy.nameFold), copies.map((c) => c.copy.fieldsMatch)],
		);
		return;
	}
	for (const { id, copy } of copies) {
		await tx.run('UPDATE subscribers SET email_fold = ?, name_fold = ?, fields_match = ? WHERE id = ?', [copy.emailFold, copy.nameFold, copy.fieldsMatch, id]);
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
