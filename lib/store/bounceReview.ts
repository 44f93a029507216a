/**
 * Re-examining subscribers marked `bounced` under the old rules (before bounces kept a reason,
 * when any 5xx at RCPT or any 5.1.x/5.2.x counted as hard): their stored diagnostic is read again
 * with today's reason rules, and those whose bounce was the sender's (a block, bad reputation, a
 * policy refusal) or a soft one (a full mailbox) are listed. Nothing changes unless the operator
 * asks to reactivate; then each one is made active again, its bounce counters cleared, a
 * suppression the bounce added lifted, and every change audited with the old and the new reading.
 */
import { reexamineDiagnostic, type FailureKind, type FailureReason } from '../bounce';
import { recordAudit } from './auditLog';
import { maskAddresses } from './email';
import type { SqlSubscriberStore } from './sqlStore';
import type { Actor } from './types';

export interface BounceReviewOptions {
	/** Only this list (default: every list of the store). */
	listId?: string | null;
	/** Reactivate the listed subscribers (default false: only list them). */
	reactivate?: boolean;
	/** Most subscribers looked at in one call (default 1000, at most 10000). */
	limit?: number;
}

export interface BounceReviewEntry {
	subscriberId: string;
	listId: string;
	email: string;
	/** The server's words, as stored when the address was marked bounced. */
	diagnostic: string;
	/** Today's reading of them. */
	reason: FailureReason;
	kind: FailureKind;
	reactivated: boolean;
}

export interface BounceReviewResult {
	/** Bounced subscribers with no recorded reason that were read again. */
	examined: number;
	/** Those today's rules would not have stopped: sender-side or soft. */
	listed: BounceReviewEntry[];
	reactivated: number;
	/** More old-rule bounces are left beyond `limit` (call again). */
	more: boolean;
}

export async function reviewOldBounces(
	store: SqlSubscriberStore,
	options: BounceReviewOptions,
	actor: Actor,
): Promise<BounceReviewResult> {
	const limit = Math.min(10_000, Math.max(1, Math.floor(Number(options.limit ?? 1000)) || 1000));
	return store.sql.transaction(async (tx) => {
		const params: unknown[] = [];
		let where = "status = 'bounced' AND last_bounce_reason IS NULL AND last_error IS NOT NULL";
		if (options.listId) {
			where += ' AND list_id = ?';
			params.push(options.listId);
		}
		const rows = await tx.all(
			`SELECT id, list_id, email, last_error FROM subscribers WHERE ${where} ORDER BY id LIMIT ?`,
			[...params, limit + 1],
		);
		const result: BounceReviewResult = { examined: Math.min(rows.length, limit), listed: [], reactivated: 0, more: rows.length > limit };
		for (const row of rows.slice(0, limit)) {
			const diagnostic = String(row.last_error);
			const reading = reexamineDiagnostic(diagnostic);
			if (!reading || !reading.wrongfullyStopped) continue;
			const entry: BounceReviewEntry = {
				subscriberId: String(row.id),
				listId: String(row.list_id),
				email: String(row.email),
				diagnostic,
				reason: reading.reason,
				kind: reading.kind,
				reactivated: false,
			};
			if (options.reactivate) {
				const changed = await tx.run(
					`UPDATE subscribers SET status = 'active', hard_bounces = 0, soft_bounces = 0, soft_bounce_times = '[]',
					 last_bounce_kind = ?, last_bounce_reason = ?, updated_at = ? WHERE id = ? AND status = 'bounced'`,
					[reading.kind, reading.reason, new Date().toISOString(), entry.subscriberId],
				);
				if (changed.changes) {
					// only a suppression the bounce itself added (reason 'hard'); a complaint's or the operator's stays
					await tx.run("DELETE FROM suppressions WHERE hash = ? AND reason = 'hard'", [store.hashEmail(entry.email)]);
					await recordAudit(tx, actor, 'subscriber.bounce-reexamine', 'subscriber', entry.subscriberId, {
						from: 'bounced',
						to: 'active',
						diagnostic: maskAddresses(diagnostic),
						reason: reading.reason,
						kind: reading.kind,
					});
					entry.reactivated = true;
					result.reactivated++;
				}
			}
			result.listed.push(entry);
		}
		return result;
	});
}
