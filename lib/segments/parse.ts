import { SegmentError, type SegmentProblem } from './errors';
import {
	ACTIVITIES,
	BUILT_IN_FIELDS,
	CAMPAIGN_OPERATORS,
	DATE_OPERATORS,
	LIST_OPERATORS,
	NUMBER_OPERATORS,
	TEXT_OPERATORS,
	type BuiltInField,
	type Condition,
	type DateValue,
	type FieldSubject,
	type GroupCondition,
	type Segment,
	type ValueType,
} from './types';
import { numberForm, parseIsoParts, utcMillis } from './values';

/** Limits that keep a segment (and the SQL made from it) a sane size. */
export const SEGMENT_LIMITS = {
	fieldNameLength: 200,
	valueLength: 1000,
	oneOfValues: 1000,
	conditionsPerGroup: 100,
	conditions: 500,
	depth: 8,
	days: 36_500,
	atLeast: 1000,
} as const;

type Input = Record<string, unknown>;

const SUBJECT_KEYS = ['field', 'customField', 'list', 'campaign', 'activity', 'conditions'] as const;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

class Checker {
	readonly problems: SegmentProblem[] = [];
	count = 0;

	fail(path: string, message: string): undefined {
		if (this.problems.length < 20) this.problems.push({ path, message });
		return undefined;
	}

	/** Text a condition may carry: no NUL (PostgreSQL refuses it), well-formed, not too long. */
	text(path: string, what: string, value: string, max: number): string | undefined {
		if (value.includes('\0')) return this.fail(path, `${what} contains a NUL character`);
		if (LONE_SURROGATE.test(value)) return this.fail(path, `${what} is not well-formed Unicode (a lone surrogate)`);
		if (value.length > max) return this.fail(path, `${what} is ${value.length} characters long; at most ${max} are allowed`);
		return value;
	}

