/**
 * Subscriber writes in batches (imports, Add/Update, bulk unsubscribe/trash/suppress): one
 * transaction per batch, a few set-based statements whatever its size. PostgreSQL and SQLite get
 * their own forms of the bulk statements (arrays / JSON arrays); the decisions are shared.
 */
import { foldException, storedFieldsMatch, storedMatch, type StoredMatch } from '../segments';
import { recordAudit, recordAuditMany } from './auditLog';
import type { SqlDriver, SqlExecutor } from './driver';
import { idsParam, inIds } from './dialect';
import { cleanEmail, emailKey, isValidEmail, requireValidEmail } from './email';
import { requireList, requireListRow } from './lists';
import { checkFields, checkName, checkStatus, now, parseJson, sameJson, toList } from './rows';
import { getSubscriber } from './subscribers';
import { addSuppressions, liftSuppression, suppressedHashes, type HashEmail } from './suppressions';
import {
	CONSENT_BLOCKING_STATUSES,
	isStricterStatus,
	type Actor,
	type BulkStatusAction,
	type BulkUpsertResult,
	type BulkUpsertRow,
	type CustomFields,
	type SubscriberInput,
	type SubscriberStatus,
	type UpsertOptions,
	type UpsertOutcome,
	type UpsertResult,
} from './types';

/** An existing row as the upsert decision needs it. */
interface ExistingRow {
	id: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
	importRun: string | null;
}

interface PlannedInsert {
	email: string;
	key: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
	source: string;
	/** The match copy segments compare against (matchCopy.ts). */
	match: StoredMatch;
}

interface PlannedUpdate {
	id: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
	/** The match copy of the new name and fields (the address does not change here). */
	nameFold: string | null;
	fieldsMatch: string | null;
}

type RowOutcome = { outcome: UpsertOutcome; id?: string; statusKept?: SubscriberStatus };

interface PreparedRow {
	row: SubscriberInput;
	email: string;
	key: string;
	valid: boolean;
	hash: string;
}

/** What a batch will write, decided in memory before any statement runs. */
interface BatchPlan {
	inserts: PlannedInsert[];
	updates: PlannedUpdate[];
	/** Unchanged rows seen again by this import run (their import_run is set). */
	touched: string[];
	liftSuppression: string[];
	statusChanges: Array<{ id: string; from: SubscriberStatus; to: SubscriberStatus }>;
	outcomes: RowOutcome[];
}

export async function upsertSubscriber(
	driver: SqlDriver,
	hash: HashEmail,
	listId: string,
	input: SubscriberInput,
	options: UpsertOptions,
	actor: Actor,
): Promise<UpsertResult> {
	const email = requireValidEmail(input.email);
	const result = await writeBatch(driver, hash, listId, [{ ...input, email }], options, actor, true);
	const row = result[0];
	const subscriber = row.id ? await getSubscriber(driver, { id: row.id }) : await getSubscriber(driver, { listId, email });
	return { outcome: row.outcome, subscriber, ...(row.statusKept ? { statusKept: row.statusKept } : {}) };
}

export async function bulkUpsert(
	driver: SqlDriver,
	hash: HashEmail,
	listId: string,
	rows: BulkUpsertRow[],
	options: UpsertOptions,
	actor: Actor,
): Promise<BulkUpsertResult> {
	const result = await writeBatch(driver, hash, listId, rows, options, actor, false);
	const summary: BulkUpsertResult = { created: 0, updated: 0, unchanged: 0, duplicates: 0, skipped: 0, rejected: [] };
	result.forEach((row, index) => {
		if (row.outcome === 'created') summary.created++;
		else if (row.outcome === 'updated') summary.updated++;
		else if (row.outcome === 'unchanged') summary.unchanged++;
		else {
			if (row.outcome === 'duplicate') summary.duplicates++;
			else summary.skipped++;
			summary.rejected.push({ ref: rows[index].ref, email: cleanEmail(rows[index].email), outcome: row.outcome });
		}
	});
	return summary;
}

/**
 * The one write path for new and existing subscribers. Looks up the batch's existing rows and
 * suppressions in bulk, decides each row in memory (consent rules included), then writes.
 */
async function writeBatch(
	driver: SqlDriver,
	hash: HashEmail,
	listId: string,
	rows: SubscriberInput[],
	options: UpsertOptions,
	actor: Actor,
	auditEachRow: boolean,
): Promise<RowOutcome[]> {
	return driver.transaction(async (tx) => {
		// The list and whether anything is suppressed in one round trip (PostgreSQL pays per statement).
		// Hashing every address costs more than the suppression lookup itself; skip both while nothing
		// is suppressed.
		const listRow = await requireListRow(tx, listId, 'l.*, EXISTS (SELECT 1 FROM suppressions) AS any_suppressed');
		const list = toList(listRow);
		const anySuppressed = Boolean(listRow.any_suppressed);
		const prepared: PreparedRow[] = rows.map((row) => {
			const email = cleanEmail(row.email);
			const valid = isValidEmail(email);
			return { row, email, key: emailKey(email), valid, hash: valid && anySuppressed ? hash(email) : '' };
		});
		const keys = [...new Set(prepared.filter((p) => p.valid).map((p) => p.key))];
		const existing = await fetchExisting(tx, list.id, keys);
		const suppressed = anySuppressed
			? await suppressedHashes(tx, prepared.filter((p) => p.valid).map((p) => p.hash))
			: new Set<string>();
		const plan = planBatch(prepared, existing, suppressed, options);
		await writePlan(tx, hash, list.id, plan, options, actor, auditEachRow);
		return plan.outcomes;
	});
}

