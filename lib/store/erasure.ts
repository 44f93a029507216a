/**
 * Erasing a list's subscribers in batches (ops eraseList): the outcome of eraseSubscriber for
 * each, set-based. The address's salted hash goes on the suppression list (so it is never
 * mailed again) with no clear-text address beside it, and the personal data goes; here the rows
 * themselves are deleted, as the list is about to be.
 */
import { recordAuditMany } from './auditLog';
import type { SqlExecutor } from './driver';
import { idsParam, inIds } from './dialect';
import { addErasedHashes, type HashEmail } from './suppressions';
import type { Actor } from './types';

export interface ErasureCounts {
	erased: number;
	suppressed: number;
	redacted: number;
}

/** The placeholder address eraseSubscriber leaves on an erased row. */
function isErasedPlaceholder(id: string, email: string): boolean {
	return email === `erased-${id}@erased.invalid`;
}

/** Erases up to `limit` subscribers of the list inside the caller's transaction. */
export async function eraseListBatch(
	tx: SqlExecutor,
	hash: HashEmail,
	listId: string,
	limit: number,
	actor: Actor,
	hasSendLog: boolean,
): Promise<ErasureCounts> {
	const d = tx.dialect;
	// No ORDER BY: the rows are deleted below, so any first `limit` will do, straight off the
	// (list_id, …) index — sorting the rest of a large list for every batch would be quadratic.
	const rows = await tx.all('SELECT id, email FROM subscribers WHERE list_id = ? LIMIT ?', [listId, limit]);
	if (!rows.length) return { erased: 0, suppressed: 0, redacted: 0 };
	const ids = rows.map((row) => String(row.id));
	const hashes = [
		...new Set(
			rows.filter((row) => !isErasedPlaceholder(String(row.id), String(row.email))).map((row) => hash(String(row.email))),
		),
	];
	// An address suppressed earlier keeps its entry, but not in clear text.
	const added = await addErasedHashes(tx, hashes);
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
	await recordAuditMany(
		tx,
		actor,
		added.map((key) => ({
			action: 'suppression.add',
			entityType: 'suppression',
			entityId: key.slice(0, 16),
			details: { reason: 'erased', source: 'erase' },
		})),
	);
	await recordAuditMany(
		tx,
		actor,
		ids.map((id) => ({ action: 'subscriber.erase', entityType: 'subscriber', entityId: id, details: { listId, via: 'list.erase' } })),
	);
	return { erased: ids.length, suppressed: added.length, redacted };
}
