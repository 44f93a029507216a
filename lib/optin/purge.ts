/**
 * Purging sign-ups that were never confirmed: pending subscribers with no consent record whose
 * row has not changed (a new sign-up or a confirmation mail touches it) for the given number of
 * days. Nothing else is ever removed. Audited per list with the removed row ids (no addresses).
 */
import {
	type Actor,
	clearConfirmationSendsBefore,
	deleteIfPending,
	recordAudit,
	type SqlSubscriberStore,
	staleUnconfirmed,
	StoreError,
} from '../store';

export const DEFAULT_PURGE_AFTER_DAYS = 30;

export interface PurgeOptions {
	/** Pending rows untouched for more than this many days are removed (default 30). */
	olderThanDays?: number;
	/** Only this list (default every list). */
	listId?: string;
	/** Rows removed per statement (default 1000). */
	batchSize?: number;
	now?: number;
}

export interface PurgeResult {
	purged: number;
	olderThanDays: number;
	cutoff: string;
	listId: string | null;
	/** Removed per list id. */
	byList: Record<string, number>;
	/** Re-send counters of addresses not sent a confirmation since the cutoff, dropped too. */
	resendCountersCleared: number;
}

export async function purgeUnconfirmed(store: SqlSubscriberStore, options: PurgeOptions, actor: Actor): Promise<PurgeResult> {
	const days = options.olderThanDays ?? DEFAULT_PURGE_AFTER_DAYS;
	if (!Number.isFinite(days) || days < 1 || days > 3650) {
		throw new StoreError('Purge unconfirmed subscribers after 1 to 3650 days', 'invalid');
	}
	const batchSize = options.batchSize ?? 1000;
	const listId = options.listId ?? null;
	if (listId !== null && !/^\d{1,18}$/.test(listId)) throw new StoreError(`There is no list with id '${listId}'`, 'not-found');
	const cutoff = new Date((options.now ?? Date.now()) - days * 24 * 60 * 60 * 1000).toISOString();
	const result: PurgeResult = { purged: 0, olderThanDays: days, cutoff, listId, byList: {}, resendCountersCleared: 0 };
	for (;;) {
		const removed = await store.transaction(async (tx) => {
			const rows = await staleUnconfirmed(tx, cutoff, listId, batchSize);
			if (!rows.length) return 0;
			const perList = new Map<string, string[]>();
			for (const row of rows) perList.set(row.listId, [...(perList.get(row.listId) ?? []), row.id]);
			let count = 0;
			for (const [list, ids] of perList) {
				// The status is checked again in the DELETE itself: a row confirmed meanwhile stays.
				const deletedIds = await deleteIfPending(tx, ids);
				if (!deletedIds.length) continue;
				count += deletedIds.length;
				result.byList[list] = (result.byList[list] ?? 0) + deletedIds.length;
				await recordAudit(tx, actor, 'subscriber.purge-unconfirmed', 'list', list, {
					purged: deletedIds.length,
					subscriberIds: deletedIds,
					olderThanDays: days,
					cutoff,
				});
			}
			return count;
		});
		result.purged += removed;
		if (removed < batchSize) break;
	}
	// Their 24-hour window ended long ago, and any link they carried has been purged with its row.
	if (listId === null) {
		result.resendCountersCleared = await clearConfirmationSendsBefore(store.sql, cutoff);
	}
	return result;
}