/** Decides every row of a batch (created, updated, unchanged, or why not) without writing. */
function planBatch(
	prepared: PreparedRow[],
	existing: Map<string, ExistingRow>,
	suppressed: Set<string>,
	options: UpsertOptions,
): BatchPlan {
	const mode = options.mode ?? 'upsert';
	const runId = options.importRunId ?? null;
	const plan: BatchPlan = { inserts: [], updates: [], touched: [], liftSuppression: [], statusChanges: [], outcomes: [] };
	const seenInBatch = new Set<string>();
	for (const { row, email, key, valid, hash } of prepared) {
		if (!valid) {
			plan.outcomes.push({ outcome: 'invalid' });
			continue;
		}
		if (seenInBatch.has(key)) {
			plan.outcomes.push({ outcome: 'duplicate' });
			continue;
		}
		seenInBatch.add(key);
		const isSuppressed = suppressed.has(hash);
		const requested = row.status === undefined ? undefined : checkStatus(row.status);
		const old = existing.get(key);
		if (!old) {
			if (mode === 'updateOnly') plan.outcomes.push({ outcome: 'skipped-missing' });
			else if (isSuppressed && !options.allowReactivate) plan.outcomes.push({ outcome: 'skipped-suppressed' });
			else {
				if (isSuppressed) plan.liftSuppression.push(email);
				const name = checkName(row.name);
				const fields = checkFields(row.fields);
				const fieldsJson = JSON.stringify(fields);
				plan.inserts.push({
					email,
					key,
					name,
					fields: fieldsJson,
					status: requested ?? 'active',
					source: String(row.source ?? ''),
					match: storedMatch(email, name, fields, fieldsJson),
				});
				plan.outcomes.push({ outcome: 'created' });
			}
			continue;
		}
		if (runId !== null && old.importRun === runId) plan.outcomes.push({ outcome: 'duplicate', id: old.id });
		else if (mode === 'createOnly') plan.outcomes.push({ outcome: 'skipped-exists', id: old.id });
		else planUpdate(plan, row, email, old, requested, isSuppressed, options);
	}
	return plan;
}

/** An existing row: merges name and fields, and changes the status only where consent allows. */
function planUpdate(
	plan: BatchPlan,
	row: SubscriberInput,
	email: string,
	old: ExistingRow,
	requested: SubscriberStatus | undefined,
	isSuppressed: boolean,
	options: UpsertOptions,
): void {
	const name = row.name === undefined ? old.name : checkName(row.name);
	const oldFields = parseJson<CustomFields>(old.fields, {});
	const newFields =
		row.fields === undefined
			? oldFields
			: options.replaceFields
				? checkFields(row.fields)
				: { ...oldFields, ...checkFields(row.fields) };
	let status = old.status;
	let statusKept: SubscriberStatus | undefined;
	if (requested === 'pending' && (old.status === 'active' || old.status === 'stopped')) {
		// Asking for confirmation never downgrades a confirmed subscriber (or overrides the
		// operator's stop): the row keeps its status.
		statusKept = old.status;
	} else if (
		options.onlyStricterStatus &&
		requested !== undefined &&
		requested !== 'active' &&
		requested !== old.status &&
		!isStricterStatus(old.status, requested)
	) {
		statusKept = old.status;
	} else if (requested !== undefined && requested !== old.status) {
		const blocked =
			(requested === 'active' || requested === 'pending') &&
			(CONSENT_BLOCKING_STATUSES.includes(old.status) || isSuppressed);
		if (blocked && !options.allowReactivate) statusKept = old.status;
		else {
			status = requested;
			if (isSuppressed && requested === 'active') plan.liftSuppression.push(email);
			plan.statusChanges.push({ id: old.id, from: old.status, to: status });
		}
	}
	if (name !== old.name || status !== old.status || !sameJson(newFields, oldFields)) {
		const fieldsJson = JSON.stringify(newFields);
		plan.updates.push({ id: old.id, name, fields: fieldsJson, status, nameFold: foldException(name), fieldsMatch: storedFieldsMatch(newFields, fieldsJson) });
		plan.outcomes.push({ outcome: 'updated', id: old.id, statusKept });
	} else {
		if ((options.importRunId ?? null) !== null) plan.touched.push(old.id);
		plan.outcomes.push({ outcome: 'unchanged', id: old.id, statusKept });
	}
}

