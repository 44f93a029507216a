import { SEGMENT_LIMITS } from './parse';
import {
	ACTIVITIES,
	BUILT_IN_FIELDS,
	CAMPAIGN_OPERATORS,
	DATE_OPERATORS,
	LIST_OPERATORS,
	NUMBER_OPERATORS,
	TEXT_OPERATORS,
} from './types';

/**
 * The JSON Schema (draft 2020-12) of a segment as given in an expression or over an API, built
 * from the same operator lists the validator uses. It describes the shape; `parseSegment` also
 * checks what a schema cannot say well (value counts per operator, dates, NUL, lengths) and names
 * the bad condition by its path.
 */
const text = { type: 'string', maxLength: SEGMENT_LIMITS.valueLength };
const negate = { type: 'boolean', default: false, description: 'Invert the condition (NOT).' };
const id = { oneOf: [{ type: 'string', pattern: '^[0-9]{1,18}$' }, { type: 'integer', minimum: 0 }] };
const date = { type: 'string', description: 'YYYY-MM-DD (a calendar day in the evaluation time zone), or an ISO 8601 time; without an offset it is wall-clock time in that zone.' };

export const SEGMENT_JSON_SCHEMA = {
	$schema: 'https://json-schema.org/draft/2020-12/schema',
	$id: 'https://github.com/n8n-nodes-bulk-mail/n8n-nodes-bulk-mail/segment.schema.json',
	title: 'Segment',
	description: 'Conditions over a subscriber row, combined in groups. The root is a group.',
	$ref: '#/$defs/group',
	$defs: {
		group: {
			type: 'object',
			properties: {
				match: { enum: ['all', 'any'], default: 'all', description: 'all = AND, any = OR. An empty group: all matches everyone, any no one.' },
				negate,
				conditions: { type: 'array', maxItems: SEGMENT_LIMITS.conditionsPerGroup, items: { $ref: '#/$defs/condition' } },
			},
			required: ['conditions'],
			additionalProperties: false,
		},
		condition: {
			oneOf: [
				{ $ref: '#/$defs/group' },
				{ $ref: '#/$defs/builtInField' },
				{ $ref: '#/$defs/customField' },
				{ $ref: '#/$defs/list' },
				{ $ref: '#/$defs/campaign' },
				{ $ref: '#/$defs/activity' },
			],
		},
		builtInField: {
			type: 'object',
			description: 'email, name and status are text; createdAt, updatedAt and confirmedAt are dates.',
			properties: {
				field: { enum: Object.keys(BUILT_IN_FIELDS) },
				type: { enum: ['text', 'date'] },
				operator: { enum: [...new Set([...TEXT_OPERATORS, ...DATE_OPERATORS])] },
				value: { $ref: '#/$defs/value' },
				negate,
			},
			required: ['field', 'operator'],
			additionalProperties: false,
		},
		customField: {
			type: 'object',
			properties: {
				customField: { type: 'string', minLength: 1, maxLength: SEGMENT_LIMITS.fieldNameLength },
				type: { enum: ['text', 'number', 'date'], default: 'text' },
				operator: {
					enum: [...new Set([...TEXT_OPERATORS, ...NUMBER_OPERATORS, ...DATE_OPERATORS])],
					description: `text: ${TEXT_OPERATORS.join(', ')}; number: ${NUMBER_OPERATORS.join(', ')}; date: ${DATE_OPERATORS.join(', ')}`,
				},
				value: { $ref: '#/$defs/value' },
				negate,
			},
			required: ['customField', 'operator'],
			additionalProperties: false,
		},
		value: {
			description: 'None for isEmpty/isNotEmpty; [from, to] for between; a list for isOneOf/isNotOneOf; a whole number of days for withinLastDays; else one value.',
			oneOf: [
				text,
				{ type: 'number' },
				{ type: 'boolean' },
				{ type: 'array', minItems: 1, maxItems: SEGMENT_LIMITS.oneOfValues, items: { oneOf: [text, { type: 'number' }, date] } },
			],
		},
		list: {
			type: 'object',
			description: 'By address: isOn = an active row on the list; wasEverOn = any row.',
			properties: { list: id, operator: { enum: [...LIST_OPERATORS] }, negate },
			required: ['list', 'operator'],
			additionalProperties: false,
		},
		campaign: {
			type: 'object',
			description: 'By address: received = sent and not bounced; opened/clicked = a first open/click up to the evaluation time.',
			properties: { campaign: id, operator: { enum: [...CAMPAIGN_OPERATORS] }, negate },
			required: ['campaign', 'operator'],
			additionalProperties: false,
		},
		activity: {
			type: 'object',
			description: 'openedAny/clickedAny need withinLastDays; receivedWithoutOpening needs atLeast (campaigns received since the last one opened).',
			properties: {
				activity: { enum: [...ACTIVITIES] },
				withinLastDays: { type: 'integer', minimum: 1, maximum: SEGMENT_LIMITS.days },
				atLeast: { type: 'integer', minimum: 1, maximum: SEGMENT_LIMITS.atLeast },
				negate,
			},
			required: ['activity'],
			additionalProperties: false,
		},
	},
} as const;
