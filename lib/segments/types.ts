/**
 * The segment model: conditions over one subscriber row, combined in groups. A segment is plain
 * JSON (see schema.ts), so it can be given in an expression, stored, and sent over an API.
 */

export const TEXT_OPERATORS = [
	'equals',
	'notEquals',
	'contains',
	'notContains',
	'startsWith',
	'notStartsWith',
	'endsWith',
	'notEndsWith',
	'isOneOf',
	'isNotOneOf',
	'isEmpty',
	'isNotEmpty',
] as const;

export const NUMBER_OPERATORS = [
	'equals',
	'notEquals',
	'lt',
	'lte',
	'gt',
	'gte',
	'between',
	'isEmpty',
	'isNotEmpty',
] as const;

export const DATE_OPERATORS = [
	'before',
	'after',
	'withinLastDays',
	'between',
	'isEmpty',
	'isNotEmpty',
] as const;

export const LIST_OPERATORS = ['isOn', 'isNotOn', 'wasEverOn', 'wasNeverOn'] as const;

export const CAMPAIGN_OPERATORS = [
	'received',
	'notReceived',
	'opened',
	'notOpened',
	'clicked',
	'notClicked',
] as const;

export const ACTIVITIES = ['openedAny', 'clickedAny', 'receivedWithoutOpening'] as const;

export type TextOperator = (typeof TEXT_OPERATORS)[number];
export type NumberOperator = (typeof NUMBER_OPERATORS)[number];
export type DateOperator = (typeof DATE_OPERATORS)[number];
export type ListOperator = (typeof LIST_OPERATORS)[number];
export type CampaignOperator = (typeof CAMPAIGN_OPERATORS)[number];
export type Activity = (typeof ACTIVITIES)[number];
export type ValueType = 'text' | 'number' | 'date';

/** The subscriber's own columns a condition can name; anything else is a custom field. */
export const BUILT_IN_FIELDS = {
	email: 'text',
	name: 'text',
	status: 'text',
	createdAt: 'date',
	updatedAt: 'date',
	confirmedAt: 'date',
} as const satisfies Record<string, ValueType>;

export type BuiltInField = keyof typeof BUILT_IN_FIELDS;

/** A field condition after validation: the value(s) are typed by the condition's type. */
export type FieldCondition =
	| { kind: 'text'; subject: FieldSubject; operator: TextOperator; values: string[] }
	| { kind: 'number'; subject: FieldSubject; operator: NumberOperator; values: number[] }
	| { kind: 'date'; subject: FieldSubject; operator: DateOperator; values: DateValue[]; days?: number };

export type FieldSubject = { builtIn: BuiltInField } | { custom: string };

/**
 * A date in a condition: a calendar day (read in the evaluation's time zone), a wall-clock time
 * (also in that zone), or an instant (it carried Z or an offset).
 */
export type DateValue =
	| { day: string }
	| { wallClock: string }
	| { instant: string };

export interface ListCondition {
	kind: 'list';
	listId: string;
	operator: ListOperator;
}

export interface CampaignCondition {
	kind: 'campaign';
	campaignId: string;
	operator: CampaignOperator;
}

export type ActivityCondition =
	| { kind: 'activity'; activity: 'openedAny' | 'clickedAny'; withinLastDays: number }
	| { kind: 'activity'; activity: 'receivedWithoutOpening'; atLeast: number };

export interface GroupCondition {
	kind: 'group';
	match: 'all' | 'any';
	conditions: Condition[];
}

export type Condition = (
	| FieldCondition
	| ListCondition
	| CampaignCondition
	| ActivityCondition
	| GroupCondition
) & { negate?: boolean };

/** A validated segment: its root is a group. Made only by `parseSegment`. */
export interface Segment {
	readonly root: GroupCondition & { negate?: boolean };
}

/** When and where a segment is evaluated: "within the last 30 days" is relative to `at`. */
export interface EvaluationTime {
	/** The frozen evaluation time. */
	at: Date | string;
	/** IANA zone for calendar days and wall-clock times in conditions (default UTC). */
	timeZone?: string;
}

/** One subscriber row as the in-memory evaluator sees it. */
export interface SegmentSubject {
	id: string;
	listId: string;
	/** The address identity (the store's `emailKey`): rows of one person share it. */
	address: string;
	email: string;
	name: string;
	status: string;
	fields: Record<string, unknown>;
	createdAt: string;
	updatedAt: string;
	/** The latest confirmation time, or null. */
	confirmedAt: string | null;
}

/** Everything else a membership or engagement condition reads. */
export interface SegmentWorld {
	rows: ReadonlyArray<Pick<SegmentSubject, 'id' | 'listId' | 'address' | 'status'>>;
	sendLog: ReadonlyArray<SendLogFacts>;
}

/** What the send log knows of one (campaign, subscriber row): first open/click times only. */
export interface SendLogFacts {
	campaignId: string;
	subscriberId: string;
	state: string;
	openedAt: string | null;
	clickedAt: string | null;
	bouncedAt: string | null;
}
