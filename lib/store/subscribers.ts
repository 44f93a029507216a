/**
 * The subscribers table, one row at a time: reads, filters, edits, status changes with the
 * consent rule, and erasure. Batch writes (imports) are in subscriberBatch.ts.
 */
import { availableParallelism } from 'node:os';
import { emailFoldException, storedMatch } from '../segments';
import { recordAudit } from './auditLog';
import { segmentSql } from './segmentSql';
import { withSecureDelete, type SqlDriver, type SqlExecutor } from './driver';
import { forUpdate } from './dialect';
import { cleanEmail, emailKey, requireValidEmail } from './email';
import {
	checkFields,
	checkLimit,
	checkName,
	checkStatus,
	decodeCursor,
	isRowId,
	now,
	pageOf,
	SUBSCRIBER_COLUMNS,
	toSubscriber,
} from './rows';
import { addSuppression, forgetSuppressedAddress, isHashSuppressed, liftSuppression, type HashEmail } from './suppressions';
import {
	CONSENT_BLOCKING_STATUSES,
	StoreError,
	type Actor,
	type Page,
	type PageOptions,
	type Subscriber,
	type SubscriberFilter,
	type SubscriberRef,
	type SubscriberStatus,
	type SubscriberUpdate,
} from './types';

export async function requireSubscriber(db: SqlExecutor, id: string): Promise<Subscriber> {
	const row = isRowId(id) ? await db.get(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?`, [id]) : undefined;
	if (!row) throw new StoreError(`There is no subscriber with id '${id}'`, 'not-found');
	return toSubscriber(row);
}

export async function getSubscriber(db: SqlExecutor, ref: SubscriberRef): Promise<Subscriber | null> {
	if ('id' in ref) {
		if (!isRowId(ref.id)) return null;
		const row = await db.get(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?`, [ref.id]);
		return row ? toSubscriber(row) : null;
	}
	const row = isRowId(ref.listId)
		? await db.get(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE list_id = ? AND email_key = ?`, [
				ref.listId,
				emailKey(cleanEmail(ref.email)),
			])
		: undefined;
	return row ? toSubscriber(row) : null;
}

/**
 * WHERE conditions on `subscribers` for a search term and a custom-field equality — the one
 * definition the store's filters and campaign audiences share.
 */
export function matchConditions(
	db: SqlExecutor,
	filter: { search?: string; field?: { name: string; value: unknown } },
): { where: string[]; params: unknown[] } {
	const where: string[] = [];
	const params: unknown[] = [];
	if (filter.search) {
		const term = `%${String(filter.search).toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
		where.push("(email_lower LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\')");
		params.push(term, term);
	}
	if (filter.field?.name) {
		const postgres = db.dialect === 'postgres';
		// PostgreSQL's jsonb refuses \u0000 and lone surrogates: a row holding one is not compared
		// (rather than failing the whole query).
		where.push(postgres ? '(CASE WHEN fields !~* ? THEN fields::jsonb ->> ? END) = ?' : 'CAST(json_extract(fields, ?) AS TEXT) = ?');
		if (postgres) params.push('\\\\u(0000|d[89a-f])');
		params.push(postgres ? filter.field.name : `$."${filter.field.name.replace(/"/g, '')}"`, String(filter.field.value));
	}
	return { where, params };
}

/**
 * The WHERE parts of a filter; `perRow` when a part reads each row's text or JSON (search, field,
 * segment), which no index answers: a count of it reads the table.
 */
async function filterSql(db: SqlExecutor, filter: SubscriberFilter): Promise<{ where: string[]; params: unknown[]; perRow: boolean }> {
	const where: string[] = [];
	const params: unknown[] = [];
	if (filter.listId !== undefined) {
		where.push('list_id = ?');
		params.push(isRowId(filter.listId) ? filter.listId : '-1');
	}
	const statuses = filter.status === undefined ? [] : ([] as SubscriberStatus[]).concat(filter.status).map(checkStatus);
	if (statuses.length) {
		where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
		params.push(...statuses);
	} else if (!filter.includeTrashed) {
		where.push("status <> 'trashed'");
	}
	const match = matchConditions(db, filter);
	where.push(...match.where);
	params.push(...match.params);
	if (filter.segment) {
		const segment = await segmentSql(db, filter.segment);
		where.push(`(${segment.where})`);
		params.push(...segment.params);
	}
	return { where, params, perRow: match.where.length > 0 || Boolean(filter.segment) };
}

