/**
 * The set-based statements of a subscriber batch (subscriberBatch.ts decides, these write): a
 * statement or two per step whatever the batch size, in each backend's own form (arrays on
 * PostgreSQL, JSON arrays on SQLite).
 */
import type { StoredMatch } from '../segments';
import type { SqlExecutor } from './driver';
import { idsParam, inIds } from './dialect';
import type { SubscriberStatus } from './types';

/** An existing row as the upsert decision needs it. */
export interface ExistingRow {
	id: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
	importRun: string | null;
}

export interface PlannedInsert {
	email: string;
	key: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
	source: string;
	/** The match copy segments compare against (matchCopy.ts). */
	match: StoredMatch;
}

export interface PlannedUpdate {
	id: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
	/** Whether `status` differs from the row's: only then does SQLite's statement set it (see updateMany). */
	statusChanged: boolean;
	/** The match copy of the new name and fields (the address does not change here). */
	nameFold: string | null;
	fieldsMatch: string | null;
}

export async function fetchExisting(tx: SqlExecutor, listId: string, keys: string[]): Promise<Map<string, ExistingRow>> {
	const found = new Map<string, ExistingRow>();
	if (!keys.length) return found;
	const columns = 'id, email_key, name, fields, status, import_run';
	// One set-based statement per batch on both backends (a JSON array on SQLite, an array on PostgreSQL).
	const rows =
		tx.dialect === 'postgres'
			? // Driven from the key array through LATERAL, so each key probes the unique index even while the
				// table statistics are stale (a hash join over the whole list made big imports quadratic).
				// OFFSET 0 keeps the planner from pulling the subquery up into a plain join, which it
				// would otherwise plan as that same hash join.
				await tx.all(
					`SELECT s.id, s.email_key, s.name, s.fields, s.status, s.import_run
					 FROM unnest(?::text[]) AS k(key)
					 CROSS JOIN LATERAL (
						SELECT * FROM subscribers WHERE list_id = ? AND email_key = k.key OFFSET 0
					 ) AS s`,
					[keys, listId],
				)
			: await tx.all(
					`SELECT ${columns} FROM subscribers WHERE list_id = ? AND email_key IN (SELECT value FROM json_each(?))`,
					[listId, JSON.stringify(keys)],
				);
	for (const row of rows) {
		found.set(String(row.email_key), {
			id: String(row.id),
			name: String(row.name ?? ''),
			fields: String(row.fields ?? '{}'),
			status: row.status as SubscriberStatus,
			importRun: (row.import_run as string | null) ?? null,
		});
	}
	return found;
}


/** Does any row of the batch carry a match copy? Usually none does: then the plain statements run. */
function anyCopy(rows: Array<{ emailFold?: string | null; nameFold: string | null; fieldsMatch: string | null }>): boolean {
	return rows.some((r) => (r.emailFold ?? null) !== null || r.nameFold !== null || r.fieldsMatch !== null);
}

export async function insertMany(
	tx: SqlExecutor,
	listId: string,
	rows: PlannedInsert[],
	runId: string | null,
	at: string,
): Promise<void> {
	if (!rows.length) return;
	// The match-copy columns only when some row has a copy (they default to NULL).
	const copies = anyCopy(rows.map((r) => r.match));
	if (tx.dialect === 'postgres') {
		const columns = copies ? ', email_fold, name_fold, fields_match' : '';
		await tx.run(
			`INSERT INTO subscribers (list_id, email, email_key, email_lower, name, fields, status, source, import_run, created_at, updated_at${columns})
			 SELECT ?, t.e, t.k, t.l, t.n, t.f, t.s, t.src, ?, ?, ?${copies ? ', t.ef, t.nf, t.fm::jsonb' : ''}
			 FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]${copies ? ', ?::text[], ?::text[], ?::text[]' : ''}) AS t(e, k, l, n, f, s, src${copies ? ', ef, nf, fm' : ''})
			 ON CONFLICT (list_id, email_key) DO NOTHING`,
			[
				listId,
				runId,
				at,
				at,
				rows.map((r) => r.email),
				rows.map((r) => r.key),
				rows.map((r) => r.email.toLowerCase()),
				rows.map((r) => r.name),
				rows.map((r) => r.fields),
				rows.map((r) => r.status),
				rows.map((r) => r.source),
				...(copies ? [rows.map((r) => r.match.emailFold), rows.map((r) => r.match.nameFold), rows.map((r) => r.match.fieldsMatch)] : []),
			],
		);
		return;
	}
	await tx.run(
		`INSERT INTO subscribers (list_id, email, email_key, email_lower, name, fields, status, source, import_run, created_at, updated_at${copies ? ', email_fold, name_fold, fields_match' : ''})
		 SELECT ?, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, ?, ?, ?${copies ? ', j.value ->> 7, j.value ->> 8, j.value ->> 9' : ''}
		 FROM json_each(?) AS j WHERE true ON CONFLICT (list_id, email_key) DO NOTHING`,
		[
			listId,
			runId,
			at,
			at,
			JSON.stringify(
				rows.map((r) => {
					const row: unknown[] = [r.email, r.key, r.email.toLowerCase(), r.name, r.fields, r.status, r.source];
					if (copies) row.push(r.match.emailFold, r.match.nameFold, r.match.fieldsMatch);
					return row;
				}),
			),
		],
	);
}

