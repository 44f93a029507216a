/**
 * The condition builder both nodes show (Subscriber List: Segment → Create, Count / Get Many /
 * Export; Bulk Send: Campaign → Create). It reads like n8n's If node: pick a field, an operator
 * in the If node's words ("is equal to", "contains", "is after", "is between"…), a value; a
 * "Combine" choice joins the conditions with AND or OR.
 *
 * n8n's own `filter` parameter cannot be used: its left side is an expression over the input
 * item, it has one combinator, no groups, no negation and none of our operators. So this is a
 * fixedCollection with two levels: conditions and groups at the top, each group holding
 * conditions of its own, its own Combine and a "Negate" switch. Deeper nesting needs the JSON
 * form (docs/segments.md). What the parameters mean is decided in segmentParameters.ts only.
 *
 * The operator list depends on the field (methods: getSegmentOperators, which reads the sibling
 * field with n8n's `&` relative path); the field picker lists the built-in fields, list
 * membership, engagement and the store's known custom fields (getSegmentFields).
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** How an operation is given its segment. */
export type SegmentSource = 'none' | 'fields' | 'json' | 'saved';

/** Operators that take no value, and those shown with their own inputs. */
const NO_VALUE = ['isEmpty', 'isNotEmpty', 'isOn', 'isNotOn', 'wasEverOn', 'wasNeverOn'];
const CAMPAIGN_OPS = ['received', 'notReceived', 'opened', 'notOpened', 'clicked', 'notClicked'];
const DAYS_OPS = ['withinLastDays', 'openedAny', 'clickedAny'];
const COUNT_OPS = ['receivedWithoutOpening'];
/** Every operator that does not read the Value input. */
export const NOT_VALUE_OPERATORS = [...NO_VALUE, ...CAMPAIGN_OPS, ...DAYS_OPS, ...COUNT_OPS];

type Show = NonNullable<INodeProperties['displayOptions']>;

function hideFor(operators: string[]): Show {
	return { hide: { operator: operators } };
}

/** The fields of one condition (the same at the top level and inside a group). */
export const conditionFields: INodeProperties[] = [
	{
		displayName: 'Field Name or ID',
		name: 'field',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSegmentFields' },
		default: 'email',
		description:
			'What the condition looks at: a subscriber field, a custom field, list membership or engagement. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'Custom Field Name',
		name: 'customField',
		type: 'string',
		default: '',
		placeholder: 'e.g. city',
		description: 'The custom field, by its exact name',
		displayOptions: { show: { field: ['custom:'] } },
	},
	{
		displayName: 'Compare As',
		name: 'compareAs',
		type: 'options',
		options: [
			{ name: 'Text', value: 'text' },
			{ name: 'Number', value: 'number' },
			{ name: 'Date', value: 'date' },
		],
		default: 'text',
		description: 'How the custom field’s value is read; a value that is not a number (or a date) never matches a number (date) condition',
		displayOptions: { show: { field: [{ _cnd: { startsWith: 'custom:' } }] } },
	},
	{
		displayName: 'Operator Name or ID',
		name: 'operator',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSegmentOperators', loadOptionsDependsOn: ['&field', '&compareAs'] },
		default: 'equals',
		description:
			'How to compare; the choices depend on the field. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	{
		displayName: 'List Name or ID',
		name: 'list',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSegmentLists' },
		default: '',
		description:
			'Membership means an active row on the list (“was ever on” counts any row). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { field: ['list'] } },
	},
	{
		displayName: 'Campaign Name or ID',
		name: 'campaign',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getSegmentCampaigns' },
		default: '',
		description:
			'The campaign whose recipients are meant. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { field: ['campaign'] } },
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'string',
		default: '',
		placeholder: 'e.g. Tokyo',
		description:
			'Text, a number or a date (2026-06-15, or 2026-06-15T09:00 in the workflow’s time zone). For “is one of”: values separated by commas, or a JSON list such as ["a, b", "c"]. For “is between”: the first end.',
		displayOptions: hideFor(NOT_VALUE_OPERATORS),
	},
	{
		displayName: 'And Value',
		name: 'value2',
		type: 'string',
		default: '',
		description: 'The other end of “is between” (both ends are included)',
		displayOptions: { show: { operator: ['between'] } },
	},
	{
		displayName: 'Days',
		name: 'days',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 30,
		description: 'N in “within the last N days”: the N × 24 hours up to the evaluation time',
		displayOptions: { show: { operator: DAYS_OPS } },
	},
	{
		displayName: 'At Least (Campaigns)',
		name: 'atLeast',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 3,
		description: 'How many campaigns in a row the address received without opening one',
		displayOptions: { show: { operator: COUNT_OPS } },
	},
];

