/**
 * The report's bucket maths (lib/store reportBuckets): local hours and days in zones whose offset
 * is not a whole hour, days of 23 and 25 hours, gap-free folding, and unknown zones.
 */
import { checkTimeZone, foldBuckets, localBucketStart, nextBucketStart, ReportError } from '../../../lib/store';
import { storedBucket, STORED_BUCKET_SECONDS } from '../../../lib/store/reportCodes';

const ms = (iso: string) => Date.parse(iso);
const iso = (value: number) => new Date(value).toISOString();

describe('report buckets', () => {
	it('starts local hours at half past in Asia/Kolkata and at a quarter to in Asia/Kathmandu', () => {
		expect(iso(localBucketStart(ms('2026-12-01T01:10:00Z'), 'hour', 'Asia/Kolkata'))).toBe('2026-12-01T00:30:00.000Z');
		expect(iso(localBucketStart(ms('2026-12-01T00:29:59Z'), 'hour', 'Asia/Kolkata'))).toBe('2026-11-30T23:30:00.000Z');
		expect(iso(localBucketStart(ms('2026-12-01T01:10:00Z'), 'hour', 'Asia/Kathmandu'))).toBe('2026-12-01T00:15:00.000Z');
		expect(iso(localBucketStart(ms('2026-12-01T01:10:00Z'), 'hour', 'UTC'))).toBe('2026-12-01T01:00:00.000Z');
	});

	it('starts local days at local midnight', () => {
		expect(iso(localBucketStart(ms('2026-12-01T20:00:00Z'), 'day', 'Asia/Kolkata'))).toBe('2026-12-01T18:30:00.000Z');
		expect(iso(localBucketStart(ms('2026-12-01T14:59:00Z'), 'day', 'Asia/Tokyo'))).toBe('2026-11-30T15:00:00.000Z');
		expect(iso(localBucketStart(ms('2026-12-01T15:00:00Z'), 'day', 'Asia/Tokyo'))).toBe('2026-12-01T15:00:00.000Z');
	});

	it('handles the 23-hour and 25-hour days of daylight-saving time', () => {
		// Europe/Berlin: 2026-03-29 has 23 hours, 2026-10-25 has 25
		const spring = localBucketStart(ms('2026-03-29T20:00:00Z'), 'day', 'Europe/Berlin');
		expect(iso(spring)).toBe('2026-03-28T23:00:00.000Z');
		expect(iso(nextBucketStart(spring, 'day', 'Europe/Berlin'))).toBe('2026-03-29T22:00:00.000Z');
		const autumn = localBucketStart(ms('2026-10-25T20:00:00Z'), 'day', 'Europe/Berlin');
		expect(iso(autumn)).toBe('2026-10-24T22:00:00.000Z');
		expect(iso(nextBucketStart(autumn, 'day', 'Europe/Berlin'))).toBe('2026-10-25T23:00:00.000Z');
	});

	it('stores 15-minute buckets, which every zone offset divides', () => {
		expect(STORED_BUCKET_SECONDS).toBe(900);
		expect(storedBucket(ms('2026-12-01T00:44:59Z') / 1000) * 1000).toBe(ms('2026-12-01T00:30:00Z'));
	});

	it('folds stored buckets into gap-free local buckets', () => {
		const b = (at: string, opens: number) => ({ bucket: ms(at) / 1000, opens, clicks: 0, bounces: 0, unsubscribes: 0 });
		const folded = foldBuckets([b('2026-12-01T02:15:00Z', 4), b('2026-12-01T00:30:00Z', 1), b('2026-12-01T00:15:00Z', 2)], 'hour', 'Asia/Kolkata');
		expect(folded.map((row) => [iso(row.start), row.opens])).toEqual([
			['2026-11-30T23:30:00.000Z', 2],
			['2026-12-01T00:30:00.000Z', 1],
			['2026-12-01T01:30:00.000Z', 4],
		]);
		expect(foldBuckets([], 'day', 'UTC')).toEqual([]);
		expect(() => foldBuckets([b('2020-01-01T00:00:00Z', 1), b('2026-01-01T00:00:00Z', 1)], 'hour', 'UTC')).toThrow(
			/would have 52609 hour buckets .*choose the 'day' bucket/,
		);
	});

	it('names a time zone that does not exist', () => {
		expect(() => checkTimeZone('Asia/Atlantis')).toThrow("Unknown time zone 'Asia/Atlantis'");
		expect(() => checkTimeZone('')).toThrow(ReportError);
		expect(checkTimeZone(' Asia/Kolkata ')).toBe('Asia/Kolkata');
	});
});
