/**
 * Delivery events applied through the bounce policy: the one place that turns a hard or soft
 * bounce, a complaint or an unsubscribe into subscriber counters, a status and a suppression.
 * The policy itself (thresholds, decideBounce) is in bouncePolicy.ts; its stored settings live
 * in `bm_meta` under `bounce_policy`.
 */
import { recordAudit } from './auditLog';
import { decideBounce, validateBouncePolicy, type BounceState } from './bouncePolicy';
import type { Row, SqlDriver, SqlExecutor } from './driver';
import { cleanEmail, isValidEmail, maskAddresses } from './email';
import { rememberEvent } from './processedEvents';
import { isRowId, now, parseJson, SUBSCRIBER_COLUMNS } from './rows';
import { addSuppression, type HashEmail } from './suppressions';
import {
	DEFAULT_BOUNCE_POLICY,
	type Actor,
	type BouncePolicy,
	type DeliveryEventInput,
	type DeliveryEventResult,
	type SubscriberStatus,
} from './types';

export async function readBouncePolicy(db: SqlExecutor): Promise<BouncePolicy> {
	const row = await db.get("SELECT value FROM bm_meta WHERE key = 'bounce_policy'");
	return row ? { ...DEFAULT_BOUNCE_POLICY, ...parseJson<Partial<BouncePolicy>>(row.value, {}) } : { ...DEFAULT_BOUNCE_POLICY };
}

export async function setBouncePolicy(driver: SqlDriver, policy: Partial<BouncePolicy>, actor: Actor): Promise<BouncePolicy> {
	return driver.transaction(async (tx) => {
		const next = validateBouncePolicy({ ...(await readBouncePolicy(tx)), ...policy });
		await tx.run(
			"INSERT INTO bm_meta (key, value) VALUES ('bounce_policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			[JSON.stringify(next)],
		);
		await recordAudit(tx, actor, 'settings.bounce-policy', 'settings', 'bounce_policy', { ...next });
		return next;
	});
}

/** The subscriber rows an event is about: its subscriber id when that is the address's own row, else every row of the address. */
async function rowsOfEvent(db: SqlExecutor, event: DeliveryEventInput): Promise<Row[]> {
	let rows: Row[] = [];
	if (event.subscriberId && isRowId(event.subscriberId)) {
		rows = await db.all(`SELECT ${SUBSCRIBER_COLUMNS}, email_lower FROM subscribers WHERE id = ?`, [event.subscriberId]);
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
		rows = await db.all(sql, params);
	}
	return rows;
}

/**
 * Applies one delivery event (hard/soft bounce, complaint, unsubscribe) through the bounce
 * policy inside the caller's transaction. An event id seen before is ignored, so provider
 * retries never double-count.
 */
export async function applyDeliveryEventIn(
	tx: SqlExecutor,
	hash: HashEmail,
	event: DeliveryEventInput & { occurredAt: string },
	actor: Actor,
): Promise<DeliveryEventResult> {
	if (event.eventId && !(await rememberEvent(tx, event.eventId))) {
		return { applied: false, duplicate: true, subscribers: [], suppressed: false };
	}
	const policy = await readBouncePolicy(tx);
	const rows = await rowsOfEvent(tx, event);
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
		const bounce = event.type === 'hard' || event.type === 'soft' || event.type === 'sender' ? 1 : 0;
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
				bounce,
				event.diagnostic ?? null,
				bounce ? event.type : null,
				bounce,
				event.reason ?? 'undefined',
				bounce,
				event.occurredAt,
				event.occurredAt,
				now(),
				row.id,
			],
		);
		await recordAudit(tx, actor, `delivery.${event.type}`, 'subscriber', String(row.id), {
			eventId: event.eventId ?? null,
			source: event.source ?? null,
			// the audit log outlives an erasure: the server's words without the addresses in them
			...(bounce ? { reason: event.reason ?? 'undefined', diagnostic: maskAddresses(event.diagnostic) } : {}),
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
		await addSuppression(tx, hash, suppressEmail, event.type, event.source ?? 'delivery-event', actor);
		result.suppressed = true;
	}
	return result;
}
