/**
 * The one place where the segment parameters (segmentFields.ts) become a segment definition —
 * the JSON form of docs/segments.md, which the store and the campaign engine take. The builder's
 * conditions are turned into that JSON here, checked with lib/segments `parseSegment`, and every
 * problem is reported by the condition's place in the editor ("Group 1, condition 2: …").
 */
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodePropertyOptions } from 'n8n-workflow';

import { BUILT_IN_FIELDS, parseSegment, SegmentError, type SegmentProblem } from '../../lib/segments';
import type { SqlSubscriberStore } from '../../lib/store';
import { locatorValue } from './locators';
import type { SegmentSource } from './segmentFields';

export type ConditionKind = 'text' | 'number' | 'date' | 'list' | 'campaign' | 'activity';

/** The field picker's fixed entries (custom fields the store knows are added after them). */
export const FIELD_CHOICES: Array<INodePropertyOptions & { kind?: ConditionKind }> = [
	{ name: 'E-Mail', value: 'email', kind: 'text' },
	{ name: 'Name', value: 'name', kind: 'text' },
	{ name: 'Status', value: 'status', kind: 'text', description: 'Active, pending, unsubscribed, bounced, complained, stopped…' },
	{ name: 'Created Date', value: 'createdAt', kind: 'date' },
	{ name: 'Updated Date', value: 'updatedAt', kind: 'date' },
	{ name: 'Confirmed Date', value: 'confirmedAt', kind: 'date', description: 'The latest double opt-in confirmation' },
	{ name: 'List Membership', value: 'list', kind: 'list', description: 'Whether the address is (or was) on a list' },
	{ name: 'Campaign Engagement', value: 'campaign', kind: 'campaign', description: 'Received, opened or clicked one campaign' },
	{ name: 'Recent Activity', value: 'activity', kind: 'activity', description: 'Opens and clicks across all campaigns' },
	{ name: 'Other Custom Field (Enter Name)', value: 'custom:', description: 'A custom field by its name' },
];

/** The operators of each kind, in the If node's words. */
export const OPERATOR_CHOICES: Record<ConditionKind, INodePropertyOptions[]> = {
	text: [
		{ name: 'Is Equal To', value: 'equals' },
		{ name: 'Is Not Equal To', value: 'notEquals' },
		{ name: 'Contains', value: 'contains' },
		{ name: 'Does Not Contain', value: 'notContains' },
		{ name: 'Starts With', value: 'startsWith' },
		{ name: 'Does Not Start With', value: 'notStartsWith' },
		{ name: 'Ends With', value: 'endsWith' },
		{ name: 'Does Not End With', value: 'notEndsWith' },
		{ name: 'Is One Of', value: 'isOneOf' },
		{ name: 'Is Not One Of', value: 'isNotOneOf' },
		{ name: 'Is Empty', value: 'isEmpty' },
		{ name: 'Is Not Empty', value: 'isNotEmpty' },
	],
	number: [
		{ name: 'Is Equal To', value: 'equals' },
		{ name: 'Is Not Equal To', value: 'notEquals' },
		{ name: 'Is Less Than', value: 'lt' },
		{ name: 'Is Less Than or Equal To', value: 'lte' },
		{ name: 'Is Greater Than', value: 'gt' },
		{ name: 'Is Greater Than or Equal To', value: 'gte' },
		{ name: 'Is Between', value: 'between' },
		{ name: 'Is Empty', value: 'isEmpty' },
		{ name: 'Is Not Empty', value: 'isNotEmpty' },
	],
	date: [
		{ name: 'Is After', value: 'after' },
		{ name: 'Is Before', value: 'before' },
		{ name: 'Is Within the Last N Days', value: 'withinLastDays' },
		{ name: 'Is Between', value: 'between' },
		{ name: 'Is Empty', value: 'isEmpty' },
		{ name: 'Is Not Empty', value: 'isNotEmpty' },
	],
	list: [
		{ name: 'Is On List', value: 'isOn', description: 'An active row on the list' },
		{ name: 'Is Not On List', value: 'isNotOn' },
		{ name: 'Was Ever On List', value: 'wasEverOn', description: 'Any row on the list, whatever its status' },
		{ name: 'Was Never On List', value: 'wasNeverOn' },
	],
	campaign: [
		{ name: 'Received', value: 'received', description: 'The send succeeded and did not bounce' },
		{ name: 'Did Not Receive', value: 'notReceived' },
		{ name: 'Opened', value: 'opened' },
		{ name: 'Did Not Open', value: 'notOpened' },
		{ name: 'Clicked', value: 'clicked' },
		{ name: 'Did Not Click', value: 'notClicked' },
	],
	activity: [
		{ name: 'Opened Any Campaign Within the Last N Days', value: 'openedAny' },
		{ name: 'Clicked Any Campaign Within the Last N Days', value: 'clickedAny' },
		{ name: 'Received at Least N Campaigns Without Opening One', value: 'receivedWithoutOpening' },
	],
};

