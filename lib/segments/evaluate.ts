import { resolveSegment, type DateRange, type ResolvedCondition } from './resolve';
import type { EvaluationTime, FieldSubject, Segment, SegmentSubject, SegmentWorld, SendLogFacts } from './types';
import { fieldKey, fieldsMatch, foldText, type FieldsMatch } from './values';

/**
 * The reference semantics: a segment evaluated over subscriber rows held in memory. The store's
 * SQL must select exactly the rows this accepts (the property test holds it to that).
 *
 * - Text compares folded (values.ts `foldText`); a missing or null field is empty text.
 * - A number operator matches only a field that reads as a number; a date operator only one
 *   that reads as a date (ISO 8601, UTC when it names no zone).
 * - Membership and engagement are by address: every row of the person counts, on any list.
 * - Opens and clicks count up to the evaluation time; the send log keeps the first of each.
 */
export type SegmentMatcher = (subject: SegmentSubject) => boolean;

interface Facts {
	rowsByAddress: Map<string, SegmentWorld['rows'][number][]>;
	logByRow: Map<string, SendLogFacts[]>;
}

function index(world: SegmentWorld): Facts {
	const rowsByAddress = new Map<string, SegmentWorld['rows'][number][]>();
	for (const row of world.rows) {
		const rows = rowsByAddress.get(row.address) ?? [];
		rows.push(row);
		rowsByAddress.set(row.address, rows);
	}
	const logByRow = new Map<string, SendLogFacts[]>();
	for (const entry of world.sendLog) {
		const entries = logByRow.get(entry.subscriberId) ?? [];
		entries.push(entry);
		logByRow.set(entry.subscriberId, entries);
	}
	return { rowsByAddress, logByRow };
}

class Evaluation {
	private fieldMatches?: FieldsMatch;
	private log?: SendLogFacts[];

	constructor(
		private readonly subject: SegmentSubject,
		private readonly facts: Facts,
	) {}

	/** The subject's match copy of its custom fields (as the store writes it), made once. */
	private matchOf(): FieldsMatch {
		this.fieldMatches ??= fieldsMatch(this.subject.fields);
		return this.fieldMatches;
	}

	private text(subject: FieldSubject): string {
		if ('custom' in subject) return this.matchOf().t[fieldKey(subject.custom)] ?? '';
		return foldText(String(this.subject[subject.builtIn as 'email' | 'name' | 'status']));
	}

	private date(subject: FieldSubject): string | null {
		if ('custom' in subject) return this.matchOf().d[fieldKey(subject.custom)] ?? null;
		return this.subject[subject.builtIn as 'createdAt' | 'updatedAt' | 'confirmedAt'];
	}

	private addressLog(): SendLogFacts[] {
		this.log ??= (this.facts.rowsByAddress.get(this.subject.address) ?? []).flatMap(
			(row) => this.facts.logByRow.get(row.id) ?? [],
		);
		return this.log;
	}

	test(condition: ResolvedCondition): boolean {
		const result = this.positive(condition);
		return condition.negate ? !result : result;
	}

	private positive(condition: ResolvedCondition): boolean {
		switch (condition.kind) {
			case 'group':
				return condition.match === 'all'
					? condition.conditions.every((child) => this.test(child))
					: condition.conditions.some((child) => this.test(child));
			case 'text':
				return textTest(condition.operator, this.text(condition.subject), condition.values);
			case 'number': {
				if (condition.operator === 'isEmpty' || condition.operator === 'isNotEmpty') {
					return (this.text(condition.subject) === '') === (condition.operator === 'isEmpty');
				}
				const value = 'custom' in condition.subject ? this.matchOf().n[fieldKey(condition.subject.custom)] : undefined;
				return value !== undefined && numberTest(condition.operator, value, condition.values);
			}
			case 'date':
				if (condition.test === 'empty' || condition.test === 'notEmpty') {
					const empty = 'custom' in condition.subject ? this.text(condition.subject) === '' : this.date(condition.subject) === null;
					return empty === (condition.test === 'empty');
				}
				return inRange(this.date(condition.subject), condition.test);
			case 'list': {
				const rows = this.facts.rowsByAddress.get(this.subject.address) ?? [];
				const active = condition.operator === 'isOn' || condition.operator === 'isNotOn';
				const found = rows.some((row) => row.listId === condition.listId && (!active || row.status === 'active'));
				return condition.operator === 'isOn' || condition.operator === 'wasEverOn' ? found : !found;
			}
			case 'campaign':
				return this.campaign(condition.campaignId, condition.operator, condition.at);
			case 'activity':
				return this.activity(condition);
		}
	}

