import { randomUUID } from 'node:crypto';
import { decideBounce, validateBouncePolicy, type BounceState } from './bouncePolicy';
import { withSecureDelete, type Row, type SqlDriver, type SqlExecutor } from './driver';
import { cleanEmail, emailKey, isValidEmail, requireValidEmail, suppressionHash } from './email';
import { migrate } from './migrations';
import {
	CONSENT_BLOCKING_STATUSES,
	DEFAULT_BOUNCE_POLICY,
	StoreError,
	SUBSCRIBER_STATUSES,
	type Actor,
	type AuditEntry,
	type BouncePolicy,
	type BulkStatusAction,
	type BulkUpsertResult,
	type BulkUpsertRow,
	type CustomFields,
	type DeliveryEventInput,
	type DeliveryEventResult,
	type MailingList,
	type Page,
	type PageOptions,
	type StoreInfo,
	type LastBounce,
	type Subscriber,
	type SubscriberFilter,
	type SubscriberInput,
	type SubscriberRef,
	type SubscriberStatus,
	type SubscriberStore,
	type SubscriberUpdate,
	type SuppressionEntry,
	type UpsertOptions,
	type UpsertOutcome,
	type UpsertResult,
} from './types';

const SUBSCRIBER_COLUMNS =
	'id, list_id, email, name, fields, status, hard_bounces, soft_bounces, soft_bounce_times, complaints, last_error, last_bounce_kind, last_bounce_reason, last_bounce_at, last_event_at, source, import_run, created_at, updated_at';

const MAX_PAGE = 10_000;
const MAX_NAME_LENGTH = 500;

function now(): string {
	return new Date().toISOString();
}

function parseJson<T>(text: unknown, fallback: T): T {
	if (typeof text !== 'string') return (text as T) ?? fallback;
	try {
		return JSON.parse(text) as T;
	} catch {
		return fallback;
	}
}

function toList(row: Row): MailingList {
	return {
		id: String(row.id),
		name: String(row.name),
		description: String(row.description ?? ''),
		createdAt: String(row.created_at),
		updatedAt: String(row.updated_at),
	};
}

function toLastBounce(row: Row): LastBounce | null {
	if (!row.last_bounce_kind || !row.last_bounce_reason) return null;
	return {
		kind: row.last_bounce_kind as LastBounce['kind'],
		reason: String(row.last_bounce_reason),
		diagnostic: (row.last_error as string | null) ?? null,
		at: String(row.last_bounce_at ?? row.last_event_at ?? ''),
	};
}

function toSubscriber(row: Row): Subscriber {
	return {
		id: String(row.id),
		listId: String(row.list_id),
		email: String(row.email),
		name: String(row.name ?? ''),
		fields: parseJson<CustomFields>(row.fields, {}),
		status: row.status as SubscriberStatus,
		hardBounces: Number(row.hard_bounces),
		softBounces: Number(row.soft_bounces),
		complaints: Number(row.complaints),
		lastError: (row.last_error as string | null) ?? null,
		lastBounce: toLastBounce(row),
		lastEventAt: (row.last_event_at as string | null) ?? null,
		source: String(row.source ?? ''),
		createdAt: String(row.created_at),
		updatedAt: String(row.updated_at),
	};
}

function encodeCursor(value: string): string {
	return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string | null | undefined): string | null {
	if (!cursor) return null;
	const value = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!/^\d+$/.test(value)) throw new StoreError('The page cursor is not valid; start again without one', 'invalid');
	return value;
}

function checkLimit(limit: number): number {
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
		throw new StoreError(`The page size must be a whole number from 1 to ${MAX_PAGE}`, 'invalid');
	}
	return limit;
}

function checkStatus(status: unknown): SubscriberStatus {
	if (!SUBSCRIBER_STATUSES.includes(status as SubscriberStatus)) {
		throw new StoreError(
			`'${String(status)}' is not a subscriber status; use one of ${SUBSCRIBER_STATUSES.join(', ')}`,
			'invalid',
		);
	}
	return status as SubscriberStatus;
}

function checkFields(fields: unknown): CustomFields {
	if (fields === undefined || fields === null) return {};
	if (typeof fields !== 'object' || Array.isArray(fields)) {
		throw new StoreError('Custom fields must be an object of field names and values', 'invalid');
	}
	return fields as CustomFields;
}

function checkName(name: unknown): string {
	const text = name === undefined || name === null ? '' : String(name);
	if (text.length > MAX_NAME_LENGTH) {
		throw new StoreError(`The name is longer than ${MAX_NAME_LENGTH} characters`, 'invalid');
	}
	return text;
}

function sameJson(a: unknown, b: unknown): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

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
}

interface PlannedUpdate {
	id: string;
	name: string;
	fields: string;
	status: SubscriberStatus;
}

/**
 * The subscriber store, written once against SqlDriver and so identical on SQLite and
 * PostgreSQL; only the few bulk statements differ, where PostgreSQL wants set-based SQL.
 */
export class SqlSubscriberStore implements SubscriberStore {
	private salt = '';

	private constructor(
		private readonly driver: SqlDriver,
		private readonly schemaVersion: number,
	) {}