const combineOptions: INodePropertyOptions[] = [
	{ name: 'All Conditions (AND)', value: 'all' },
	{ name: 'Any Condition (OR)', value: 'any' },
];

/** Fields showing only when the segment is defined with the builder (`segmentSource` fields). */
function builderFields(show: Show): INodeProperties[] {
	const withSource = (extra: Record<string, unknown[]> = {}): Show => ({
		show: { ...show.show, segmentSource: ['fields'], ...extra },
	});
	return [
		{
			displayName: 'Conditions',
			name: 'segmentConditions',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true, sortable: true },
			placeholder: 'Add Condition',
			default: {},
			displayOptions: withSource(),
			options: [
				{ displayName: 'Condition', name: 'conditions', values: conditionFields },
				{
					displayName: 'Group',
					name: 'groups',
					values: [
						{
							displayName: 'Combine',
							name: 'match',
							type: 'options',
							options: combineOptions,
							default: 'any',
							description: 'How the group’s conditions are joined',
						},
						{
							displayName: 'Negate',
							name: 'negate',
							type: 'boolean',
							default: false,
							description: 'Whether the group matches subscribers its conditions do NOT match (e.g. “not (A or B)”)',
						},
						{
							displayName: 'Conditions',
							name: 'groupConditions',
							type: 'fixedCollection',
							typeOptions: { multipleValues: true, sortable: true },
							placeholder: 'Add Condition',
							default: {},
							options: [{ displayName: 'Condition', name: 'conditions', values: conditionFields }],
						},
					],
				},
			],
		},
		{
			displayName: 'Combine',
			name: 'segmentMatch',
			type: 'options',
			options: combineOptions,
			default: 'all',
			description: 'How the conditions and groups above are joined',
			displayOptions: withSource(),
		},
	];
}

/**
 * The segment fields of one operation: "Define Segment" (Using Fields Below / Using JSON /
 * Saved Segment, and "No Segment" where a segment is optional), the builder, the JSON and the
 * saved-segment picker. `show` is the operation's displayOptions.
 */
export function segmentProperties(
	show: Show,
	options: { optional: boolean; saved: boolean; description?: string },
): INodeProperties[] {
	const sources: INodePropertyOptions[] = [
		...(options.optional ? [{ name: 'No Segment', value: 'none', description: 'Only the filters below' }] : []),
		{ name: 'Using Fields Below', value: 'fields', description: 'Conditions built with the fields below' },
		{ name: 'Using JSON', value: 'json', description: 'The JSON form of docs/segments.md, e.g. from an expression' },
		...(options.saved ? [{ name: 'Saved Segment', value: 'saved', description: 'A segment saved with Segment → Create' }] : []),
	];
	return [
		// the default is set below (No Segment where a segment is optional, else Using Fields Below)
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
		{
			displayName: 'Define Segment',
			name: 'segmentSource',
			type: 'options',
			noDataExpression: true,
			options: sources,
			default: options.optional ? 'none' : 'fields',
			description: options.description ?? 'Which subscribers the segment selects',
			displayOptions: show,
		},
		...builderFields(show),
		{
			displayName: 'Segment (JSON)',
			name: 'segmentJson',
			type: 'json',
			default: '{\n  "match": "all",\n  "conditions": [\n    { "customField": "city", "operator": "equals", "value": "Tokyo" }\n  ]\n}',
			description: 'Groups ("match": "all" | "any", "negate", "conditions") and conditions; see docs/segments.md',
			displayOptions: { show: { ...show.show, segmentSource: ['json'] } },
		},
		savedSegmentLocator({
			displayName: 'Saved Segment',
			name: 'savedSegment',
			description: 'The saved segment, from the list, by its ID or by its name; its definition is read when the operation runs',
			displayOptions: { show: { ...show.show, segmentSource: ['saved'] } },
		}),
	];
}

/** A saved-segment picker: From List (searchable), By ID, By Name. */
export function savedSegmentLocator(
	field: Pick<INodeProperties, 'name' | 'displayName' | 'description' | 'displayOptions'> & { required?: boolean },
): INodeProperties {
	return {
		...field,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a segment…',
				typeOptions: { searchListMethod: 'searchSegments', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 2',
				validation: [
					{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A segment ID is a number, e.g. 2' } },
				],
			},
			{ displayName: 'By Name', name: 'name', type: 'string', placeholder: 'e.g. Tokyo buyers' },
		],
	};
}
