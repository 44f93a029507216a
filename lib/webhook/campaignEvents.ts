/**
 * Campaign side of an event: the campaign's counters (through lib/campaign, counted once per
 * recipient) and the complaint-rate brake that pauses a campaign before it burns the sender's
 * reputation (Gmail wants spam complaints well under 0.3 %).
 */
import type { DeliveryEventKind } from '../events';
import {
	complaintFigures,
	countSenderRefusal,
	isCampaignId,
	pauseCampaignIn,
	recordCampaignEventIn,
	type Actor,
	type CampaignEventType,
	type SqlExecutor,
} from '../store';
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

export function isRowId(value: unknown): value is string {
	return isCampaignId(value);
}

export function campaignCounterFor(kind: DeliveryEventKind): CampaignEventType | null {
	return COUNTER_FOR_KIND[kind] ?? null;
}

export { findCampaignRecipient, lockCampaigns } from '../store';

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
		counted && type === 'complained' && pause ? await pauseOnComplaintRate(tx, event.campaignId, pause, actor) : false;
	return { counted, paused };
}

/**
 * Complaint rate = complaints / delivered, or / (sent − bounced) while the provider reports no
 * deliveries. Judged only once the base reaches `minSample`; a running or scheduled campaign at
 * or over `threshold` is paused (audited, with the figures), and stays paused until resumed.
 */
export async function pauseOnComplaintRate(
	tx: SqlExecutor,
	campaignId: string,
	options: ComplaintPauseOptions,
	actor: Actor,
): Promise<boolean> {
	const figures = await complaintFigures(tx, campaignId);
	if (!figures) return false;
	const { status, complained, delivered } = figures;
	if (status !== 'running' && status !== 'scheduled') return false;
	const base = delivered > 0 ? delivered : Math.max(0, figures.sent - figures.bounced);
	if (base < options.minSample || base <= 0) return false;
	const rate = complained / base;
	if (rate < options.threshold) return false;
	const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
	const reason =
		`Complaint rate ${percent(rate)} (${complained} of ${base} ${delivered > 0 ? 'delivered' : 'sent'}) ` +
		`reached the ${percent(options.threshold)} limit`;
	await pauseCampaignIn(tx, campaignId, reason, actor, {
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