	static async open(driver: SqlDriver, schema?: string): Promise<SqlSubscriberStore> {
		try {
			const version = await migrate(driver, schema);
			const store = new SqlSubscriberStore(driver, version);
			const salt = await driver.get<{ value: string }>(
				"SELECT value FROM bm_meta WHERE key = 'suppression_salt'",
			);
			store.salt = String(salt?.value);
			return store;
		} catch (error) {
			await driver.close().catch(() => undefined);
			throw error;
		}
	}

	get backend(): 'sqlite' | 'postgres' {
		return this.driver.dialect;
	}

	/** The SQL driver, for engine modules that keep their own tables in the same store. */
	get sql(): SqlDriver {
		return this.driver;
	}

	async info(): Promise<StoreInfo> {
		return { backend: this.backend, location: this.driver.location, schemaVersion: this.schemaVersion };
	}

	async close(): Promise<void> {
		await this.driver.close();
	}

	hashEmail(email: string): string {
		return suppressionHash(this.salt, email);
	}

	// ---------------------------------------------------------------- audit

	async audit(
		tx: SqlExecutor,
		actor: Actor,
		action: string,
		entityType: string,
		entityId: string | null,
		details: Record<string, unknown>,
	): Promise<void> {
		await tx.run(
			'INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
			[randomUUID(), now(), JSON.stringify(actor), action, entityType, entityId, JSON.stringify(details)],
		);
	}

	/** Many audit entries in one statement, in the given order. */
	private async auditMany(
		tx: SqlExecutor,
		actor: Actor,
		entries: Array<{ action: string; entityType: string; entityId: string | null; details: Record<string, unknown> }>,
	): Promise<void> {
		if (!entries.length) return;
		const at = now();
		const actorJson = JSON.stringify(actor);
		if (tx.dialect === 'postgres') {
			await tx.run(
				`INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details)
				 SELECT t.id, ?, ?, t.action, t.entity_type, t.entity_id, t.details
				 FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS t(id, action, entity_type, entity_id, details, n)
				 ORDER BY t.n`,
				[
					at,
					actorJson,
					entries.map(() => randomUUID()),
					entries.map((entry) => entry.action),
					entries.map((entry) => entry.entityType),
					entries.map((entry) => entry.entityId),
					entries.map((entry) => JSON.stringify(entry.details)),
				],
			);
			return;
		}
		await tx.run(
			`INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details)
			 SELECT j.value ->> 0, ?, ?, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4 FROM json_each(?) AS j ORDER BY j.key`,
			[
				at,
				actorJson,
				JSON.stringify(
					entries.map((entry) => [randomUUID(), entry.action, entry.entityType, entry.entityId, JSON.stringify(entry.details)]),
				),
			],
		);
	}

	async getAuditLog(
		filter: { entityId?: string; action?: string },
		page: PageOptions,
	): Promise<Page<AuditEntry>> {
		const limit = checkLimit(page.limit);
		const where: string[] = [];
		const params: unknown[] = [];
		const after = decodeCursor(page.cursor);
		if (after) {
			where.push('seq > ?');
			params.push(after);
		}
		if (filter.entityId) {
			where.push('entity_id = ?');
			params.push(filter.entityId);
		}
		if (filter.action) {
			where.push('action = ?');
			params.push(filter.action);
		}
		const rows = await this.driver.all(
			`SELECT seq, id, at, actor, action, entity_type, entity_id, details FROM audit_log
			 ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`,
			[...params, limit + 1],
		);
		const items = rows.slice(0, limit).map((row) => ({
			id: String(row.id),
			at: String(row.at),
			actor: parseJson<Actor>(row.actor, { type: 'unknown' }),
			action: String(row.action),
			entityType: String(row.entity_type),
			entityId: (row.entity_id as string | null) ?? null,
			details: parseJson<Record<string, unknown>>(row.details, {}),
		}));
		const next = rows.length > limit ? encodeCursor(String(rows[limit - 1].seq)) : null;
		return { items, next };
	}

	// ---------------------------------------------------------------- lists

	async createList(input: { name: string; description?: string }, actor: Actor): Promise<MailingList> {
		const name = String(input.name ?? '').trim();
		if (!name) throw new StoreError('The list name is empty', 'invalid');
		if (name.length > 200) throw new StoreError('The list name is longer than 200 characters', 'invalid');
		return this.driver.transaction(async (tx) => {
			const clash = await tx.get('SELECT id FROM lists WHERE name_key = ?', [name.toLowerCase()]);
			if (clash) throw new StoreError(`A list named '${name}' already exists (id ${String(clash.id)})`, 'conflict');
			const at = now();
			const row = await tx.get(
				'INSERT INTO lists (name, name_key, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
				[name, name.toLowerCase(), String(input.description ?? ''), at, at],
			);
			const list = toList(row as Row);
			await this.audit(tx, actor, 'list.create', 'list', list.id, { name });
			return list;
		});
	}

	async getList(idOrName: string): Promise<MailingList | null> {
		const key = String(idOrName ?? '').trim();
		if (!key) return null;
		const row = /^\d+$/.test(key)
			? await this.driver.get('SELECT * FROM lists WHERE id = ?', [key])
			: undefined;
		const found = row ?? (await this.driver.get('SELECT * FROM lists WHERE name_key = ?', [key.toLowerCase()]));
		return found ? toList(found) : null;
	}