export async function updateMany(tx: SqlExecutor, rows: PlannedUpdate[], runId: string | null, at: string): Promise<void> {
	if (!rows.length) return;
	// Without any copy in the batch the columns are cleared by constants, not per-row parameters.
	const copies = anyCopy(rows);
	if (tx.dialect === 'postgres') {
		await tx.run(
			`UPDATE subscribers AS s SET name = t.n, fields = t.f, status = t.st, import_run = COALESCE(?, s.import_run), updated_at = ?,
			 ${copies ? 'name_fold = t.nf, fields_match = t.fm::jsonb' : 'name_fold = NULL, fields_match = NULL'}
			 FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[]${copies ? ', ?::text[], ?::text[]' : ''}) AS t(id, n, f, st${copies ? ', nf, fm' : ''}) WHERE s.id = t.id`,
			[
				runId,
				at,
				rows.map((r) => r.id),
				rows.map((r) => r.name),
				rows.map((r) => r.fields),
				rows.map((r) => r.status),
				...(copies ? [rows.map((r) => r.nameFold), rows.map((r) => r.fieldsMatch)] : []),
			],
		);
		return;
	}
	// SQLite rewrites the entries of every index holding a column the statement sets, changed or
	// not: two indexes start with (list_id, status), so rows keeping their status (most updates)
	// go through a statement that does not set it, about twice as fast.
	const kept = rows.filter((r) => !r.statusChanged);
	const changed = kept.length === rows.length ? [] : rows.filter((r) => r.statusChanged);
	if (kept.length) await updateManySqlite(tx, kept, false, runId, at);
	if (changed.length) await updateManySqlite(tx, changed, true, runId, at);
}

async function updateManySqlite(tx: SqlExecutor, rows: PlannedUpdate[], setStatus: boolean, runId: string | null, at: string): Promise<void> {
	const copies = anyCopy(rows);
	await tx.run(
		`UPDATE subscribers SET name = j.value ->> 1, fields = j.value ->> 2, ${setStatus ? 'status = j.value ->> 3, ' : ''}
		 import_run = COALESCE(?, import_run), updated_at = ?, ${copies ? 'name_fold = j.value ->> 4, fields_match = j.value ->> 5' : 'name_fold = NULL, fields_match = NULL'}
		 FROM json_each(?) AS j WHERE subscribers.id = j.value ->> 0`,
		[
			runId,
			at,
			JSON.stringify(
				rows.map((r) => (copies ? [Number(r.id), r.name, r.fields, setStatus ? r.status : null, r.nameFold, r.fieldsMatch] : [Number(r.id), r.name, r.fields, setStatus ? r.status : null])),
			),
		],
	);
}

export async function touchMany(tx: SqlExecutor, ids: string[], runId: string): Promise<void> {
	await tx.run(`UPDATE subscribers SET import_run = ? WHERE id ${inIds(tx.dialect)}`, [runId, idsParam(tx.dialect, ids)]);
}