	keys(path: string, input: Input, allowed: readonly string[]): boolean {
		// A key set to undefined is absent (as JSON.stringify would drop it).
		const unknown = Object.keys(input).filter((key) => input[key] !== undefined && !allowed.includes(key));
		if (unknown.length) {
			this.fail(path, `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k.slice(0, 40)}'`).join(', ')}; allowed: ${allowed.join(', ')}`);
			return false;
		}
		return true;
	}

	negate(path: string, input: Input): { negate?: true } | undefined {
		if (input.negate === undefined || input.negate === false) return {};
		if (input.negate === true) return { negate: true };
		return this.fail(path, "'negate' must be true or false");
	}

	group(path: string, input: Input, depth: number): (GroupCondition & { negate?: true }) | undefined {
		const ok = this.keys(path, input, ['match', 'negate', 'conditions']);
		const match = input.match ?? 'all';
		if (match !== 'all' && match !== 'any') this.fail(path, "'match' must be 'all' (AND) or 'any' (OR)");
		if (!Array.isArray(input.conditions)) return this.fail(path, "'conditions' must be a list of conditions");
		if (depth > SEGMENT_LIMITS.depth) return this.fail(path, `groups are nested more than ${SEGMENT_LIMITS.depth} deep`);
		if (input.conditions.length > SEGMENT_LIMITS.conditionsPerGroup) {
			return this.fail(path, `a group has ${input.conditions.length} conditions; at most ${SEGMENT_LIMITS.conditionsPerGroup} are allowed`);
		}
		const negate = this.negate(path, input);
		const conditions = input.conditions.map((child, index) => this.condition(`${path}${path ? '.' : ''}conditions[${index}]`, child, depth + 1));
		if (!ok || !negate || (match !== 'all' && match !== 'any') || conditions.some((c) => c === undefined)) return undefined;
		return { kind: 'group', match, conditions: conditions as Condition[], ...negate };
	}

	condition(path: string, raw: unknown, depth: number): Condition | undefined {
		if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return this.fail(path, 'a condition must be an object');
		const input = raw as Input;
		const subjects = SUBJECT_KEYS.filter((key) => input[key] !== undefined);
		if (subjects.length !== 1) {
			return this.fail(path, subjects.length
				? `a condition names one subject, not ${subjects.join(' and ')}`
				: `a condition needs one of ${SUBJECT_KEYS.join(', ')}`);
		}
		this.count += 1;
		if (this.count === SEGMENT_LIMITS.conditions + 1) this.fail(path, `the segment has more than ${SEGMENT_LIMITS.conditions} conditions`);
		switch (subjects[0]) {
			case 'conditions':
				return this.group(path, input, depth);
			case 'list':
			case 'campaign':
				return this.reference(path, input, subjects[0]);
			case 'activity':
				return this.activity(path, input);
			default:
				return this.field(path, input);
		}
	}

	reference(path: string, input: Input, kind: 'list' | 'campaign'): Condition | undefined {
		const ok = this.keys(path, input, [kind, 'operator', 'negate']);
		const id = String(input[kind]).trim();
		const operators: readonly string[] = kind === 'list' ? LIST_OPERATORS : CAMPAIGN_OPERATORS;
		const negate = this.negate(path, input);
		if (!/^\d{1,18}$/.test(id) || !['string', 'number'].includes(typeof input[kind])) {
			return this.fail(path, `'${kind}' must be a ${kind} id (a whole number)`);
		}
		if (!operators.includes(String(input.operator))) {
			return this.fail(path, `${kind} operator '${String(input.operator).slice(0, 40)}' is not one of ${operators.join(', ')}`);
		}
		if (!ok || !negate) return undefined;
		return kind === 'list'
			? { kind, listId: id, operator: input.operator as never, ...negate }
			: { kind, campaignId: id, operator: input.operator as never, ...negate };
	}

	wholeNumber(path: string, name: string, value: unknown, max: number): number | undefined {
		if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
			return this.fail(path, `'${name}' must be a whole number from 1 to ${max}`);
		}
		return value;
	}

	activity(path: string, input: Input): Condition | undefined {
		const activity = input.activity as string;
		const negate = this.negate(path, input);
		if (!(ACTIVITIES as readonly string[]).includes(activity)) {
			return this.fail(path, `activity '${String(activity).slice(0, 40)}' is not one of ${ACTIVITIES.join(', ')}`);
		}
		if (activity === 'receivedWithoutOpening') {
			const ok = this.keys(path, input, ['activity', 'atLeast', 'negate']);
			const atLeast = this.wholeNumber(path, 'atLeast', input.atLeast, SEGMENT_LIMITS.atLeast);
			return ok && negate && atLeast ? { kind: 'activity', activity, atLeast, ...negate } : undefined;
		}
		const ok = this.keys(path, input, ['activity', 'withinLastDays', 'negate']);
		const days = this.wholeNumber(path, 'withinLastDays', input.withinLastDays, SEGMENT_LIMITS.days);
		return ok && negate && days ? { kind: 'activity', activity: activity as 'openedAny' | 'clickedAny', withinLastDays: days, ...negate } : undefined;
	}

	subject(path: string, input: Input): { subject: FieldSubject; type: ValueType } | undefined {
		if (input.field !== undefined) {
			if (!Object.hasOwn(BUILT_IN_FIELDS, String(input.field))) {
				return this.fail(path, `'field' must be one of ${Object.keys(BUILT_IN_FIELDS).join(', ')}; use 'customField' for your own fields`);
			}
			const builtIn = input.field as BuiltInField;
			const type = BUILT_IN_FIELDS[builtIn];
			if (input.type !== undefined && input.type !== type) return this.fail(path, `the field '${builtIn}' is ${type}, not ${String(input.type)}`);
			return { subject: { builtIn }, type };
		}
		if (typeof input.customField !== 'string' || !input.customField) return this.fail(path, "'customField' must be a non-empty field name");
		const name = this.text(path, 'the field name', input.customField, SEGMENT_LIMITS.fieldNameLength);
		const type = input.type ?? 'text';
		if (type !== 'text' && type !== 'number' && type !== 'date') return this.fail(path, "'type' must be text, number or date");
		return name === undefined ? undefined : { subject: { custom: name }, type };
	}

	field(path: string, input: Input): Condition | undefined {
		const ok = this.keys(path, input, [input.field !== undefined ? 'field' : 'customField', 'type', 'operator', 'value', 'negate']);
		const negate = this.negate(path, input);
		const target = this.subject(path, input);
		if (!target) return undefined;
		const operator = String(input.operator);
		const operators: readonly string[] = { text: TEXT_OPERATORS, number: NUMBER_OPERATORS, date: DATE_OPERATORS }[target.type];
		if (!operators.includes(operator)) {
			return this.fail(path, `operator '${operator.slice(0, 40)}' does not apply to a ${target.type} field; use one of ${operators.join(', ')}`);
		}
		const values = this.values(path, operator, input.value, target.type);
		if (!ok || !negate || values === undefined) return undefined;
		const { subject, type } = target;
		if (type === 'text') return { kind: 'text', subject, operator: operator as never, values: values as string[], ...negate };
		if (type === 'number') return { kind: 'number', subject, operator: operator as never, values: values as number[], ...negate };
		if (operator === 'withinLastDays') return { kind: 'date', subject, operator, values: [], days: values[0] as number, ...negate };
		return { kind: 'date', subject, operator: operator as never, values: values as DateValue[], ...negate };
	}

	/** The operator's values: none, one, two (between) or a list (is one of). */
	values(path: string, operator: string, value: unknown, type: ValueType): Array<string | number | DateValue> | undefined {
		if (operator === 'isEmpty' || operator === 'isNotEmpty') {
			return value === undefined ? [] : this.fail(path, `operator '${operator}' takes no value`);
		}
		if (operator === 'withinLastDays') {
			const days = this.wholeNumber(path, 'value', value, SEGMENT_LIMITS.days);
			return days === undefined ? undefined : [days];
		}
		let list: unknown[];
		if (operator === 'between') {
			if (!Array.isArray(value) || value.length !== 2) return this.fail(path, "operator 'between' needs two values (value: [from, to])");
			list = value;
		} else if (operator === 'isOneOf' || operator === 'isNotOneOf') {
			if (!Array.isArray(value) || value.length === 0) return this.fail(path, `operator '${operator}' needs a list of values`);
			if (value.length > SEGMENT_LIMITS.oneOfValues) return this.fail(path, `operator '${operator}' takes at most ${SEGMENT_LIMITS.oneOfValues} values`);
			list = value;
		} else {
			if (value === undefined || Array.isArray(value)) return this.fail(path, `operator '${operator}' needs one value`);
			list = [value];
		}
		const read = list.map((item) => this.value(path, operator, item, type));
		if (read.some((item) => item === undefined)) return undefined;
		if (type === 'number' && operator === 'between' && (read[0] as number) > (read[1] as number)) {
			return this.fail(path, "operator 'between' needs the smaller value first");
		}
		return read as Array<string | number | DateValue>;
	}

	value(path: string, operator: string, value: unknown, type: ValueType): string | number | DateValue | undefined {
		if (type === 'number') {
			const number = numberForm(value);
			return number === null ? this.fail(path, `'${String(value).slice(0, 40)}' is not a number`) : number;
		}
		if (typeof value !== 'string' && !(type === 'text' && (typeof value === 'number' || typeof value === 'boolean'))) {
			return this.fail(path, `the value must be ${type === 'date' ? 'a date (text)' : 'text'}`);
		}
		const text = this.text(path, 'the value', String(value), SEGMENT_LIMITS.valueLength);
		if (text === undefined) return undefined;
		if (type === 'date') return this.date(path, text);
		if (text === '' && /contains|start|end/i.test(operator)) return this.fail(path, `operator '${operator}' needs a non-empty value (use isEmpty for empty fields)`);
		return text;
	}

	date(path: string, text: string): DateValue | undefined {
		const parts = parseIsoParts(text);
		if (!parts || parts.year < 1 || parts.year > 9998) {
			return this.fail(path, `'${text.slice(0, 40)}' is not a date; use YYYY-MM-DD or an ISO 8601 time such as 2026-05-01T09:00:00+09:00`);
		}
		if (!parts.time) return { day: text.trim() };
		if (parts.offsetMinutes === undefined) return { wallClock: text.trim() };
		return { instant: new Date(utcMillis(parts) - parts.offsetMinutes * 60_000).toISOString() };
	}
}

/**
 * Validates a segment given as JSON text or an object and returns it in the checked form.
 * Throws a SegmentError naming every bad condition by its path.
 */
export function parseSegment(input: unknown): Segment {
	let value = input;
	if (typeof input === 'string') {
		try {
			value = JSON.parse(input);
		} catch (error) {
			throw new SegmentError([{ path: '', message: `The segment is not valid JSON (${(error as Error).message})` }]);
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new SegmentError([{ path: '', message: "A segment must be an object with 'match' and 'conditions'" }]);
	}
	const checker = new Checker();
	const root = checker.group('', value as Input, 0);
	if (!root || checker.problems.length) throw new SegmentError(checker.problems);
	return { root };
}