/** Writes a planned batch: the rows set-based, then the suppressions lifted and the audit entries. */
async function writePlan(
	tx: SqlExecutor,
	hash: HashEmail,
	listId: string,
	plan: BatchPlan,
	options: UpsertOptions,
	actor: Actor,
	auditEachRow: boolean,
): Promise<void> {
	const mode = options.mode ?? 'upsert';
	const runId = options.importRunId ?? null;
	const at = now();
	await insertMany(tx, listId, plan.inserts, runId, at);
	await updateMany(tx, plan.updates, runId, at);
	if (plan.touched.length) await touchMany(tx, plan.touched, runId as string);
	for (const email of plan.liftSuppression) {
		await liftSuppression(tx, hash(email), actor, { reason: 'explicit consent' });
	}
	for (const change of plan.statusChanges) {
		await recordAudit(tx, actor, 'subscriber.status', 'subscriber', change.id, {
			from: change.from,
			to: change.to,
			consentOverride: Boolean(options.allowReactivate),
		});
	}
	const counts: Record<string, number> = {};
	for (const { outcome } of plan.outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
	if (auditEachRow) {
		const only = plan.outcomes[0];
		if (only.outcome === 'created' || only.outcome === 'updated') {
			const id =
				only.id ??
				String((await tx.get('SELECT id FROM subscribers WHERE list_id = ? AND email_key = ?', [listId, plan.inserts[0].key]))?.id);
			only.id = id;
			await recordAudit(tx, actor, `subscriber.${only.outcome === 'created' ? 'create' : 'update'}`, 'subscriber', id, {
				listId,
			});
		}
	} else if (plan.inserts.length || plan.updates.length) {
		await recordAudit(tx, actor, 'subscriber.bulk-upsert', 'list', listId, { mode, importRunId: runId, ...counts });
	}
}

async function fetchExisting(tx: SqlExecutor, listId: string, keys: string[]): Promise<Map<string, ExistingRow>> {
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

async function insertMany(
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

async function updateMany(tx: SqlExecutor, rows: PlannedUpdate[], runId: string | null, at: string): Promise<void> {
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
	await tx.run(
		`UPDATE subscribers SET name = j.value ->> 1, fields = j.value ->> 2, status = j.value ->> 3,
		 import_run = COALESCE(?, import_run), updated_at = ?, ${copies ? 'name_fold = j.value ->> 4, fields_match = j.value ->> 5' : 'name_fold = NULL, fields_match = NULL'}
		 FROM json_each(?) AS j WHERE subscribers.id = j.value ->> 0`,
		[
			runId,
			at,
			JSON.stringify(rows.map((r) => (copies ? [Number(r.id), r.name, r.fields, r.status, r.nameFold, r.fieldsMatch] : [Number(r.id), r.name, r.fields, r.status]))),
		],
	);
}

async function touchMany(tx: SqlExecutor, ids: string[], runId: string): Promise<void> {
	await tx.run(`UPDATE subscribers SET import_run = ? WHERE id ${inIds(tx.dialect)}`, [runId, idsParam(tx.dialect, ids)]);
}


export async function bulkStatus(
	driver: SqlDriver,
	hash: HashEmail,
	listId: string,
	emails: Array<{ email: string; ref?: number }>,
	action: BulkStatusAction,
	actor: Actor,
): Promise<{ changed: number; missing: Array<{ email: string; ref?: number }> }> {
	return driver.transaction(async (tx) => {
		const list = await requireList(tx, listId);
		const missing: Array<{ email: string; ref?: number }> = [];
		const valid: Array<{ entry: { email: string; ref?: number }; email: string }> = [];
		for (const entry of emails) {
			const email = cleanEmail(entry.email);
			if (isValidEmail(email)) valid.push({ entry, email });
			else missing.push(entry);
		}
		if (action === 'suppress') {
			const added = await addSuppressions(tx, hash, valid.map((v) => v.email), 'imported', 'import', actor);
			return { changed: added, missing };
		}
		// Set-based like writeBatch: one lookup, one update and one audit insert per batch.
		const existing = await fetchExisting(tx, list.id, [...new Set(valid.map((v) => emailKey(v.email)))]);
		const to: SubscriberStatus = action === 'trash' ? 'trashed' : 'unsubscribed';
		const changes: Array<{ id: string; from: SubscriberStatus }> = [];
		for (const { entry, email } of valid) {
			const row = existing.get(emailKey(email));
			if (!row) {
				missing.push(entry);
				continue;
			}
			if (row.status === to || (to === 'unsubscribed' && row.status === 'complained')) continue;
			changes.push({ id: row.id, from: row.status });
			// A repeat of the address later in the batch finds it changed already.
			row.status = to;
		}
		if (changes.length) {
			const ids = changes.map((change) => change.id);
			if (tx.dialect === 'postgres') {
				await tx.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ANY(?::bigint[])', [to, now(), ids]);
			} else {
				await tx.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?))', [
					to,
					now(),
					JSON.stringify(ids.map(Number)),
				]);
			}
			await recordAuditMany(
				tx,
				actor,
				changes.map((change) => ({
					action: 'subscriber.status',
					entityType: 'subscriber',
					entityId: change.id,
					details: { from: change.from, to },
				})),
			);
		}
		return { changed: changes.length, missing };
	});
}

