/**
 * Confirming a pending subscriber, with the consent record that proves it: when, how (method and
 * the subscriber's source, e.g. the sign-up form), from which IP address and user agent.
 *
 * The record goes to the `consents` table (exported with the store, blanked by an erase) and the
 * change to the audit log as `subscriber.confirm`, naming the record. The IP address and user
 * agent stay out of the audit log: it is append-only, and they are personal data an erase must
 * be able to remove.
 */
import {
	type Actor,
	type ConsentRecord,
	consentsOf,
	insertConsent,
	isHashSuppressed,
	lockConfirmCandidate,
	recordAudit,
	type SqlExecutor,
	type SqlSubscriberStore,
	type SubscriberStatus,
	writeStatus,
} from '../store';

/** How a confirmation came about, as the consent record keeps it. */
export interface ConsentEvidence {
	/** e.g. `double-opt-in` (the confirm link), or what an operator recorded. */
	method: string;
	ip?: string | null;
	userAgent?: string | null;
	/** When it happened (default now). */
	at?: string;
}

export type { ConsentRecord } from '../store';

export type ConfirmOutcome =
	/** pending → active, consent recorded. */
	| 'confirmed'
	/** Already active: nothing changed (a second click, a scanner that posts). */
	| 'already-confirmed'
	/** Unsubscribed, bounced, complained, stopped, trashed or suppressed: never made active here. */
	| 'refused'
	/** No such subscriber (purged as unconfirmed, or deleted). */
	| 'unknown';

export interface ConfirmResult {
	outcome: ConfirmOutcome;
	subscriberId: string;
	listId: string | null;
	listName: string | null;
	email: string | null;
	status: SubscriberStatus | null;
	consent: ConsentRecord | null;
}

const MAX_USER_AGENT = 512;
const MAX_IP = 64;

function clip(value: string | null | undefined, max: number): string | null {
	if (value === undefined || value === null) return null;
	// Control characters never reach the record (nor a CSV export of it).
	const text = String(value).replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
	return text ? text.slice(0, max) : null;
}


/**
 * Makes a pending subscriber active and records the consent, inside the caller's transaction.
 * Only `pending` is ever changed: an active subscriber is left alone (idempotent), and an
 * opted-out, bounced, complained, stopped, trashed or suppressed one is refused.
 */
export async function confirmSubscriberIn(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	subscriberId: string,
	evidence: ConsentEvidence,
	actor: Actor,
): Promise<ConfirmResult> {
	const result: ConfirmResult = {
		outcome: 'unknown',
		subscriberId,
		listId: null,
		listName: null,
		email: null,
		status: null,
		consent: null,
	};
	if (!/^\d{1,18}$/.test(subscriberId)) return result;
	const row = await lockConfirmCandidate(tx, subscriberId);
	if (!row) return result;
	result.listId = row.listId;
	result.listName = row.listName;
	result.email = row.email;
	result.status = row.status;
	if (row.status === 'active') {
		result.outcome = 'already-confirmed';
		return result;
	}
	const suppressed = await isHashSuppressed(tx, store.hashEmail(row.email));
	if (row.status !== 'pending' || suppressed) {
		result.outcome = 'refused';
		return result;
	}
	const at = evidence.at ?? new Date().toISOString();
	await writeStatus(tx, subscriberId, 'active', at);
	const consent = await insertConsent(tx, {
		subscriberId,
		listId: row.listId,
		method: clip(evidence.method, 64) ?? 'unknown',
		source: row.source,
		ip: clip(evidence.ip, MAX_IP),
		userAgent: clip(evidence.userAgent, MAX_USER_AGENT),
		requestedAt: row.createdAt,
		confirmedAt: at,
	});
	const record = consent;
	await recordAudit(tx, actor, 'subscriber.confirm', 'subscriber', subscriberId, {
		from: 'pending',
		to: 'active',
		listId: record.listId,
		consentId: record.id,
		method: record.method,
		source: record.source,
	});
	result.outcome = 'confirmed';
	result.status = 'active';
	result.consent = record;
	return result;
}

/** The consent records of a subscriber, oldest first. */
export async function getConsents(store: SqlSubscriberStore, subscriberId: string): Promise<ConsentRecord[]> {
	if (!/^\d{1,18}$/.test(subscriberId)) return [];
	return consentsOf(store.sql, subscriberId);
}