export async function getSubscribers(db: SqlExecutor, filter: SubscriberFilter, page: PageOptions): Promise<Page<Subscriber>> {
	const limit = checkLimit(page.limit);
	const { where, params } = await filterSql(db, filter);
	const after = decodeCursor(page.cursor);
	if (after) {
		where.push('id > ?');
		params.push(after);
	}
	const rows = await db.all(
		`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
		[...params, limit + 1],
	);
	return pageOf(rows, limit, toSubscriber, (subscriber) => subscriber.id);
}

/**
 * From how many rows (by id span) a count is split across threads, and into how many parts at
 * most: below it, starting the threads (~30 ms) costs more than they save.
 */
const SPLIT_COUNT = { fromRows: 200_000, maxParts: 4 };

export async function countSubscribers(
	db: SqlExecutor | SqlDriver,
	filter: SubscriberFilter,
	split: { fromRows: number; maxParts: number } = SPLIT_COUNT,
): Promise<number> {
	const { where, params, perRow } = await filterSql(db, filter);
	const condition = where.length ? where.join(' AND ') : 'TRUE';
	// a count by list and status is an index range: quicker than starting threads
	const parts = perRow && 'allInParallel' in db ? await countInParts(db, condition, params, split) : null;
	if (parts !== null) return parts;
	const row = await db.get(`SELECT COUNT(*) AS n FROM subscribers WHERE ${condition}`, params);
	return Number(row?.n ?? 0);
}

/**
 * SQLite: a count that reads a large table (`perRow`) as parts of its id span, one per core (up
 * to `split.maxParts`), each on its own connection in a worker thread (SqlDriver `allInParallel`):
 * SQLite runs a query on one core, and node:sqlite runs it on n8n's own thread, which a
 * 1M-row segment count held for 1.5 s. Null when the table is small, there is one core, or a
 * part failed: the caller counts on its own connection (which reports any error as usual).
 */
async function countInParts(
	db: SqlDriver,
	condition: string,
	params: unknown[],
	split: { fromRows: number; maxParts: number },
): Promise<number | null> {
	const parts = Math.min(split.maxParts, availableParallelism());
	if (parts < 2) return null;
	const span = await db.get<{ lo: number | null; hi: number | null }>('SELECT MIN(id) AS lo, MAX(id) AS hi FROM subscribers');
	if (span?.lo === null || span?.lo === undefined || span.hi === null) return null;
	const lo = Number(span.lo);
	const rows = Number(span.hi) - lo + 1;
	if (rows < split.fromRows) return null;
	const step = Math.ceil(rows / parts);
	const ranges = Array.from({ length: parts }, (_, part) => [lo + part * step, lo + (part + 1) * step - 1]);
	try {
		const counts = await db.allInParallel!<{ n: number }>(
			`SELECT COUNT(*) AS n FROM subscribers WHERE id >= ? AND id <= ? AND ${condition}`,
			ranges.map((range) => [...range, ...params]),
		);
		return counts.reduce((sum, rowsOfPart) => sum + Number(rowsOfPart[0]?.n ?? 0), 0);
	} catch {
		return null;
	}
}

/** Consent safety: refuses to make an opted-out or suppressed address mailable again. */
async function checkReactivation(
	db: SqlExecutor,
	hash: HashEmail,
	current: Subscriber,
	to: SubscriberStatus,
	allowReactivate: boolean,
): Promise<void> {
	if (to !== 'active' && to !== 'pending') return;
	const suppressed = await isHashSuppressed(db, hash(current.email));
	if (!CONSENT_BLOCKING_STATUSES.includes(current.status) && !suppressed) return;
	if (!allowReactivate) {
		throw new StoreError(
			`Subscriber ${current.id} is ${suppressed ? 'on the suppression list' : current.status}; making it ${to} again needs explicit consent (turn on "Confirm Consent to Reactivate")`,
			'refused',
		);
	}
	if (suppressed) {
		await liftSuppression(db, hash(current.email), { type: 'store' }, { subscriberId: current.id, reason: 'explicit consent' });
	}
}

export async function updateSubscriber(
	driver: SqlDriver,
	hash: HashEmail,
	id: string,
	update: SubscriberUpdate,
	actor: Actor,
): Promise<Subscriber> {
	return driver.transaction(async (tx) => {
		const current = await requireSubscriber(tx, id);
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
			await checkReactivation(tx, hash, current, status, Boolean(update.allowReactivate));
		}
		const name = update.name === undefined ? current.name : checkName(update.name);
		const fieldsJson = JSON.stringify(fields);
		const match = storedMatch(email, name, fields, fieldsJson);
		await tx.run(
			`UPDATE subscribers SET email = ?, email_key = ?, email_lower = ?, name = ?, fields = ?, status = ?, updated_at = ?,
			 email_fold = ?, name_fold = ?, fields_match = ? WHERE id = ?`,
			[email, emailKey(email), email.toLowerCase(), name, fieldsJson, status, now(), match.emailFold, match.nameFold, match.fieldsMatch, id],
		);
		await recordAudit(tx, actor, 'subscriber.update', 'subscriber', id, {
			changed: Object.keys(update).filter((key) => key !== 'allowReactivate' && key !== 'replaceFields'),
			...(status !== current.status ? { from: current.status, to: status } : {}),
		});
		return requireSubscriber(tx, id);
	});
}

export async function setStatus(
	driver: SqlDriver,
	hash: HashEmail,
	id: string,
	status: SubscriberStatus,
	options: { allowReactivate?: boolean; reason?: string },
	actor: Actor,
): Promise<Subscriber> {
	const to = checkStatus(status);
	return driver.transaction(async (tx) => {
		const current = await requireSubscriber(tx, id);
		if (current.status === to) return current;
		await checkReactivation(tx, hash, current, to, Boolean(options.allowReactivate));
		await tx.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?', [to, now(), id]);
		await recordAudit(tx, actor, 'subscriber.status', 'subscriber', id, {
			from: current.status,
			to,
			...(options.reason ? { reason: options.reason } : {}),
			...(options.allowReactivate ? { consentOverride: true } : {}),
		});
		return requireSubscriber(tx, id);
	});
}

export async function eraseSubscriber(
	driver: SqlDriver,
	hash: HashEmail,
	id: string,
	actor: Actor,
): Promise<{ erased: boolean }> {
	return driver.transaction(async (tx) =>
		withSecureDelete(tx, async () => {
			const current = await requireSubscriber(tx, id);
			await addSuppression(tx, hash, current.email, 'erased', 'erase', actor);
			// Only the hash survives: the suppression entry's clear-text address goes too.
			await forgetSuppressedAddress(tx, hash(current.email));
			const placeholder = `erased-${id}@erased.invalid`;
			await tx.run(
				`UPDATE subscribers SET email = ?, email_key = ?, email_lower = ?, name = '', fields = '{}', status = 'trashed',
				 last_error = NULL, source = '', updated_at = ?, email_fold = ?, name_fold = NULL, fields_match = NULL WHERE id = ?`,
				[placeholder, placeholder, placeholder, now(), emailFoldException(placeholder), id],
			);
			// A consent record's IP address and user agent are personal data too.
			await tx.run('UPDATE consents SET ip = NULL, user_agent = NULL WHERE subscriber_id = ?', [id]);
			// SMTP replies in the send log can quote the address.
			await tx.run(
				// campaign_id first, so the send log's primary key is used instead of a full scan.
				'UPDATE send_log SET response = NULL, error = NULL WHERE campaign_id IN (SELECT id FROM campaigns) AND subscriber_id = ?',
				[id],
			);
			await recordAudit(tx, actor, 'subscriber.erase', 'subscriber', id, { listId: current.listId });
			return { erased: true };
		}),
	);
}

/** A subscriber's id, list, address and status (link and event handling; null for a bad id). */
export async function readSubscriberBrief(
	db: SqlExecutor,
	subscriberId: string,
): Promise<{ id: string; listId: string; email: string; status: SubscriberStatus } | null> {
	if (!isRowId(subscriberId)) return null;
	const row = await db.get('SELECT id, list_id, email, status FROM subscribers WHERE id = ?', [subscriberId]);
	return row
		? { id: String(row.id), listId: String(row.list_id), email: String(row.email), status: row.status as SubscriberStatus }
		: null;
}

/** Sets a subscriber's status, nothing else (callers audit with their own details). */
export async function writeStatus(db: SqlExecutor, id: string, status: SubscriberStatus, at = now()): Promise<void> {
	await db.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?', [status, at, id]);
}

/** A subscriber with the name of their list (confirmation and unsubscribe pages); null when there is none. */
export async function subscriberWithList(
	db: SqlExecutor,
	subscriberId: string,
): Promise<{ email: string; name: string; status: SubscriberStatus; listName: string } | null> {
	if (!isRowId(subscriberId)) return null;
	const row = await db.get(
		'SELECT s.email, s.name AS person, s.status, l.name FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE s.id = ?',
		[subscriberId],
	);
	return row
		? { email: String(row.email), name: String(row.person ?? ''), status: row.status as SubscriberStatus, listName: String(row.name) }
		: null;
}

/** One list membership of an address (the preferences page). */
export interface AddressRow {
	id: string;
	listId: string;
	listName: string;
	email: string;
	status: SubscriberStatus;
}

/**
 * Every list the subscriber's address is on (the same address compared as the store does: domain
 * case-insensitive), trashed rows left out; `lock` locks the rows for the caller's transaction.
 */
export async function membershipsOfAddress(
	db: SqlExecutor,
	subscriberId: string,
	lock = false,
): Promise<{ email: string | null; rows: AddressRow[] }> {
	if (!isRowId(subscriberId)) return { email: null, rows: [] };
	const own = await db.get('SELECT email, email_key, status FROM subscribers WHERE id = ?', [subscriberId]);
	if (!own || own.status === 'trashed') return { email: null, rows: [] };
	const rows = await db.all(
		`SELECT s.id, s.list_id, s.email, s.status, l.name FROM subscribers s JOIN lists l ON l.id = s.list_id
		 WHERE s.email_lower = ? AND s.status <> 'trashed' ORDER BY l.name, s.id${lock ? forUpdate(db.dialect, ' OF s') : ''}`,
		[String(own.email).toLowerCase()],
	);
	const key = emailKey(String(own.email));
	return {
		email: String(own.email),
		rows: rows
			.filter((row) => emailKey(String(row.email)) === key)
			.map((row) => ({
				id: String(row.id),
				listId: String(row.list_id),
				listName: String(row.name),
				email: String(row.email),
				status: row.status as SubscriberStatus,
			})),
	};
}
