import { randomUUID } from 'node:crypto';
import { idsParam, inIds, inTexts, textsParam } from '../campaign/sql';
import { withSecureDelete, type SqlExecutor } from '../store/driver';
import type { SqlSubscriberStore } from '../store/sqlStore';
import { StoreError, type Actor } from '../store/types';
import { tableColumns } from './tables';

export interface EraseListOptions {
	/** Subscribers erased per transaction (default 500), so other work is not held up for long. */
	batchSize?: number;
	/**
	 * SQLite: rebuild the file afterwards (VACUUM). Erased data is already overwritten with zeros
	 * as it is removed (secure_delete) and the write-ahead log emptied; VACUUM also shrinks the
	 * file, at the cost of rewriting all of it. Ignored on PostgreSQL.
	 */
	compact?: boolean;
}

export interface EraseListResult {
	listId: string;
	name: string;
	subscribersErased: number;
	/** New suppression entries (hash only); addresses already suppressed keep their entry, without the address. */
	suppressionsAdded: number;
	/** Send-log rows whose SMTP response/error text was removed (it may quote the address). */
	sendLogRedacted: number;
	/** SQLite: whether the write-ahead log could be emptied into the file (false while another reader holds it); null on PostgreSQL. */
	walCheckpointed: boolean | null;
	compacted: boolean;
	durationMs: number;
}

const DEFAULT_BATCH = 500;

interface BatchCounts {
	erased: number;
	suppressed: number;
	redacted: number;
}

function now(): string {
	return new Date().toISOString();
}

/** The placeholder address eraseSubscriber leaves on an erased row. */
function isErasedPlaceholder(id: string, email: string): boolean {
	return email === `erased-${id}@erased.invalid`;
}

/** Many audit entries in one statement, in order (same rows as SqlSubscriberStore.audit writes). */
async function auditMany(
	tx: SqlExecutor,
	actor: Actor,
	action: string,
	entityType: string,
	entries: Array<{ entityId: string; details: Record<string, unknown> }>,
): Promise<void> {
	if (!entries.length) return;
	const ids = entries.map(() => randomUUID());
	const entityIds = entries.map((entry) => entry.entityId);
	const details = entries.map((entry) => JSON.stringify(entry.details));
	const fixed = [now(), JSON.stringify(actor), action, entityType];
	if (tx.dialect === 'postgres') {
		await tx.run(
			`INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details)
			 SELECT u.id, ?, ?, ?, ?, u.entity_id, u.details
			 FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS u(id, entity_id, details, n) ORDER BY u.n`,
			[...fixed, ids, entityIds, details],
		);
		return;
	}
	await tx.run(
		`INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details)
		 SELECT json_extract(value, '$[0]'), ?, ?, ?, ?, json_extract(value, '$[1]'), json_extract(value, '$[2]')
		 FROM json_each(?) ORDER BY key`,
		[...fixed, JSON.stringify(entries.map((_, i) => [ids[i], entityIds[i], details[i]]))],
	);
}

/**
 * Erases up to `limit` subscribers of the list, set-based, with the outcome of
 * SqlSubscriberStore.eraseSubscriber for each: the address's salted hash goes on the suppression
 * list (so it is never mailed again) with no clear-text address beside it, and the personal data
 * goes. Here the rows themselves are deleted, as the list is about to be.
 */