const CUSTOM = 'custom:';

/** The kind of a picked field ('custom:<name>' is read as `compareAs`); undefined if unknown. */
export function fieldKind(field: string, compareAs: unknown): ConditionKind | undefined {
	if (field.startsWith(CUSTOM)) return compareAs === 'number' || compareAs === 'date' ? compareAs : 'text';
	return FIELD_CHOICES.find((choice) => choice.value === field)?.kind;
}

/** One condition as the editor stores it (every input, shown or not). */
export interface BuilderCondition {
	field?: unknown;
	customField?: unknown;
	compareAs?: unknown;
	operator?: unknown;
	list?: unknown;
	campaign?: unknown;
	value?: unknown;
	value2?: unknown;
	days?: unknown;
	atLeast?: unknown;
}

export interface BuilderGroup {
	match?: unknown;
	negate?: unknown;
	groupConditions?: { conditions?: BuilderCondition[] };
}

export interface BuilderInput {
	conditions?: BuilderCondition[];
	groups?: BuilderGroup[];
}

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

/** What is wrong with one condition, in words (returned, not thrown). */
export interface ConditionProblem {
	problem: string;
}

const problem = (message: string): ConditionProblem => ({ problem: message });

/** "Is one of" values: a JSON list, else the text split at commas. */
function oneOfValues(raw: unknown): unknown[] | ConditionProblem {
	if (Array.isArray(raw)) return raw;
	const value = text(raw).trim();
	if (value.startsWith('[')) {
		try {
			const parsed: unknown = JSON.parse(value);
			if (Array.isArray(parsed)) return parsed;
		} catch {
			return problem(`the value list ${value.slice(0, 60)} is not valid JSON; separate values with commas or write a JSON list such as ["a", "b"]`);
		}
	}
	return value.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

function fieldJson(
	condition: BuilderCondition,
	field: string,
	kind: 'text' | 'number' | 'date',
	operator: string,
): IDataObject | ConditionProblem {
	const subject: IDataObject = {};
	if (field.startsWith(CUSTOM)) {
		const name = field === CUSTOM ? text(condition.customField).trim() : field.slice(CUSTOM.length);
		if (!name) return problem('enter the custom field’s name');
		subject.customField = name;
		subject.type = kind;
	} else {
		subject.field = field;
	}
	const json: IDataObject = { ...subject, operator };
	if (operator === 'isEmpty' || operator === 'isNotEmpty') return json;
	if (operator === 'isOneOf' || operator === 'isNotOneOf') {
		const values = oneOfValues(condition.value);
		return Array.isArray(values) ? { ...json, value: values as IDataObject[] } : values;
	}
	if (operator === 'between') return { ...json, value: [text(condition.value).trim(), text(condition.value2).trim()] };
	if (operator === 'withinLastDays') return { ...json, value: Number(condition.days) };
	return { ...json, value: kind === 'text' ? text(condition.value) : text(condition.value).trim() };
}

/** One builder condition as its JSON form, or what is missing. */
export function conditionJson(condition: BuilderCondition): IDataObject | ConditionProblem {
	const field = text(condition.field).trim();
	if (!field) return problem('pick a field');
	const kind = fieldKind(field, condition.compareAs);
	if (!kind) return problem(`'${field.slice(0, 60)}' is not a field; pick one from the list (custom fields are 'custom:<name>')`);
	const operator = text(condition.operator).trim();
	const allowed = OPERATOR_CHOICES[kind];
	if (!allowed.some((choice) => choice.value === operator)) {
		const what = kind === 'activity' ? 'recent activity' : `a ${kind} condition`;
		return problem(
			`the operator '${operator.slice(0, 40)}' does not apply to ${what}; choose one of: ${allowed.map((choice) => choice.name.toLowerCase()).join(', ')}`,
		);
	}
	if (kind === 'list') {
		const list = locatorValue(condition.list);
		return list ? { list, operator } : problem('pick the list');
	}
	if (kind === 'campaign') {
		const campaign = locatorValue(condition.campaign);
		return campaign ? { campaign, operator } : problem('pick the campaign');
	}
	if (kind === 'activity') {
		if (operator === 'receivedWithoutOpening') return { activity: operator, atLeast: Number(condition.atLeast) };
		return { activity: operator, withinLastDays: Number(condition.days) };
	}
	return fieldJson(condition, field, kind, operator);
}

/** Where each top-level entry of the definition sits in the editor, for messages. */
export type BuilderLabels = string[];

/** A value, or the problems that keep it from being one (each naming its place). */
export type Checked<T> = { ok: T; problems?: undefined } | { ok?: undefined; problems: string[] };

/**
 * The builder's parameters as a segment definition: the top-level conditions, then the groups,
 * joined by `match`. Problems name the condition ("Condition 2", "Group 1, condition 3").
 */
export function builderDefinition(
	input: BuilderInput,
	match: unknown,
): Checked<{ definition: IDataObject; labels: BuilderLabels }> {
	const conditions: IDataObject[] = [];
	const labels: BuilderLabels = [];
	const problems: string[] = [];
	const convert = (condition: BuilderCondition, label: string): IDataObject | undefined => {
		const json = conditionJson(condition);
		if ('problem' in json) {
			problems.push(`${label}: ${String(json.problem)}`);
			return undefined;
		}
		return json;
	};
	(input.conditions ?? []).forEach((condition, index) => {
		const label = `Condition ${index + 1}`;
		const json = convert(condition, label);
		if (json) {
			conditions.push(json);
			labels.push(label);
		}
	});
	(input.groups ?? []).forEach((group, groupIndex) => {
		const label = `Group ${groupIndex + 1}`;
		const inner = (group.groupConditions?.conditions ?? [])
			.map((condition, index) => convert(condition, `${label}, condition ${index + 1}`))
			.filter((json): json is IDataObject => json !== undefined);
		const negate = group.negate === true ? { negate: true } : {};
		conditions.push({ match: group.match === 'all' ? 'all' : 'any', ...negate, conditions: inner });
		labels.push(label);
	});
	if (problems.length) return { problems };
	return { ok: { definition: { match: match === 'any' ? 'any' : 'all', conditions }, labels } };
}

const TOP = /^conditions\[(\d+)\]/;

/** A parseSegment problem of a builder segment, by the editor's names for its conditions. */
function builderProblem(found: SegmentProblem, labels: BuilderLabels): string {
	const top = TOP.exec(found.path);
	if (!top) return found.path ? `${found.path}: ${found.message}` : found.message;
	const label = labels[Number(top[1])] ?? `Condition ${Number(top[1]) + 1}`;
	const inner = /^\.conditions\[(\d+)\]/.exec(found.path.slice(top[0].length));
	const place = inner ? `${label}, condition ${Number(inner[1]) + 1}` : label;
	return `${place}: ${found.message}`;
}

/** The engine's problems with a definition, each named by `name(problem)`; none if it is valid. */
function engineProblems(definition: unknown, name: (found: SegmentProblem) => string): string[] {
	try {
		parseSegment(definition);
		return [];
	} catch (error) {
		if (error instanceof SegmentError) return error.problems.map(name);
		return [error instanceof Error ? error.message : String(error)];
	}
}

const byPath = (found: SegmentProblem): string => (found.path ? `${found.path}: ${found.message}` : found.message);
const JSON_EXAMPLE = '{"match": "all", "conditions": [...]}';

/** The JSON form given as text or as an object (from an expression), checked. */
export function jsonDefinition(raw: unknown): Checked<IDataObject> {
	let value = raw;
	if (typeof raw === 'string') {
		if (!raw.trim()) return { problems: [`'Segment (JSON)' is empty; enter a segment such as ${JSON_EXAMPLE}`] };
		try {
			value = JSON.parse(raw);
		} catch (error) {
			return { problems: [`'Segment (JSON)' is not valid JSON (${(error as Error).message})`] };
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return { problems: [`'Segment (JSON)' must be an object such as ${JSON_EXAMPLE}`] };
	}
	const problems = engineProblems(value, byPath);
	return problems.length ? { problems } : { ok: value as IDataObject };
}

/** The builder's parameters as a checked definition. */
export function checkedBuilderDefinition(input: BuilderInput, match: unknown): Checked<IDataObject> {
	const built = builderDefinition(input, match);
	if (!built.ok) return built;
	const { definition, labels } = built.ok;
	const problems = engineProblems(definition, (found) => builderProblem(found, labels));
	return problems.length ? { problems } : { ok: definition };
}

export interface ChosenSegment {
	definition: IDataObject;
	source: Exclude<SegmentSource, 'none'>;
	/** Set when a saved segment was picked. */
	saved?: { id: string; name: string };
	/** The workflow's zone: calendar days and times without an offset are read in it. */
	timeZone: string;
}

/** Reads the segment parameters of one item: null for "No Segment"; a bad segment fails the item. */
export async function readSegment(
	ctx: IExecuteFunctions,
	itemIndex: number,
	store: Pick<SqlSubscriberStore, 'getSegment'>,
): Promise<ChosenSegment | null> {
	const source = ctx.getNodeParameter('segmentSource', itemIndex, 'none') as SegmentSource;
	const timeZone = ctx.getTimezone();
	const fail = (message: string, description?: string): never => {
		throw new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
	};
	const take = (checked: Checked<IDataObject>): IDataObject =>
		checked.ok ?? fail(`The segment is not valid: ${checked.problems.join('; ')}`, 'See docs/segments.md for what each condition takes.');
	if (source === 'none') return null;
	if (source === 'fields') {
		const input = ctx.getNodeParameter('segmentConditions', itemIndex, {}) as BuilderInput;
		const match = ctx.getNodeParameter('segmentMatch', itemIndex, 'all');
		return { definition: take(checkedBuilderDefinition(input, match)), source, timeZone };
	}
	if (source === 'json') {
		return { definition: take(jsonDefinition(ctx.getNodeParameter('segmentJson', itemIndex, ''))), source, timeZone };
	}
	if (source === 'saved') {
		const ref = locatorValue(ctx.getNodeParameter('savedSegment', itemIndex, '', { extractValue: true }));
		if (!ref) return fail('No saved segment is given; pick one or enter its name or ID');
		const saved = await store.getSegment(ref);
		if (!saved) return fail(`There is no saved segment named or numbered '${ref}'`);
		return { definition: saved.definition as IDataObject, source, saved: { id: saved.id, name: saved.name }, timeZone };
	}
	return fail(`'${String(source)}' is not a way to define a segment`);
}

/** The built-in field names (for messages and tests). */
export const BUILT_IN_FIELD_NAMES = Object.keys(BUILT_IN_FIELDS);