	async getLists(): Promise<MailingList[]> {
		return (await this.driver.all('SELECT * FROM lists ORDER BY id')).map(toList);
	}

	private async requireList(tx: SqlExecutor, id: string): Promise<MailingList> {
		return toList(await this.requireListRow(tx, id, 'l.*'));
	}

	/** The list's row with `columns` selected (the list is `l`); not-found when there is none. */
	private async requireListRow(tx: SqlExecutor, id: string, columns: string): Promise<Row> {
		const row = /^\d+$/.test(String(id)) ? await tx.get(`SELECT ${columns} FROM lists l WHERE l.id = ?`, [id]) : undefined;
		if (!row) throw new StoreError(`There is no list with id '${id}'`, 'not-found');
		return row;
	}

	async renameList(id: string, name: string, actor: Actor): Promise<MailingList> {
		const newName = String(name ?? '').trim();
		if (!newName) throw new StoreError('The new list name is empty', 'invalid');
		return this.driver.transaction(async (tx) => {
			const list = await this.requireList(tx, id);
			const clash = await tx.get('SELECT id FROM lists WHERE name_key = ? AND id <> ?', [newName.toLowerCase(), list.id]);
			if (clash) throw new StoreError(`A list named '${newName}' already exists (id ${String(clash.id)})`, 'conflict');
			const row = await tx.get(
				'UPDATE lists SET name = ?, name_key = ?, updated_at = ? WHERE id = ? RETURNING *',
				[newName, newName.toLowerCase(), now(), list.id],
			);
			await this.audit(tx, actor, 'list.rename', 'list', list.id, { from: list.name, to: newName });
			return toList(row as Row);
		});
	}

	async deleteList(id: string, actor: Actor): Promise<{ deleted: boolean; subscribers: number }> {
		return this.driver.transaction(async (tx) => {
			const list = await this.requireList(tx, id);
			const removed = await tx.run('DELETE FROM subscribers WHERE list_id = ?', [list.id]);
			await tx.run('DELETE FROM lists WHERE id = ?', [list.id]);
			await this.audit(tx, actor, 'list.delete', 'list', list.id, {
				name: list.name,
				subscribersRemoved: removed.changes,
			});
			return { deleted: true, subscribers: removed.changes };
		});
	}

	// ---------------------------------------------------------------- subscribers: writes

	async upsertSubscriber(
		listId: string,
		input: SubscriberInput,
		options: UpsertOptions,
		actor: Actor,
	): Promise<UpsertResult> {
		const email = requireValidEmail(input.email);
		const result = await this.writeBatch(listId, [{ ...input, email }], options, actor, true);
		const row = result.rows[0];
		const subscriber = row.id
			? await this.getSubscriber({ id: row.id })
			: await this.getSubscriber({ listId, email });
		return { outcome: row.outcome, subscriber, ...(row.statusKept ? { statusKept: row.statusKept } : {}) };
	}