async function eraseBatch(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	listId: string,
	limit: number,
	actor: Actor,
	hasSendLog: boolean,
): Promise<BatchCounts> {
	const d = tx.dialect;
	// No ORDER BY: the rows are deleted below, so any first `limit` will do, straight off the
	// (list_id, …) index — sorting the rest of a large list for every batch would be quadratic.
	const rows = await tx.all('SELECT id, email FROM subscribers WHERE list_id = ? LIMIT ?', [listId, limit]);
	if (!rows.length) return { erased: 0, suppressed: 0, redacted: 0 };
	const ids = rows.map((row) => String(row.id));
	const hashes = [
		...new Set(
			rows
				.filter((row) => !isErasedPlaceholder(String(row.id), String(row.email)))
				.map((row) => store.hashEmail(String(row.email))),
		),
	];
	let added: string[] = [];
	if (hashes.length) {
		const insert =
			d === 'postgres'
				? `INSERT INTO suppressions (hash, email, reason, source, created_at)
				   SELECT h, NULL, 'erased', 'erase', ? FROM unnest(?::text[]) AS h
				   ON CONFLICT (hash) DO NOTHING RETURNING hash`
				: `INSERT INTO suppressions (hash, email, reason, source, created_at)
				   SELECT value, NULL, 'erased', 'erase', ? FROM json_each(?) WHERE true
				   ON CONFLICT (hash) DO NOTHING RETURNING hash`;
		added = (await tx.all(insert, [now(), textsParam(d, hashes)])).map((row) => String(row.hash));
		// An address suppressed earlier keeps its entry, but not in clear text.
		await tx.run(`UPDATE suppressions SET email = NULL WHERE email IS NOT NULL AND hash ${inTexts(d)}`, [
			textsParam(d, hashes),
		]);
	}
	const redacted = hasSendLog
		? (
				await tx.run(
					// Naming the campaigns lets the (campaign_id, subscriber_id) key find the rows
					// instead of scanning the whole send log for every batch.
					`UPDATE send_log SET response = NULL, error = NULL
					 WHERE campaign_id IN (SELECT id FROM campaigns) AND subscriber_id ${inIds(d)}
					   AND (response IS NOT NULL OR error IS NOT NULL)`,
					[idsParam(d, ids)],
				)
			).changes
		: 0;
	await tx.run(`DELETE FROM subscribers WHERE id ${inIds(d)}`, [idsParam(d, ids)]);
	await auditMany(
		tx,
		actor,
		'suppression.add',
		'suppression',
		added.map((hash) => ({ entityId: hash.slice(0, 16), details: { reason: 'erased', source: 'erase' } })),
	);
	await auditMany(
		tx,
		actor,
		'subscriber.erase',
		'subscriber',
		ids.map((id) => ({ entityId: id, details: { listId, via: 'list.erase' } })),
	);
	return { erased: ids.length, suppressed: added.length, redacted };
}

/**
 * Erases a list entirely: every subscriber's personal data (kept only as a suppression hash, as
 * eraseSubscriber does), their SMTP response texts in campaign send logs, then the list itself.
 * Works in batches; the last transaction erases whatever was added meanwhile and deletes the
 * list, so no subscriber escapes unerased. Audited per subscriber and as `list.erase`.
 * Campaign records (counters, send-log states) stay: they hold no personal data.
 */
export async function eraseList(
	store: SqlSubscriberStore,
	listIdOrName: string,
	actor: Actor,
	options: EraseListOptions = {},
): Promise<EraseListResult> {
	const started = performance.now();
	const batchSize = options.batchSize ?? DEFAULT_BATCH;
	if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
		throw new StoreError('The erase batch size must be a whole number from 1 to 10000', 'invalid');
	}
	const ref = String(listIdOrName ?? '').trim();
	if (!ref) throw new StoreError('No list is given; enter a list name or ID', 'invalid');
	const list = await store.getList(ref);
	if (!list) throw new StoreError(`There is no list named or numbered '${ref}'`, 'not-found');
	const sql = store.sql;
	const hasSendLog = (await tableColumns(sql, 'send_log')).length > 0;
	const totals: BatchCounts = { erased: 0, suppressed: 0, redacted: 0 };
	const add = (counts: BatchCounts) => {
		totals.erased += counts.erased;
		totals.suppressed += counts.suppressed;
		totals.redacted += counts.redacted;
	};

	for (;;) {
		const counts = await sql.transaction((tx) =>
			withSecureDelete(tx, () => eraseBatch(store, tx, list.id, batchSize, actor, hasSendLog)),
		);
		add(counts);
		if (counts.erased < batchSize) break;
	}
	await sql.transaction((tx) =>
		withSecureDelete(tx, async () => {
			// Anyone added to the list since the last batch is erased under the same lock as the delete.
			for (;;) {
				const counts = await eraseBatch(store, tx, list.id, batchSize, actor, hasSendLog);
				add(counts);
				if (counts.erased < batchSize) break;
			}
			await tx.run('DELETE FROM lists WHERE id = ?', [list.id]);
			await store.audit(tx, actor, 'list.erase', 'list', list.id, {
				name: list.name,
				subscribersErased: totals.erased,
				suppressionsAdded: totals.suppressed,
				sendLogRedacted: totals.redacted,
			});
		}),
	);

	let walCheckpointed: boolean | null = null;
	let compacted = false;
	if (sql.dialect === 'sqlite') {
		if (options.compact) {
			await sql.exec('VACUUM');
			compacted = true;
		}
		// Old page images still sit in the write-ahead log until it is checkpointed and truncated.
		const checkpoint = await sql.get('PRAGMA wal_checkpoint(TRUNCATE)');
		walCheckpointed = Number(checkpoint?.busy ?? 1) === 0;
	}
	return {
		listId: list.id,
		name: list.name,
		subscribersErased: totals.erased,
		suppressionsAdded: totals.suppressed,
		sendLogRedacted: totals.redacted,
		walCheckpointed,
		compacted,
		durationMs: Math.round(performance.now() - started),
	};
}