	private campaign(campaignId: string, operator: string, at: string): boolean {
		const entries = this.addressLog().filter((entry) => entry.campaignId === campaignId);
		const kind = operator.replace(/^not/, '').toLowerCase();
		const found = entries.some((entry) =>
			kind === 'received' ? received(entry)
			: kind === 'opened' ? entry.openedAt !== null && entry.openedAt <= at
			: entry.clickedAt !== null && entry.clickedAt <= at,
		);
		return operator.startsWith('not') ? !found : found;
	}

	private activity(condition: Extract<ResolvedCondition, { kind: 'activity' }>): boolean {
		const log = this.addressLog();
		const { at } = condition;
		if (condition.activity === 'receivedWithoutOpening') {
			let lastOpened = 0n;
			for (const entry of log) {
				if (entry.openedAt !== null && entry.openedAt <= at && BigInt(entry.campaignId) > lastOpened) lastOpened = BigInt(entry.campaignId);
			}
			const unopened = new Set(log.filter((entry) => received(entry) && BigInt(entry.campaignId) > lastOpened).map((entry) => entry.campaignId));
			return unopened.size >= condition.atLeast;
		}
		const since = condition.since as string;
		return log.some((entry) => {
			const time = condition.activity === 'openedAny' ? entry.openedAt : entry.clickedAt;
			return time !== null && time >= since && time <= at;
		});
	}
}

/** "Received" is a send that succeeded and did not bounce afterwards. */
function received(entry: SendLogFacts): boolean {
	return entry.state === 'sent' && entry.bouncedAt === null;
}

function textTest(operator: string, value: string, values: string[]): boolean {
	const [first] = values;
	switch (operator) {
		case 'equals': return value === first;
		case 'notEquals': return value !== first;
		case 'contains': return value.includes(first);
		case 'notContains': return !value.includes(first);
		case 'startsWith': return value.startsWith(first);
		case 'notStartsWith': return !value.startsWith(first);
		case 'endsWith': return value.endsWith(first);
		case 'notEndsWith': return !value.endsWith(first);
		case 'isOneOf': return values.includes(value);
		case 'isNotOneOf': return !values.includes(value);
		case 'isEmpty': return value === '';
		default: return value !== ''; // isNotEmpty
	}
}

function numberTest(operator: string, value: number, values: number[]): boolean {
	const [first, second] = values;
	switch (operator) {
		case 'equals': return value === first;
		case 'notEquals': return value !== first;
		case 'lt': return value < first;
		case 'lte': return value <= first;
		case 'gt': return value > first;
		case 'gte': return value >= first;
		default: return value >= first && value <= second; // between
	}
}

function inRange(value: string | null, range: DateRange): boolean {
	if (value === null) return false;
	const { lower, upper } = range;
	if (lower && (lower.strict ? !(value > lower.iso) : !(value >= lower.iso))) return false;
	if (upper && (upper.strict ? !(value < upper.iso) : !(value <= upper.iso))) return false;
	return true;
}

/** A matcher for one segment at one evaluation time over one in-memory store state. */
export function segmentMatcher(segment: Segment, time: EvaluationTime, world: SegmentWorld): SegmentMatcher {
	const resolved = resolveSegment(segment, time);
	const facts = index(world);
	return (subject) => new Evaluation(subject, facts).test(resolved);
}
