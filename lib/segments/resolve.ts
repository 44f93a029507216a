import { SegmentError } from './errors';
import type {
	ActivityCondition,
	CampaignCondition,
	Condition,
	DateValue,
	EvaluationTime,
	FieldSubject,
	ListCondition,
	NumberOperator,
	Segment,
	TextOperator,
} from './types';
import { foldText, isoInstant, parseIsoParts, utcMillis, type IsoParts } from './values';

/**
 * A segment fixed to one evaluation time and zone: text values folded, every date turned into a
 * range of instants. The in-memory evaluator and the SQL compiler both read this form, so the
 * two agree on what a bound is and only differ in how they compare.
 */
export type ResolvedCondition = (
	| { kind: 'text'; subject: FieldSubject; operator: TextOperator; values: string[] }
	| { kind: 'number'; subject: FieldSubject; operator: NumberOperator; values: number[] }
	| { kind: 'date'; subject: FieldSubject; test: 'empty' | 'notEmpty' | DateRange }
	| ListCondition
	| (CampaignCondition & { at: string })
	| (ActivityCondition & { at: string; since?: string })
	| { kind: 'group'; match: 'all' | 'any'; conditions: ResolvedCondition[] }
) & { negate?: boolean };

/** Instants as sortable ISO text; a missing side is open. */
export interface DateRange {
	lower?: { iso: string; strict: boolean };
	upper?: { iso: string; strict: boolean };
}

const DAY = 86_400_000;

export function checkTimeZone(timeZone: string): string {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone });
	} catch {
		throw new SegmentError([{ path: 'timeZone', message: `unknown time zone '${timeZone.slice(0, 60)}'; use an IANA name such as 'Asia/Tokyo'` }]);
	}
	return timeZone;
}

/** Milliseconds the zone's clock is ahead of UTC at `time`. */
function zoneOffset(time: number, timeZone: string): number {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			era: 'short',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric',
		})
			.formatToParts(new Date(time))
			.map((part) => [part.type, part.value]),
	);
	const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year);
	const shown = new Date(0);
	shown.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
	shown.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
	return shown.getTime() - (time - (((time % 1000) + 1000) % 1000));
}

/** The instant a wall-clock time in `timeZone` names (two passes settle a daylight-saving edge). */
export function wallClockToMillis(parts: IsoParts, timeZone: string): number {
	const wall = utcMillis(parts);
	if (timeZone === 'UTC') return wall;
	let utc = wall - zoneOffset(wall, timeZone);
	utc = wall - zoneOffset(utc, timeZone);
	return utc;
}

function instantText(millis: number, path: string): string {
	const iso = isoInstant(millis);
	if (iso === null) throw new SegmentError([{ path, message: 'the date is outside the years 0000–9999' }]);
	return iso;
}

/** The first instant of a calendar day (`offsetDays` later) in the zone. */
function dayStart(day: string, offsetDays: number, timeZone: string, path: string): string {
	const parts = parseIsoParts(day) as IsoParts;
	const next = new Date(utcMillis(parts) + offsetDays * DAY);
	const shifted: IsoParts = { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
	return instantText(wallClockToMillis(shifted, timeZone), path);
}

function pointInTime(value: DateValue, timeZone: string, path: string): string {
	if ('instant' in value) return value.instant;
	if ('wallClock' in value) return instantText(wallClockToMillis(parseIsoParts(value.wallClock) as IsoParts, timeZone), path);
	return dayStart(value.day, 0, timeZone, path);
}

/**
 * "before D" ends where day D starts; "after D" begins after the whole day; "between D1 and D2"
 * includes both days. Times and instants are exact bounds (between includes both ends).
 */
function dateRange(operator: string, values: DateValue[], days: number | undefined, at: number, timeZone: string, path: string): DateRange {
	switch (operator) {
		case 'before':
			return { upper: { iso: pointInTime(values[0], timeZone, path), strict: true } };
		case 'after': {
			const value = values[0];
			if ('day' in value) return { lower: { iso: dayStart(value.day, 1, timeZone, path), strict: false } };
			return { lower: { iso: pointInTime(value, timeZone, path), strict: true } };
		}
		case 'between': {
			const [from, to] = values;
			const upper = 'day' in to
				? { iso: dayStart(to.day, 1, timeZone, path), strict: true }
				: { iso: pointInTime(to, timeZone, path), strict: false };
			return { lower: { iso: pointInTime(from, timeZone, path), strict: false }, upper };
		}
		default: // withinLastDays
			return {
				lower: { iso: instantText(at - (days as number) * DAY, path), strict: false },
				upper: { iso: instantText(at, path), strict: false },
			};
	}
}

export function evaluationMillis(time: EvaluationTime): number {
	const at = time.at instanceof Date ? time.at.getTime() : Date.parse(time.at);
	if (!Number.isFinite(at) || isoInstant(at) === null) {
		throw new SegmentError([{ path: 'at', message: `the evaluation time '${String(time.at).slice(0, 40)}' is not a valid time` }]);
	}
	return at;
}

/** Fixes a validated segment to an evaluation time (and zone, default UTC). */
export function resolveSegment(segment: Segment, time: EvaluationTime): ResolvedCondition {
	const at = evaluationMillis(time);
	const atIso = new Date(at).toISOString();
	const timeZone = checkTimeZone(time.timeZone?.trim() || 'UTC');
	const resolve = (condition: Condition, path: string): ResolvedCondition => {
		const negate = condition.negate ? { negate: true } : {};
		switch (condition.kind) {
			case 'group':
				return {
					kind: 'group',
					match: condition.match,
					conditions: condition.conditions.map((child, index) => resolve(child, `${path}${path ? '.' : ''}conditions[${index}]`)),
					...negate,
				};
			case 'text':
				return { ...condition, values: condition.values.map(foldText) };
			case 'number':
			case 'list':
				return condition;
			case 'date': {
				const test =
					condition.operator === 'isEmpty' ? 'empty' as const
					: condition.operator === 'isNotEmpty' ? 'notEmpty' as const
					: dateRange(condition.operator, condition.values, condition.days, at, timeZone, path);
				return { kind: 'date', subject: condition.subject, test, ...negate };
			}
			case 'campaign':
				return { ...condition, at: atIso };
			case 'activity':
				return condition.activity === 'receivedWithoutOpening'
					? { ...condition, at: atIso }
					: { ...condition, at: atIso, since: instantText(at - condition.withinLastDays * DAY, path) };
		}
	};
	return resolve(segment.root, '');
}