	async bulkUpsert(
		listId: string,
		rows: BulkUpsertRow[],
		options: UpsertOptions,
		actor: Actor,
	): Promise<BulkUpsertResult> {
		const result = await this.writeBatch(listId, rows, options, actor, false);
		const summary: BulkUpsertResult = { created: 0, updated: 0, unchanged: 0, duplicates: 0, skipped: 0, rejected: [] };
		result.rows.forEach((row, index) => {
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
	private async writeBatch(
		listId: string,
		rows: SubscriberInput[],
		options: UpsertOptions,
		actor: Actor,
		auditEachRow: boolean,
	): Promise<{ rows: Array<{ outcome: UpsertOutcome; id?: string; statusKept?: SubscriberStatus }> }> {
		const mode = options.mode ?? 'upsert';
		const runId = options.importRunId ?? null;
		return this.driver.transaction(async (tx) => {
			// The list and whether anything is suppressed in one round trip (PostgreSQL pays per statement).
			// Hashing every address costs more than the suppression lookup itself; skip both while nothing
			// is suppressed.
			const listRow = await this.requireListRow(tx, listId, 'l.*, EXISTS (SELECT 1 FROM suppressions) AS any_suppressed');
			const list = toList(listRow);
			const anySuppressed = Boolean(listRow.any_suppressed);
			const prepared = rows.map((row) => {
				const email = cleanEmail(row.email);
				const valid = isValidEmail(email);
				return { row, email, key: emailKey(email), valid, hash: valid && anySuppressed ? this.hashEmail(email) : '' };
			});
			const keys = [...new Set(prepared.filter((p) => p.valid).map((p) => p.key))];
			const existing = await this.fetchExisting(tx, list.id, keys);
			const suppressed = anySuppressed
				? await this.fetchSuppressed(tx, prepared.filter((p) => p.valid).map((p) => p.hash))
				: new Set<string>();

			const seenInBatch = new Set<string>();
			const inserts: PlannedInsert[] = [];
			const updates: PlannedUpdate[] = [];
			const touched: string[] = [];
			const liftSuppression: string[] = [];
			const statusChanges: Array<{ id: string; from: SubscriberStatus; to: SubscriberStatus }> = [];
			const outcomes: Array<{ outcome: UpsertOutcome; id?: string; statusKept?: SubscriberStatus }> = [];

			for (const { row, email, key, valid, hash } of prepared) {
				if (!valid) {
					outcomes.push({ outcome: 'invalid' });
					continue;
				}
				if (seenInBatch.has(key)) {
					outcomes.push({ outcome: 'duplicate' });
					continue;
				}
				seenInBatch.add(key);
				const isSuppressed = suppressed.has(hash);
				const requested = row.status === undefined ? undefined : checkStatus(row.status);
				const old = existing.get(key);
				if (!old) {
					if (mode === 'updateOnly') {
						outcomes.push({ outcome: 'skipped-missing' });
						continue;
					}
					if (isSuppressed && !options.allowReactivate) {
						outcomes.push({ outcome: 'skipped-suppressed' });
						continue;
					}
					if (isSuppressed) liftSuppression.push(email);
					inserts.push({
						email,
						key,
						name: checkName(row.name),
						fields: JSON.stringify(checkFields(row.fields)),
						status: requested ?? 'active',
						source: String(row.source ?? ''),
					});
					outcomes.push({ outcome: 'created' });
					continue;
				}
				if (runId !== null && old.importRun === runId) {
					outcomes.push({ outcome: 'duplicate', id: old.id });
					continue;
				}
				if (mode === 'createOnly') {
					outcomes.push({ outcome: 'skipped-exists', id: old.id });
					continue;
				}
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
				} else if (requested !== undefined && requested !== old.status) {
					const blocked =
						(requested === 'active' || requested === 'pending') &&
						(CONSENT_BLOCKING_STATUSES.includes(old.status) || isSuppressed);
					if (blocked && !options.allowReactivate) statusKept = old.status;
					else {
						status = requested;
						if (isSuppressed && requested === 'active') liftSuppression.push(email);
						statusChanges.push({ id: old.id, from: old.status, to: status });
					}
				}
				if (name !== old.name || status !== old.status || !sameJson(newFields, oldFields)) {
					updates.push({ id: old.id, name, fields: JSON.stringify(newFields), status });
					outcomes.push({ outcome: 'updated', id: old.id, statusKept });
				} else {
					if (runId !== null) touched.push(old.id);
					outcomes.push({ outcome: 'unchanged', id: old.id, statusKept });
				}
			}

			const at = now();
			await this.insertMany(tx, list.id, inserts, runId, at);
			await this.updateMany(tx, updates, runId, at);
			if (touched.length) await this.touchMany(tx, touched, runId as string);
			for (const email of liftSuppression) {
				await tx.run('DELETE FROM suppressions WHERE hash = ?', [this.hashEmail(email)]);
				await this.audit(tx, actor, 'suppression.lift', 'suppression', null, { reason: 'explicit consent' });
			}
			for (const change of statusChanges) {
				await this.audit(tx, actor, 'subscriber.status', 'subscriber', change.id, {
					from: change.from,
					to: change.to,
					consentOverride: Boolean(options.allowReactivate),
				});
			}
			const counts: Record<string, number> = {};
			for (const { outcome } of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
			if (auditEachRow) {
				const only = outcomes[0];
				if (only.outcome === 'created' || only.outcome === 'updated') {
					const id =
						only.id ??
						String((await tx.get('SELECT id FROM subscribers WHERE list_id = ? AND email_key = ?', [list.id, inserts[0].key]))?.id);
					only.id = id;
					await this.audit(tx, actor, `subscriber.${only.outcome === 'created' ? 'create' : 'update'}`, 'subscriber', id, {
						listId: list.id,
					});
				}
			} else if (inserts.length || updates.length) {
				await this.audit(tx, actor, 'subscriber.bulk-upsert', 'list', list.id, { mode, importRunId: runId, ...counts });
			}
			return { rows: outcomes };
		});
	}

	private async fetchExisting(tx: SqlExecutor, listId: string, keys: string[]): Promise<Map<string, ExistingRow>> {
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

	private async fetchSuppressed(tx: SqlExecutor, batchHashes: string[]): Promise<Set<string>> {
		const hashes = [...new Set(batchHashes)];
		const found = new Set<string>();
		if (!hashes.length) return found;
		const rows =
			tx.dialect === 'postgres'
				? await tx.all('SELECT hash FROM suppressions WHERE hash = ANY(?::text[])', [hashes])
				: await tx.all('SELECT hash FROM suppressions WHERE hash IN (SELECT value FROM json_each(?))', [JSON.stringify(hashes)]);
		for (const row of rows) found.add(String(row.hash));
		return found;
	}

	private async insertMany(
		tx: SqlExecutor,
		listId: string,
		rows: PlannedInsert[],
		runId: string | null,
		at: string,
	): Promise<void> {
		if (!rows.length) return;
		if (tx.dialect === 'postgres') {
			await tx.run(
				`INSERT INTO subscribers (list_id, email, email_key, email_lower, name, fields, status, source, import_run, created_at, updated_at)
				 SELECT ?, t.e, t.k, t.l, t.n, t.f, t.s, t.src, ?, ?, ?
				 FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS t(e, k, l, n, f, s, src)
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
				],
			);
			return;
		}
		await tx.run(
			`INSERT INTO subscribers (list_id, email, email_key, email_lower, name, fields, status, source, import_run, created_at, updated_at)
			 SELECT ?, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, ?, ?, ?
			 FROM json_each(?) AS j WHERE true ON CONFLICT (list_id, email_key) DO NOTHING`,
			[listId, runId, at, at, JSON.stringify(rows.map((r) => [r.email, r.key, r.email.toLowerCase(), r.name, r.fields, r.status, r.source]))],
		);
	}

	private async updateMany(tx: SqlExecutor, rows: PlannedUpdate[], runId: string | null, at: string): Promise<void> {
		if (!rows.length) return;
		if (tx.dialect === 'postgres') {
			await tx.run(
				`UPDATE subscribers AS s SET name = t.n, fields = t.f, status = t.st, import_run = COALESCE(?, s.import_run), updated_at = ?
				 FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[]) AS t(id, n, f, st) WHERE s.id = t.id`,
				[runId, at, rows.map((r) => r.id), rows.map((r) => r.name), rows.map((r) => r.fields), rows.map((r) => r.status)],
			);
			return;
		}
		await tx.run(
			`UPDATE subscribers SET name = j.value ->> 1, fields = j.value ->> 2, status = j.value ->> 3,
			 import_run = COALESCE(?, import_run), updated_at = ? FROM json_each(?) AS j WHERE subscribers.id = j.value ->> 0`,
			[runId, at, JSON.stringify(rows.map((r) => [Number(r.id), r.name, r.fields, r.status]))],
		);
	}

	private async touchMany(tx: SqlExecutor, ids: string[], runId: string): Promise<void> {
		if (tx.dialect === 'postgres') {
			await tx.run('UPDATE subscribers SET import_run = ? WHERE id = ANY(?::bigint[])', [runId, ids]);
			return;
		}
		await tx.run('UPDATE subscribers SET import_run = ? WHERE id IN (SELECT value FROM json_each(?))', [
			runId,
			JSON.stringify(ids.map(Number)),
		]);
	}

	async bulkStatus(
		listId: string,
		emails: Array<{ email: string; ref?: number }>,
		action: BulkStatusAction,
		actor: Actor,
	): Promise<{ changed: number; missing: Array<{ email: string; ref?: number }> }> {
		return this.driver.transaction(async (tx) => {
			const list = await this.requireList(tx, listId);
			const missing: Array<{ email: string; ref?: number }> = [];
			const valid: Array<{ entry: { email: string; ref?: number }; email: string }> = [];
			for (const entry of emails) {
				const email = cleanEmail(entry.email);
				if (isValidEmail(email)) valid.push({ entry, email });
				else missing.push(entry);
			}
			if (action === 'suppress') {
				const added = await this.addSuppressions(tx, valid.map((v) => v.email), 'imported', 'import', actor);
				return { changed: added, missing };
			}
			// Set-based like writeBatch: one lookup, one update and one audit insert per batch.
			const existing = await this.fetchExisting(tx, list.id, [...new Set(valid.map((v) => emailKey(v.email)))]);
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
				await this.auditMany(
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

	async updateSubscriber(id: string, update: SubscriberUpdate, actor: Actor): Promise<Subscriber> {
		return this.driver.transaction(async (tx) => {
			const current = await this.requireSubscriber(tx, id);
			const email = update.email === undefined ? current.email : requireValidEmail(update.email);
			if (emailKey(email) !== emailKey(current.email)) {
				const clash = await tx.get('SELECT id FROM subscribers WHERE list_id = ? AND email_key = ? AND id <> ?', [
					current.listId,
					emailKey(email),
					id,
				]);
				if (clash) throw new StoreError(`'${email}' is already on this list (subscriber ${String(clash.id)})`, 'conflict');
			}
			const fields =
				update.fields === undefined
					? current.fields
					: update.replaceFields
						? checkFields(update.fields)
						: { ...current.fields, ...checkFields(update.fields) };
			const status = update.status === undefined ? current.status : checkStatus(update.status);
			if (status !== current.status) {
				await this.checkReactivation(tx, current, status, Boolean(update.allowReactivate));
			}
			await tx.run(
				'UPDATE subscribers SET email = ?, email_key = ?, email_lower = ?, name = ?, fields = ?, status = ?, updated_at = ? WHERE id = ?',
				[email, emailKey(email), email.toLowerCase(), update.name === undefined ? current.name : checkName(update.name), JSON.stringify(fields), status, now(), id],
			);
			await this.audit(tx, actor, 'subscriber.update', 'subscriber', id, {
				changed: Object.keys(update).filter((key) => key !== 'allowReactivate' && key !== 'replaceFields'),
				...(status !== current.status ? { from: current.status, to: status } : {}),
			});
			return this.requireSubscriber(tx, id);
		});
	}

	/** Consent safety: refuses to make an opted-out or suppressed address mailable again. */
	private async checkReactivation(
		tx: SqlExecutor,
		current: Subscriber,
		to: SubscriberStatus,
		allowReactivate: boolean,
	): Promise<void> {
		if (to !== 'active' && to !== 'pending') return;
		const suppressed = Boolean(await tx.get('SELECT 1 AS x FROM suppressions WHERE hash = ?', [this.hashEmail(current.email)]));
		if (!CONSENT_BLOCKING_STATUSES.includes(current.status) && !suppressed) return;
		if (!allowReactivate) {
			throw new StoreError(
				`Subscriber ${current.id} is ${suppressed ? 'on the suppression list' : current.status}; making it ${to} again needs explicit consent (turn on "Confirm Consent to Reactivate")`,
				'refused',
			);
		}
		if (suppressed) {
			await tx.run('DELETE FROM suppressions WHERE hash = ?', [this.hashEmail(current.email)]);
			await this.audit(tx, { type: 'store' }, 'suppression.lift', 'suppression', null, { subscriberId: current.id, reason: 'explicit consent' });
		}
	}

	async setStatus(
		id: string,
		status: SubscriberStatus,
		options: { allowReactivate?: boolean; reason?: string },
		actor: Actor,
	): Promise<Subscriber> {
		const to = checkStatus(status);
		return this.driver.transaction(async (tx) => {
			const current = await this.requireSubscriber(tx, id);
			if (current.status === to) return current;
			await this.checkReactivation(tx, current, to, Boolean(options.allowReactivate));
			await tx.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?', [to, now(), id]);
			await this.audit(tx, actor, 'subscriber.status', 'subscriber', id, {
				from: current.status,
				to,
				...(options.reason ? { reason: options.reason } : {}),
				...(options.allowReactivate ? { consentOverride: true } : {}),
			});
			return this.requireSubscriber(tx, id);
		});
	}

	async eraseSubscriber(id: string, actor: Actor): Promise<{ erased: boolean }> {
		return this.driver.transaction(async (tx) => withSecureDelete(tx, async () => {
			const current = await this.requireSubscriber(tx, id);
			await this.addSuppression(tx, current.email, 'erased', 'erase', actor);
			// Only the hash survives: the suppression entry's clear-text address goes too.
			await tx.run('UPDATE suppressions SET email = NULL WHERE hash = ?', [this.hashEmail(current.email)]);
			const placeholder = `erased-${id}@erased.invalid`;
			await tx.run(
				`UPDATE subscribers SET email = ?, email_key = ?, email_lower = ?, name = '', fields = '{}', status = 'trashed',
				 last_error = NULL, source = '', updated_at = ? WHERE id = ?`,
				[placeholder, placeholder, placeholder, now(), id],
			);
			// A consent record's IP address and user agent are personal data too.
			await tx.run('UPDATE consents SET ip = NULL, user_agent = NULL WHERE subscriber_id = ?', [id]);
			// SMTP replies in the send log can quote the address.
			await tx.run(
				// campaign_id first, so the send log's primary key is used instead of a full scan.
				'UPDATE send_log SET response = NULL, error = NULL WHERE campaign_id IN (SELECT id FROM campaigns) AND subscriber_id = ?',
				[id],
			);
			await this.audit(tx, actor, 'subscriber.erase', 'subscriber', id, { listId: current.listId });
			return { erased: true };
		}));
	}

	// ---------------------------------------------------------------- subscribers: reads

	private async requireSubscriber(tx: SqlExecutor, id: string): Promise<Subscriber> {
		const row = /^\d+$/.test(String(id))
			? await tx.get(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?`, [id])
			: undefined;
		if (!row) throw new StoreError(`There is no subscriber with id '${id}'`, 'not-found');
		return toSubscriber(row);
	}

	async getSubscriber(ref: SubscriberRef): Promise<Subscriber | null> {
		if ('id' in ref) {
			if (!/^\d+$/.test(String(ref.id))) return null;
			const row = await this.driver.get(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?`, [ref.id]);
			return row ? toSubscriber(row) : null;
		}
		const row = /^\d+$/.test(String(ref.listId))
			? await this.driver.get(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE list_id = ? AND email_key = ?`, [
					ref.listId,
					emailKey(cleanEmail(ref.email)),
				])
			: undefined;
		return row ? toSubscriber(row) : null;
	}

	private filterSql(filter: SubscriberFilter): { where: string[]; params: unknown[] } {
		const where: string[] = [];
		const params: unknown[] = [];
		if (filter.listId !== undefined) {
			where.push('list_id = ?');
			params.push(/^\d+$/.test(String(filter.listId)) ? filter.listId : '-1');
		}
		const statuses = filter.status === undefined ? [] : ([] as SubscriberStatus[]).concat(filter.status).map(checkStatus);
		if (statuses.length) {
			where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
			params.push(...statuses);
		} else if (!filter.includeTrashed) {
			where.push("status <> 'trashed'");
		}
		if (filter.search) {
			const term = `%${String(filter.search).toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
			where.push("(email_lower LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\')");
			params.push(term, term);
		}
		if (filter.field?.name) {
			where.push(
				this.driver.dialect === 'postgres'
					? '(fields::jsonb ->> ?) = ?'
					: "CAST(json_extract(fields, ?) AS TEXT) = ?",
			);
			params.push(
				this.driver.dialect === 'postgres' ? filter.field.name : `$."${filter.field.name.replace(/"/g, '')}"`,
				String(filter.field.value),
			);
		}
		return { where, params };
	}

	async getSubscribers(filter: SubscriberFilter, page: PageOptions): Promise<Page<Subscriber>> {
		const limit = checkLimit(page.limit);
		const { where, params } = this.filterSql(filter);
		const after = decodeCursor(page.cursor);
		if (after) {
			where.push('id > ?');
			params.push(after);
		}
		const rows = await this.driver.all(
			`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
			[...params, limit + 1],
		);
		const items = rows.slice(0, limit).map(toSubscriber);
		return { items, next: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null };
	}

	async countSubscribers(filter: SubscriberFilter): Promise<number> {
		const { where, params } = this.filterSql(filter);
		const row = await this.driver.get(
			`SELECT COUNT(*) AS n FROM subscribers ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
			params,
		);
		return Number(row?.n ?? 0);
	}

	// ---------------------------------------------------------------- suppression

	private async addSuppression(
		tx: SqlExecutor,
		email: string,
		reason: string,
		source: string,
		actor: Actor,
	): Promise<boolean> {
		const hash = this.hashEmail(email);
		const result = await tx.run(
			'INSERT INTO suppressions (hash, email, reason, source, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING',
			[hash, email, reason, source, now()],
		);
		if (result.changes) await this.audit(tx, actor, 'suppression.add', 'suppression', hash.slice(0, 16), { reason, source });
		return result.changes > 0;
	}

	/** addSuppression for many addresses in one statement; returns how many were new. */
	private async addSuppressions(
		tx: SqlExecutor,
		emails: string[],
		reason: string,
		source: string,
		actor: Actor,
	): Promise<number> {
		const byHash = new Map<string, string>();
		for (const email of emails) {
			const hash = this.hashEmail(email);
			if (!byHash.has(hash)) byHash.set(hash, email);
		}
		if (!byHash.size) return 0;
		const hashes = [...byHash.keys()];
		const at = now();
		const inserted =
			tx.dialect === 'postgres'
				? await tx.all(
						`INSERT INTO suppressions (hash, email, reason, source, created_at)
						 SELECT t.h, t.e, ?, ?, ? FROM unnest(?::text[], ?::text[]) AS t(h, e)
						 ON CONFLICT (hash) DO NOTHING RETURNING hash`,
						[reason, source, at, hashes, [...byHash.values()]],
					)
				: await tx.all(
						`INSERT INTO suppressions (hash, email, reason, source, created_at)
						 SELECT j.value ->> 0, j.value ->> 1, ?, ?, ? FROM json_each(?) AS j WHERE true
						 ON CONFLICT (hash) DO NOTHING RETURNING hash`,
						[reason, source, at, JSON.stringify([...byHash].map(([hash, email]) => [hash, email]))],
					);
		const added = new Set(inserted.map((row) => String(row.hash)));
		await this.auditMany(
			tx,
			actor,
			hashes
				.filter((hash) => added.has(hash))
				.map((hash) => ({ action: 'suppression.add', entityType: 'suppression', entityId: hash.slice(0, 16), details: { reason, source } })),
		);
		return added.size;
	}

	async suppress(email: string, reason: string, source: string, actor: Actor): Promise<void> {
		const valid = requireValidEmail(email);
		await this.driver.transaction(async (tx) => {
			await this.addSuppression(tx, valid, reason, source, actor);
		});
	}

	async isSuppressed(email: string): Promise<boolean> {
		return Boolean(await this.driver.get('SELECT 1 AS x FROM suppressions WHERE hash = ?', [this.hashEmail(cleanEmail(email))]));
	}

	async getSuppressions(page: PageOptions): Promise<Page<SuppressionEntry>> {
		const limit = checkLimit(page.limit);
		const after = page.cursor ? Buffer.from(page.cursor, 'base64url').toString('utf8') : null;
		const rows = await this.driver.all(
			`SELECT hash, email, reason, source, created_at FROM suppressions ${after ? 'WHERE hash > ?' : ''} ORDER BY hash LIMIT ?`,
			after ? [after, limit + 1] : [limit + 1],
		);
		const items = rows.slice(0, limit).map((row) => ({
			hash: String(row.hash),
			email: (row.email as string | null) ?? null,
			reason: String(row.reason),
			source: String(row.source),
			createdAt: String(row.created_at),
		}));
		return { items, next: rows.length > limit ? encodeCursor(items[items.length - 1].hash) : null };
	}

	// ---------------------------------------------------------------- bounce policy and events

	async getBouncePolicy(): Promise<BouncePolicy> {
		return this.readPolicy(this.driver);
	}

	private async readPolicy(tx: SqlExecutor): Promise<BouncePolicy> {
		const row = await tx.get("SELECT value FROM bm_meta WHERE key = 'bounce_policy'");
		return row ? { ...DEFAULT_BOUNCE_POLICY, ...parseJson<Partial<BouncePolicy>>(row.value, {}) } : { ...DEFAULT_BOUNCE_POLICY };
	}

	async setBouncePolicy(policy: Partial<BouncePolicy>, actor: Actor): Promise<BouncePolicy> {
		return this.driver.transaction(async (tx) => {
			const next = validateBouncePolicy({ ...(await this.readPolicy(tx)), ...policy });
			await tx.run(
				"INSERT INTO bm_meta (key, value) VALUES ('bounce_policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				[JSON.stringify(next)],
			);
			await this.audit(tx, actor, 'settings.bounce-policy', 'settings', 'bounce_policy', { ...next });
			return next;
		});
	}

	/**
	 * Applies one delivery event (hard/soft bounce, complaint, unsubscribe) through the bounce
	 * policy. An event id seen before is ignored, so provider retries never double-count.
	 */
	async applyDeliveryEvent(event: DeliveryEventInput, actor: Actor): Promise<DeliveryEventResult> {
		const occurredAt = event.occurredAt ? new Date(event.occurredAt).toISOString() : now();
		return this.driver.transaction(async (tx) => {
			return this.applyDeliveryEventIn(tx, { ...event, occurredAt }, actor);
		});
	}

	/**
	 * Forgets provider event ids recorded before `before`, oldest first, at most `limit` per call.
	 * They only catch a provider's retries of the same event, which stop within days; kept for
	 * good, the table would grow with every event ever received.
	 */
	async pruneProcessedEvents(before: Date, limit = 10_000): Promise<number> {
		return this.driver.transaction(async (tx) => {
			const deleted = await tx.run(
				`DELETE FROM processed_events WHERE event_id IN (
					SELECT event_id FROM processed_events WHERE processed_at < ? ORDER BY processed_at LIMIT ?)`,
				[before.toISOString(), limit],
			);
			return deleted.changes;
		});
	}

	/** The same as applyDeliveryEvent, inside a caller's transaction (campaign sending uses it). */
	async applyDeliveryEventIn(
		tx: SqlExecutor,
		event: DeliveryEventInput & { occurredAt: string },
		actor: Actor,
	): Promise<DeliveryEventResult> {
		if (event.eventId) {
			const fresh = await tx.run(
				'INSERT INTO processed_events (event_id, processed_at) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING',
				[event.eventId, now()],
			);
			if (!fresh.changes) return { applied: false, duplicate: true, subscribers: [], suppressed: false };
		}
		const policy = await this.readPolicy(tx);
		let rows: Row[] = [];
		if (event.subscriberId && /^\d+$/.test(String(event.subscriberId))) {
			rows = await tx.all(`SELECT ${SUBSCRIBER_COLUMNS}, email_lower FROM subscribers WHERE id = ?`, [event.subscriberId]);
			// The id may come from a returned message's headers, which whoever mails the bounce box
			// writes: it only counts for the address the event is about.
			if (event.email && rows.length && rows[0].email_lower !== cleanEmail(event.email).toLowerCase()) {
				rows = [];
			}
		}
		if (!rows.length && event.email) {
			const params: unknown[] = [cleanEmail(event.email).toLowerCase()];
			let sql = `SELECT ${SUBSCRIBER_COLUMNS}, email_lower FROM subscribers WHERE email_lower = ?`;
			if (event.listId) {
				sql += ' AND list_id = ?';
				params.push(event.listId);
			}
			rows = await tx.all(sql, params);
		}
		const result: DeliveryEventResult = { applied: true, duplicate: false, subscribers: [], suppressed: false };
		let suppressEmail: string | null = null;
		for (const row of rows) {
			const state: BounceState = {
				status: row.status as SubscriberStatus,
				hardBounces: Number(row.hard_bounces),
				softBounces: Number(row.soft_bounces),
				softBounceTimes: parseJson<string[]>(row.soft_bounce_times, []),
				complaints: Number(row.complaints),
			};
			const decision = decideBounce(state, { type: event.type, occurredAt: event.occurredAt }, policy);
			const next = decision.next;
			// A bounce of any kind is the subscriber's last bounce: kind, reason and the server's words.
			const bounce = event.type === 'hard' || event.type === 'soft' || event.type === 'sender';
			await tx.run(
				`UPDATE subscribers SET status = ?, hard_bounces = ?, soft_bounces = ?, soft_bounce_times = ?, complaints = ?,
				 last_error = CASE WHEN ? = 1 THEN ? ELSE last_error END, last_bounce_kind = COALESCE(?, last_bounce_kind),
				 last_bounce_reason = CASE WHEN ? = 1 THEN ? ELSE last_bounce_reason END,
				 last_bounce_at = CASE WHEN ? = 1 THEN ? ELSE last_bounce_at END, last_event_at = ?, updated_at = ? WHERE id = ?`,
				[
					next.status,
					next.hardBounces,
					next.softBounces,
					JSON.stringify(next.softBounceTimes),
					next.complaints,
					bounce ? 1 : 0,
					event.diagnostic ?? null,
					bounce ? event.type : null,
					bounce ? 1 : 0,
					event.reason ?? 'undefined',
					bounce ? 1 : 0,
					event.occurredAt,
					event.occurredAt,
					now(),
					row.id,
				],
			);
			await this.audit(tx, actor, `delivery.${event.type}`, 'subscriber', String(row.id), {
				eventId: event.eventId ?? null,
				source: event.source ?? null,
				...(bounce ? { reason: event.reason ?? 'undefined', diagnostic: event.diagnostic ?? null } : {}),
				...(decision.statusChanged ? { from: state.status, to: next.status } : {}),
			});
			if (decision.suppress) suppressEmail = String(row.email);
			result.subscribers.push({
				id: String(row.id),
				listId: String(row.list_id),
				email: String(row.email),
				status: next.status,
				changed: decision.statusChanged,
			});
		}
		if (!rows.length && event.email && event.type === 'complaint' && policy.suppressOnComplaint) {
			suppressEmail = cleanEmail(event.email);
		}
		if (suppressEmail && isValidEmail(suppressEmail)) {
			await this.addSuppression(tx, suppressEmail, event.type, event.source ?? 'delivery-event', actor);
			result.suppressed = true;
		}
		return result;
	}
}
