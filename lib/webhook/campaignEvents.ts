/**
 * Campaign side of an event: the campaign's counters (through lib/campaign, counted once per
 * recipient) and the complaint-rate brake that pauses a campaign before it burns the sender's
 * reputation (Gmail wants spam complaints well under 0.3 %).
 */
import { recordCampaignEventIn, type CampaignEventType } from '../campaign/campaigns';
import { lockCampaign } from '../campaign/sql';
import type { DeliveryEventKind } from '../events/types';
import type { SqlExecutor } from '../store/driver';
import { countSenderRefusal } from '../store/providerPauses';
import type { SqlSubscriberStore } from '../store/sqlStore';
import type { Actor } from '../store/types';
import { DEFAULT_COMPLAINT_PAUSE, type ComplaintPauseOptions } from './types';

/** Campaign counter per event kind; soft bounces and deferrals are not outcomes yet. */
const COUNTER_FOR_KIND: Partial<Record<DeliveryEventKind, CampaignEventType>> = {
	hard: 'bounced',
	complaint: 'complained',
	unsubscribe: 'unsubscribed',
	delivered: 'delivered',
	open: 'opened',
	click: 'clicked',
};

const ID_PATTERN = /^\d{1,18}$/;

export function isRowId(value: unknown): value is string {
	return typeof value === 'string' && ID_PATTERN.test(value);
}

export function campaignCounterFor(kind: DeliveryEventKind): CampaignEventType | null {
	return COUNTER_FOR_KIND[kind] ?? null;
}

/**
 * Locks the campaigns a batch of events touches, in id order, before any subscriber row: the
 * order every campaign transaction uses, so concurrent batches and send runs cannot deadlock.
 */
export async function lockCampaigns(tx: SqlExecutor, campaignIds: Iterable<string | null>): Promise<void> {
	if (tx.dialect !== 'postgres') return; // SQLite transactions are already serialised
	const ids = [...new Set([...campaignIds].filter(isRowId))].sort((a, b) =>
		a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length,
	);
	for (const id of ids) await lockCampaign(tx, id);
}

/** The campaign recipient with this address, when the event names a campaign but no subscriber. */
export async function findCampaignRecipient(
	tx: SqlExecutor,
	campaignId: string,
	email: string,
): Promise<string | null> {
	if (!isRowId(campaignId) || !email) return null;
	const row = await tx.get(
		`SELECT l.subscriber_id FROM subscribers s JOIN send_log l ON l.subscriber_id = s.id AND l.campaign_id = ?
		 WHERE s.email_lower = ? ORDER BY s.id LIMIT 1`,
		[campaignId, email.trim().toLowerCase()],
	);
	return row ? String(row.subscriber_id) : null;
}

export interface CampaignOutcome {
	counted: boolean;
	paused: boolean;
}

/**
 * Counts one event against its campaign inside the caller's transaction. A click also counts
 * as an open (the images of a clicked message may have been blocked). A newly counted
 * complaint checks the complaint rate and pauses the campaign when it reaches the threshold.
 */
export async function countCampaignEvent(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	event: { kind: DeliveryEventKind; campaignId: string; subscriberId: string; occurredAt: string },
	pause: ComplaintPauseOptions | false,
	actor: Actor,
): Promise<CampaignOutcome> {
	if (event.kind === 'sender' && isRowId(event.campaignId)) {
		await countSenderRefusal(tx, event.campaignId);
		return { counted: true, paused: false };
	}
	const type = campaignCounterFor(event.kind);
	if (!type || !isRowId(event.campaignId) || !isRowId(event.subscriberId)) {
		return { counted: false, paused: false };
	}
	const ids = { campaignId: event.campaignId, subscriberId: event.subscriberId, occurredAt: event.occurredAt };
	const counted = await recordCampaignEventIn(tx, { ...ids, type });
	if (type === 'clicked') await recordCampaignEventIn(tx, { ...ids, type: 'opened' });
	const paused =
		counted && type === 'complained' && pause ? await pauseOnComplaintRate(store, tx, event.campaignId, pause, actor) : false;
	return { counted, paused };
}

/**
 * Complaint rate = complaints / delivered, or / (sent − bounced) while the provider reports no
 * deliveries. Judged only once the base reaches `minSample`; a running or scheduled campaign at
 * or over `threshold` is paused (audited, with the figures), and stays paused until resumed.
 */
export async function pauseOnComplaintRate(
	store: SqlSubscriberStore,
	tx: SqlExecutor,
	campaignId: string,
	options: ComplaintPauseOptions,
	actor: Actor,
): Promise<boolean> {
	const row = await tx.get('SELECT status, sent, bounced, complained, delivered FROM campaigns WHERE id = ?', [campaignId]);
	if (!row) return false;
	const status = String(row.status);
	if (status !== 'running' && status !== 'scheduled') return false;
	const complained = Number(row.complained);
	const delivered = Number(row.delivered);
	const base = delivered > 0 ? delivered : Math.max(0, Number(row.sent) - Number(row.bounced));
	if (base < options.minSample || base <= 0) return false;
	const rate = complained / base;
	if (rate < options.threshold) return false;
	const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
	const reason =
		`Complaint rate ${percent(rate)} (${complained} of ${base} ${delivered > 0 ? 'delivered' : 'sent'}) ` +
		`reached the ${percent(options.threshold)} limit`;
	await tx.run("UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE id = ?", [
		reason,
		new Date().toISOString(),
		campaignId,
	]);
	await store.audit(tx, actor, 'campaign.pause', 'campaign', campaignId, {
		from: status,
		reason,
		complained,
		base,
		threshold: options.threshold,
	});
	return true;
}

export function resolveComplaintPause(
	option: Partial<ComplaintPauseOptions> | false | undefined,
): ComplaintPauseOptions | false {
	if (option === false) return false;
	const merged = { ...DEFAULT_COMPLAINT_PAUSE, ...(option ?? {}) };
	if (!(merged.threshold > 0 && merged.threshold < 1)) {
		throw new Error(`The complaint-rate threshold must be a fraction between 0 and 1 (got ${merged.threshold})`);
	}
	if (!Number.isInteger(merged.minSample) || merged.minSample < 1) {
		throw new Error(`The complaint-rate minimum sample must be a whole number of at least 1 (got ${merged.minSample})`);
	}
	return merged;
}
