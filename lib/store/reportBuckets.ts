/**
 * Bucket maths of the report's time series (pure). Rollups are stored in 15-minute UTC buckets
 * (reportCodes STORED_BUCKET_SECONDS); a report folds them into local hours or days of the time
 * zone asked for. Every zone in use is a multiple of 15 minutes from UTC, so each stored bucket
 * lies inside exactly one local hour and one local day, including Asia/Kolkata (+5:30),
 * Asia/Kathmandu (+5:45) and days of 23 or 25 hours around daylight-saving changes.
 */
import { ReportError } from './reportTypes';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a ReportError naming the zone when it is not an IANA time zone this Node knows. */
export function checkTimeZone(timeZone: unknown): string {
	if (typeof timeZone !== 'string' || !timeZone.trim()) {
		throw new ReportError('The time zone must be an IANA name such as Asia/Tokyo or UTC', 'invalid');
	}
	formatter(timeZone.trim());
	return timeZone.trim();
}

function formatter(timeZone: string): Intl.DateTimeFormat {
	let format = formatters.get(timeZone);
	if (format) return format;
	try {
		format = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric',
		});
	} catch {
		throw new ReportError(`Unknown time zone '${timeZone}': use an IANA name such as Asia/Tokyo, Asia/Kolkata or UTC`, 'invalid');
	}
	formatters.set(timeZone, format);
	return format;
}

/** Local wall-clock hour, minute and second of an instant (ms) in the zone. */
function localClock(ms: number, timeZone: string): { hour: number; minute: number; second: number } {
	let hour = 0;
	let minute = 0;
	let second = 0;
	for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
		if (part.type === 'hour') hour = Number(part.value);
		else if (part.type === 'minute') minute = Number(part.value);
		else if (part.type === 'second') second = Number(part.value);
	}
	return { hour, minute, second };
}

/** The start (ms) of the local hour or day the instant falls in. */
export function localBucketStart(ms: number, bucket: 'hour' | 'day', timeZone: string): number {
	const base = Math.floor(ms / 1000) * 1000;
	const clock = localClock(base, timeZone);
	const intoHour = (clock.minute * 60 + clock.second) * 1000;
	if (bucket === 'hour') return base - intoHour;
	// Back to local midnight; a second look corrects a day whose midnight was skipped or repeated by DST.
	const start = base - clock.hour * 3_600_000 - intoHour;
	const check = localClock(start, timeZone);
	const minutes = check.hour * 60 + check.minute;
	if (minutes === 0) return start;
	// landed in the previous evening (the day lost an hour) or after midnight (it gained one)
	return minutes >= 12 * 60 ? start + (24 * 60 - minutes) * 60_000 : start - minutes * 60_000;
}

/** The start of the next local bucket after the one starting at `start`. */
export function nextBucketStart(start: number, bucket: 'hour' | 'day', timeZone: string): number {
	// a day is 23 to 25 hours long: 26 hours on is always inside the next one
	return localBucketStart(start + (bucket === 'hour' ? 3_600_000 : 26 * 3_600_000), bucket, timeZone);
}

export interface StoredBucket {
	/** Unix seconds, a multiple of 900. */
	bucket: number;
	opens: number;
	clicks: number;
	bounces: number;
	unsubscribes: number;
}

/** Folds stored 15-minute buckets into gap-free local buckets from the first to the last. */
export function foldBuckets(
	stored: StoredBucket[],
	bucket: 'hour' | 'day',
	timeZone: string,
	maxBuckets = 10_000,
): Array<{ start: number; opens: number; clicks: number; bounces: number; unsubscribes: number }> {
	if (!stored.length) return [];
	const sorted = [...stored].sort((a, b) => a.bucket - b.bucket);
	const first = localBucketStart(sorted[0].bucket * 1000, bucket, timeZone);
	const last = localBucketStart(sorted[sorted.length - 1].bucket * 1000, bucket, timeZone);
	const span = (last - first) / (bucket === 'hour' ? 3_600_000 : 86_400_000);
	if (span + 1 > maxBuckets) {
		throw new ReportError(
			`The time series would have ${Math.round(span + 1)} ${bucket} buckets (at most ${maxBuckets}); choose the 'day' bucket`,
			'invalid',
		);
	}
	const out: Array<{ start: number; opens: number; clicks: number; bounces: number; unsubscribes: number }> = [];
	let index = 0;
	for (let start = first; start <= last; start = nextBucketStart(start, bucket, timeZone)) {
		const end = nextBucketStart(start, bucket, timeZone);
		const row = { start, opens: 0, clicks: 0, bounces: 0, unsubscribes: 0 };
		while (index < sorted.length && sorted[index].bucket * 1000 < end) {
			const s = sorted[index++];
			row.opens += s.opens;
			row.clicks += s.clicks;
			row.bounces += s.bounces;
			row.unsubscribes += s.unsubscribes;
		}
		out.push(row);
	}
	return out;
}
