/**
 * The small integer codes the event history and its rollups store instead of text (issue #18):
 * event types, hit classes, the signal that decided a class, and bounce reasons. Codes are
 * stored, so they never change meaning: new values are only ever appended.
 */
import { HARD_REASONS, SENDER_REASONS, SOFT_REASONS, type FailureKind, type FailureReason } from '../bounce';
import type { HitClass, HitSignal, StatusClassReason } from '../reports';

export const EVENT_TYPES = ['open', 'click', 'bounce', 'complaint', 'unsubscribe', 'delivered'] as const;
export type HistoryEventType = (typeof EVENT_TYPES)[number];
/** 1-based code of an event type. */
export const typeCode = (type: HistoryEventType): number => EVENT_TYPES.indexOf(type) + 1;

/** Class codes in order of preference: the lowest code is a recipient's best class (human > unknown > machine). */
export const CLASS_CODES: Record<HitClass, number> = { human: 1, unknown: 2, machine: 3 };
export const CLASS_NAMES: HitClass[] = ['human', 'unknown', 'machine'];
export const className = (code: number): HitClass => CLASS_NAMES[code - 1];

export const SIGNALS: HitSignal[] = [
	'trap-link',
	'all-links',
	'apple-proxy',
	'provider-machine',
	'scanner-agent',
	'fast-fetch',
	'provider-human',
	'no-evidence',
	'default',
];
/** 1-based; 0 for an event that is not a hit. `migrated` (from before the history) is 100. */
export const signalCode = (signal: HitSignal): number => SIGNALS.indexOf(signal) + 1;
export const MIGRATED_SIGNAL = 100;

const FAILURE_REASONS: FailureReason[] = [...HARD_REASONS, ...SOFT_REASONS, ...SENDER_REASONS];
/** Reason codes 1…n are the classifier's names; these two are the SMTP status class only. */
export const REASON_4XX = 200;
export const REASON_5XX = 201;

export function reasonCode(reason: string | null | undefined, status: string | null | undefined, kind: FailureKind): number {
	const index = reason ? FAILURE_REASONS.indexOf(reason as FailureReason) : -1;
	if (index >= 0) return index + 1;
	const first = String(status ?? '').trim()[0];
	if (first === '4') return REASON_4XX;
	if (first === '5') return REASON_5XX;
	return kind === 'soft' ? REASON_4XX : REASON_5XX;
}

export function reasonOf(code: number): { reason: FailureReason | StatusClassReason; kind: FailureKind; classifier: boolean } {
	if (code === REASON_4XX) return { reason: '4xx', kind: 'soft', classifier: false };
	if (code === REASON_5XX) return { reason: '5xx', kind: 'hard', classifier: false };
	const reason = FAILURE_REASONS[code - 1];
	const kind: FailureKind = (HARD_REASONS as readonly string[]).includes(reason)
		? 'hard'
		: (SOFT_REASONS as readonly string[]).includes(reason)
			? 'soft'
			: 'sender';
	return { reason, kind, classifier: true };
}

/**
 * Rollup metrics per campaign (`report_counts.metric`). Per class: base + class code (1…3).
 * Bounced recipients by their last reason: BOUNCE_REASON_BASE + reason code.
 */
export const METRIC = {
	OPENS_TOTAL: 10,
	OPENS_UNIQUE: 20,
	CLICKS_TOTAL: 30,
	CLICKS_UNIQUE: 40,
	BOUNCED_RECIPIENTS: 50,
	DELIVERED_EVENTS: 51,
	BOUNCE_REASON_BASE: 1000,
} as const;

/**
 * The time series is stored in 15-minute buckets (Unix seconds, a multiple of 900): every time
 * zone in use today is offset from UTC by a multiple of 15 minutes (Asia/Kolkata +5:30,
 * Asia/Kathmandu +5:45, Pacific/Chatham +12:45), so local hours and days are exact unions of
 * stored buckets in any zone.
 */
export const STORED_BUCKET_SECONDS = 900;
export const storedBucket = (unixSeconds: number): number =>
	Math.floor(unixSeconds / STORED_BUCKET_SECONDS) * STORED_BUCKET_SECONDS;
