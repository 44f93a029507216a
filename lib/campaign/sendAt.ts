import { wallClockToMillis } from '../segments';

/**
 * A campaign's send-at time from a date-time picker: n8n's picker gives a wall-clock time
 * without a zone ("2026-06-01T09:00:00"), meant in the workflow's time zone; a value with Z or
 * an offset is kept as it is. Empty: null (as soon as the campaign is started).
 */
export function wallClockToUtc(value: string, timeZone: string): string | null {
	if (!value) return null;
	const naive = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value);
	if (!naive) return value;
	const [, year, month, day, hour, minute, second] = naive.map(Number);
	const time = { hour, minute, second: second || 0, millisecond: 0 };
	return new Date(wallClockToMillis({ year, month, day, time }, timeZone)).toISOString();
}
