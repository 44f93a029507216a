/**
 * Records verified events in the store, exactly once: one transaction per request, the
 * provider event id remembered in `processed_events` in that same transaction, the store's
 * bounce policy applied (SqlSubscriberStore.applyDeliveryEventIn, which audits every change)
 * and the campaign counted. A retried delivery of the same event changes nothing.
 */
import { toDeliveryEventInput, type NormalisedEvent } from '../events';
import type { SqlExecutor } from '../store/driver';
import type { SqlSubscriberStore } from '../store/sqlStore';
import type { Actor, SubscriberStatus } from '../store/types';
import {
	countCampaignEvent,
	findCampaignRecipient,
	isRowId,
	lockCampaigns,
	resolveComplaintPause,
} from './campaignEvents';
import type { ComplaintPauseOptions, RecordedEvent, RecordOptions } from './types';

export const WEBHOOK_ACTOR: Actor = { type: 'webhook' };

/** PostgreSQL deadlock / serialisation failure: the whole transaction may simply run again. */
const RETRYABLE_PG_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

export async function inRetriedTransaction<T>(
	store: SqlSubscriberStore,
	work: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await store.sql.transaction(work);
		} catch (error) {
			if (attempt >= MAX_ATTEMPTS || !RETRYABLE_PG_CODES.has(String(error?.code))) throw error;
			await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
		}
	}
}

function blank(event: NormalisedEvent): RecordedEvent {
	return {
		...event,
		duplicate: false,
		unknownRecipient: false,
		statusAfter: null,
		subscribers: [],
		suppressed: false,
		campaignCounted: false,
		campaignPaused: false,
	};
}

/** Records provider events (deduplicated on `<provider>:<eventId>`); returns them with outcomes. */
export async function recordEvents(
	store: SqlSubscriberStore,
	events: NormalisedEvent[],
	options: RecordOptions = {},
): Promise<RecordedEvent[]> {
	if (events.length === 0) return [];
	const actor = options.actor ?? WEBHOOK_ACTOR;
	const pause = resolveComplaintPause(options.complaintPause);
	return inRetriedTransaction(store, async (tx) => {
		await lockCampaigns(tx, events.map((event) => event.campaignId));
		const recorded: RecordedEvent[] = [];
		for (const event of events) recorded.push(await recordOne(store, tx, event, pause, actor));
		return recorded;
	});
}

async function recordOne(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	event: NormalisedEvent,
	pause: ComplaintPauseOptions | false,
	actor: Actor,
): Promise<RecordedEvent> {
	const result = blank(event);
	const occurredAt = toIso(event.occurredAt);
	const input = toDeliveryEventInput(event);
	if (input) {
		const applied = await store.applyDeliveryEventIn(tx, { ...input, occurredAt }, actor);
		if (applied.duplicate) return { ...result, duplicate: true };
		result.subscribers = applied.subscribers.map(({ id, listId, status, changed }) => ({ id, listId, status, changed }));
		result.statusAfter = applied.subscribers[0]?.status ?? null;
		result.unknownRecipient = applied.subscribers.length === 0;
		result.suppressed = applied.suppressed;
	} else {
		// Kinds the subscriber row does not count (delivered, deferred, open, click) are still
		// counted once: the same processed-events table as the store's own events.
		const fresh = await tx.run(
			'INSERT INTO processed_events (event_id, processed_at) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING',
			[`${event.provider}:${event.eventId}`, new Date().toISOString()],
		);
		if (!fresh.changes) return { ...result, duplicate: true };
	}
	if (isRowId(event.campaignId)) {
		const subscriberId = isRowId(event.subscriberId)
			? event.subscriberId
			: await findCampaignRecipient(tx, event.campaignId, event.recipient);
		if (subscriberId) {
			const outcome = await countCampaignEvent(
				store,
				tx,
				{ kind: event.kind, campaignId: event.campaignId, subscriberId, occurredAt },
				pause,
				actor,
			);
			result.campaignCounted = outcome.counted;
			result.campaignPaused = outcome.paused;
		}
	}
	return result;
}

export function toIso(value: string | undefined | null): string {
	const time = value ? Date.parse(value) : NaN;
	return Number.isNaN(time) ? new Date().toISOString() : new Date(time).toISOString();
}

/** Status lookup helper for link events (which carry a subscriber id, not an address). */
export async function readSubscriber(
	tx: SqlExecutor,
	subscriberId: string,
): Promise<{ id: string; listId: string; email: string; status: SubscriberStatus } | null> {
	if (!isRowId(subscriberId)) return null;
	const row = await tx.get('SELECT id, list_id, email, status FROM subscribers WHERE id = ?', [subscriberId]);
	return row
		? { id: String(row.id), listId: String(row.list_id), email: String(row.email), status: row.status as SubscriberStatus }
		: null;
}
