/**
 * Records verified events in the store, exactly once: one transaction per request, the
 * provider event id remembered in `processed_events` in that same transaction, the store's
 * bounce policy applied (SqlSubscriberStore.applyDeliveryEventIn, which audits every change)
 * and the campaign counted. A retried delivery of the same event changes nothing.
 */
import { toDeliveryEventInput, type NormalisedEvent } from '../events';
import {
	addToCounter,
	markEventOnce,
	readSubscriberBrief,
	rememberEvents,
	type Actor,
	type CampaignEventType,
	type HistoryEvent,
	type SqlExecutor,
	type SqlSubscriberStore,
} from '../store';
import {
	campaignCounterFor,
	countCampaignEvent,
	findCampaignRecipient,
	isRowId,
	lockCampaigns,
	resolveComplaintPause,
} from './campaignEvents';
import { historyEventOf } from './history';
import type { ComplaintPauseOptions, RecordedEvent, RecordOptions } from './types';

export const WEBHOOK_ACTOR: Actor = { type: 'webhook' };

/** One transaction, run again on a PostgreSQL deadlock or serialisation failure. */
export async function inRetriedTransaction<T>(
	store: SqlSubscriberStore,
	work: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
	return store.transaction(work, { retry: true });
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
	const { recorded, history } = await inRetriedTransaction(store, async (tx) => {
		await lockCampaigns(tx, events.map((event) => event.campaignId));
		const recorded: RecordedEvent[] = new Array(events.length);
		// Most provider events (delivered, open, click, deferred) only need deduplicating and
		// counting: done set-based, a few statements per batch instead of several per event, which
		// keeps the campaign row's lock short on PostgreSQL.
		const counted: number[] = [];
		events.forEach((event, index) => {
			if (!toDeliveryEventInput(event)) counted.push(index);
		});
		// the campaign event history of the batch's fresh events (not even built when a benchmark
		// switched the history off, so that side costs what it did before the history existed)
		const history: HistoryEvent[] | null = store.recordsEventHistory ? [] : null;
		if (counted.length) await recordCountedEvents(tx, events, counted, recorded, history);
		for (let index = 0; index < events.length; index++) {
			if (!recorded[index]) recorded[index] = await recordOne(store, tx, events[index], pause, actor, history);
		}
		return { recorded, history };
	});
	if (history?.length) await recordHistory(store, history, options.onHistoryFailure);
	await forgetOldEventIds(store);
	return recorded;
}

/**
 * The batch's history, in a transaction of its own after the counting one has committed. Every
 * request of a campaign waits for the campaign row's lock, held until commit, and on PostgreSQL
 * each statement in it waits for its turn on n8n's busy event loop: the history's read and write
 * in there slowed batched ingestion 9–17 %. Under the history's own lock they overlap the next
 * request's counting instead. The events are counted and de-duplicated already: a failure here
 * (the store gone after the retries) must not turn the request into an error the provider would
 * retry, only to find every event a duplicate — the report then lacks this batch, nothing else,
 * and the caller is told so that the operator sees it in the log.
 */
async function recordHistory(
	store: SqlSubscriberStore,
	history: HistoryEvent[],
	onFailure: RecordOptions['onHistoryFailure'],
): Promise<void> {
	try {
		await store.recordCampaignHistory(history);
	} catch (error) {
		onFailure?.(error instanceof Error ? error : new Error(String(error)), history.length);
	}
}

/**
 * How long a provider event id is remembered: retries of one event end within days (SendGrid
 * 72 hours, Mailgun 8 hours), so a month is ample.
 */
export const EVENT_ID_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const lastPruneByStore = new Map<string, number>();

/** At most once an hour per store (keyed by location: the webhook reopens stores), after recording. */
export async function forgetOldEventIds(store: SqlSubscriberStore, now = Date.now()): Promise<void> {
	const key = store.location;
	const last = lastPruneByStore.get(key);
	if (last !== undefined && now - last < PRUNE_INTERVAL_MS) return;
	lastPruneByStore.set(key, now);
	try {
		await store.pruneProcessedEvents(new Date(now - EVENT_ID_RETENTION_MS));
	} catch {
		// housekeeping only: the events are recorded; the next interval tries again
	}
}

const CHUNK = 400;

function chunks<T>(list: T[], size = CHUNK): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

/**
 * The kinds the subscriber row does not count: deduplicated on `<provider>:<eventId>` in one
 * statement per chunk (a repeat inside the batch is a duplicate too), then counted against their
 * campaigns per (campaign, counter), once per recipient as lib/campaign counts (the send log's
 * `<counter>_at` column set once). A click also counts as an open.
 */
