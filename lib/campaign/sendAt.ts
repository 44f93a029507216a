/**
 * A campaign's send-at time from a date-time picker: n8n's picker gives a wall-clock time
 * without a zone ("2026-06-01T09:00:00"), meant in the workflow's time zone; a value with Z or
 * an offset is kept as it is. Empty: null (as soon as the campaign is started).
 */
export function wallClockToUtc(value: string, timeZone: string): string | null {
	if (!value) return null;
	const naive = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value);
	if (!naive) return value;
	const [, y, mo, d, h, mi, se] = naive.map(Number);
	const wall = Date.UTC(y, mo - 1, d, h, mi, se || 0);
	// two passes settle the offset around a daylight-saving change
	let utc = wall - zoneOffsetAt(wall, timeZone);
	utc = wall - zoneOffsetAt(utc, timeZone);
	return new Date(utc).toISOString();
}

/** How far the zone's wall clock is ahead of UTC at `time`, in milliseconds. */
function zoneOffsetAt(time: number, timeZone: string): number {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
		})
			.formatToParts(new Date(time))
			.map((part) => [part.type, part.value]),
	);
	const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
	return shown - time;
}
