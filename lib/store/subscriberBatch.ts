/**
 * Subscriber writes in batches (imports, Add/Update, bulk unsubscribe/trash/suppress): one
 * transaction per batch, a few set-based statements whatever its size (subscriberBatchSql.ts). The
 * decisions are made here, in memory, the same for both backends.
 */
import { foldException, storedFieldsMatch, storedMatch } from '../segments';
import { recordAudit, recordAuditMany } from './auditLog';
import type { SqlDriver, SqlExecutor } from './driver';
import { cleanEmail, emailKey, isValidEmail, requireValidEmail } from './email';
import { requireList, requireListRow } from './lists';
import { checkFields, checkName, checkStatus, now, parseJson, toList } from './rows';
import { getSubscriber } from './subscribers';
import { fetchExisting, insertMany, touchMany, updateMany, type ExistingRow, type PlannedInsert, type PlannedUpdate } from './subscriberBatchSql';
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
	// The new fields' JSON is both the comparison and what is written: stringified once. Equal to
	// the stored text, it is unchanged without re-stringifying the old fields (a re-import).
	const fieldsJson = newFields === oldFields ? null : JSON.stringify(newFields);
	const fieldsChanged = fieldsJson !== null && fieldsJson !== old.fields && fieldsJson !== JSON.stringify(oldFields);
	if (name !== old.name || status !== old.status || fieldsChanged) {
		const json = fieldsJson ?? JSON.stringify(newFields);
		plan.updates.push({
			id: old.id,
			name,
			fields: json,
			status,
			statusChanged: status !== old.status,
			nameFold: foldException(name),
			fieldsMatch: storedFieldsMatch(newFields, json),
		});
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

