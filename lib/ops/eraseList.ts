import {
	type Actor,
	compactAfterErasure,
	eraseListBatch,
	type ErasureCounts,
	recordAudit,
	removeListRow,
	type SqlSubscriberStore,
	StoreError,
	tableColumns,
	withSecureDelete,
} from '../store';

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

type BatchCounts = ErasureCounts;

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
	const hash = (email: string) => store.hashEmail(email);
	const hasSendLog = (await tableColumns(sql, 'send_log')).length > 0;
	const totals: BatchCounts = { erased: 0, suppressed: 0, redacted: 0 };
	const add = (counts: BatchCounts) => {
		totals.erased += counts.erased;
		totals.suppressed += counts.suppressed;
		totals.redacted += counts.redacted;
	};

	for (;;) {
		const counts = await store.transaction((tx) =>
			withSecureDelete(tx, () => eraseListBatch(tx, hash, list.id, batchSize, actor, hasSendLog)),
		);
		add(counts);
		if (counts.erased < batchSize) break;
	}
	await store.transaction((tx) =>
		withSecureDelete(tx, async () => {
			// Anyone added to the list since the last batch is erased under the same lock as the delete.
			for (;;) {
				const counts = await eraseListBatch(tx, hash, list.id, batchSize, actor, hasSendLog);
				add(counts);
				if (counts.erased < batchSize) break;
			}
			await removeListRow(tx, list.id);
			await recordAudit(tx, actor, 'list.erase', 'list', list.id, {
				name: list.name,
				subscribersErased: totals.erased,
				suppressionsAdded: totals.suppressed,
				sendLogRedacted: totals.redacted,
			});
		}),
	);

	const { walCheckpointed, compacted } = await compactAfterErasure(sql, options.compact === true);
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