async function recordCountedEvents(
	tx: SqlExecutor,
	events: NormalisedEvent[],
	indexes: number[],
	recorded: RecordedEvent[],
	history: HistoryEvent[] | null,
): Promise<void> {
	const at = new Date().toISOString();
	const firstIndexOf = new Map<string, number>();
	for (const index of indexes) {
		const id = `${events[index].provider}:${events[index].eventId}`;
		if (!firstIndexOf.has(id)) firstIndexOf.set(id, index);
	}
	const fresh = new Set<string>();
	for (const ids of chunks([...firstIndexOf.keys()])) {
		for (const id of await rememberEvents(tx, ids, at)) fresh.add(id);
	}

	// (campaign, counter) → subscriber → index of the first fresh event that may count it
	const groups = new Map<string, Map<string, number[]>>();
	const addTo = (campaignId: string, counter: string, subscriberId: string, index: number) => {
		const key = `${campaignId}\u0000${counter}`;
		let bySubscriber = groups.get(key);
		if (!bySubscriber) groups.set(key, (bySubscriber = new Map()));
		const list = bySubscriber.get(subscriberId) ?? [];
		list.push(index);
		bySubscriber.set(subscriberId, list);
	};
	for (const index of indexes) {
		const event = events[index];
		const id = `${event.provider}:${event.eventId}`;
		const result = blank(event);
		recorded[index] = result;
		if (firstIndexOf.get(id) !== index || !fresh.has(id)) {
			result.duplicate = true;
			continue;
		}
		const counter = campaignCounterFor(event.kind);
		if (!counter || !isRowId(event.campaignId)) continue;
		const subscriberId = isRowId(event.subscriberId)
			? event.subscriberId
			: await findCampaignRecipient(tx, event.campaignId, event.recipient);
		if (!subscriberId) continue;
		if (history) {
			const entry = historyEventOf(event, event.campaignId, subscriberId, toIso(event.occurredAt));
			if (entry) history.push(entry);
		}
		addTo(event.campaignId, counter, subscriberId, index);
		if (counter === 'clicked') addTo(event.campaignId, 'opened', subscriberId, -1); // not the click's own flag
	}

	for (const [key, bySubscriber] of groups) {
		const [campaignId, counter] = key.split('\u0000') as [string, CampaignEventType];
		let newlyCounted = 0;
		for (const subscriberIds of chunks([...bySubscriber.keys()])) {
			const marked = await markEventOnce(tx, campaignId, counter, subscriberIds, at);
			newlyCounted += marked.length;
			for (const subscriberId of marked) {
				const first = bySubscriber.get(subscriberId)?.find((index) => index >= 0);
				if (first !== undefined) recorded[first].campaignCounted = true;
			}
		}
		if (newlyCounted) await addToCounter(tx, campaignId, counter, newlyCounted, at);
	}
}

async function recordOne(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	event: NormalisedEvent,
	pause: ComplaintPauseOptions | false,
	actor: Actor,
	history: HistoryEvent[] | null,
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
	}
	if (isRowId(event.campaignId)) {
		// A subscriber id from the payload counts only when it is the recipient's own row (the
		// store ignored it otherwise); else the campaign's recipient is looked up by address.
		const idMatchesRecipient =
			isRowId(event.subscriberId) &&
			(!input || !event.recipient || result.subscribers.some((s) => s.id === String(event.subscriberId)));
		const subscriberId = idMatchesRecipient
			? String(event.subscriberId)
			: await findCampaignRecipient(tx, event.campaignId, event.recipient);
		if (subscriberId) {
			const outcome = await countCampaignEvent(
				tx,
				{ kind: event.kind, campaignId: event.campaignId, subscriberId, occurredAt },
				pause,
				actor,
			);
			result.campaignCounted = outcome.counted;
			result.campaignPaused = outcome.paused;
			const entry = history && historyEventOf(event, event.campaignId, subscriberId, occurredAt);
			if (entry) history?.push(entry);
		}
	}
	return result;
}

export function toIso(value: string | undefined | null): string {
	const time = value ? Date.parse(value) : NaN;
	return Number.isNaN(time) ? new Date().toISOString() : new Date(time).toISOString();
}

/** Status lookup helper for link events (which carry a subscriber id, not an address). */
export const readSubscriber = readSubscriberBrief;
