/**
 * The condition builder's parameters → the segment JSON (nodes/shared/segmentParameters.ts):
 * what each builder choice becomes, that the result is a segment the engine accepts and
 * evaluates as meant, and that every problem names the condition where the editor shows it.
 */
import { parseSegment, segmentMatcher, type SegmentSubject } from '../../lib/segments';
import { conditionFields, NOT_VALUE_OPERATORS, segmentProperties } from '../../nodes/shared/segmentFields';
import {
	checkedBuilderDefinition,
	conditionJson,
	fieldKind,
	FIELD_CHOICES,
	jsonDefinition,
	OPERATOR_CHOICES,
	type BuilderInput,
} from '../../nodes/shared/segmentParameters';

const AT = '2026-06-30T12:00:00Z';

function subject(id: string, email: string, fields: Record<string, unknown>, createdAt = '2026-06-01T00:00:00Z'): SegmentSubject {
	return { id, listId: '1', address: email, email, name: '', status: 'active', fields, createdAt, updatedAt: createdAt, confirmedAt: null };
}

describe('builder conditions → JSON', () => {
	it('turns each kind of condition into the JSON form of docs/segments.md', () => {
		expect(conditionJson({ field: 'email', operator: 'endsWith', value: '@example.jp' })).toEqual({
			field: 'email',
			operator: 'endsWith',
			value: '@example.jp',
		});
		expect(conditionJson({ field: 'custom:city', compareAs: 'text', operator: 'isOneOf', value: 'Tokyo, Osaka' })).toEqual({
			customField: 'city',
			type: 'text',
			operator: 'isOneOf',
			value: ['Tokyo', 'Osaka'],
		});
		expect(conditionJson({ field: 'custom:', customField: 'note', operator: 'isOneOf', value: '["a, b", "c"]' })).toEqual({
			customField: 'note',
			type: 'text',
			operator: 'isOneOf',
			value: ['a, b', 'c'],
		});
		expect(conditionJson({ field: 'custom:spent', compareAs: 'number', operator: 'between', value: ' 10 ', value2: '20' })).toEqual({
			customField: 'spent',
			type: 'number',
			operator: 'between',
			value: ['10', '20'],
		});
		expect(conditionJson({ field: 'createdAt', operator: 'withinLastDays', days: 90, value: 'ignored' })).toEqual({
			field: 'createdAt',
			operator: 'withinLastDays',
			value: 90,
		});
		expect(conditionJson({ field: 'list', operator: 'isNotOn', list: '3' })).toEqual({ list: '3', operator: 'isNotOn' });
		expect(conditionJson({ field: 'campaign', operator: 'notOpened', campaign: { mode: 'id', value: '7' } })).toEqual({
			campaign: '7',
			operator: 'notOpened',
		});
		expect(conditionJson({ field: 'activity', operator: 'openedAny', days: 30 })).toEqual({ activity: 'openedAny', withinLastDays: 30 });
		expect(conditionJson({ field: 'activity', operator: 'receivedWithoutOpening', atLeast: 4 })).toEqual({
			activity: 'receivedWithoutOpening',
			atLeast: 4,
		});
		expect(conditionJson({ field: 'name', operator: 'isEmpty', value: 'left over' })).toEqual({ field: 'name', operator: 'isEmpty' });
	});

	it('offers each field kind the operators the engine has for it, in the If node’s words', () => {
		expect(fieldKind('email', undefined)).toBe('text');
		expect(fieldKind('confirmedAt', undefined)).toBe('date');
		expect(fieldKind('custom:spent', 'number')).toBe('number');
		expect(fieldKind('custom:x', undefined)).toBe('text');
		expect(fieldKind('nonsense', undefined)).toBeUndefined();
		expect(OPERATOR_CHOICES.text.map((o) => o.name)).toEqual(expect.arrayContaining(['Is Equal To', 'Contains', 'Starts With']));
		expect(OPERATOR_CHOICES.date.map((o) => o.name)).toEqual(expect.arrayContaining(['Is After', 'Is Between', 'Is Within the Last N Days']));
		// Every operator the picker offers is one the engine accepts for that kind.
		for (const kind of ['text', 'number', 'date'] as const) {
			for (const { value } of OPERATOR_CHOICES[kind]) {
				const built = conditionJson({ field: 'custom:f', compareAs: kind, operator: value, value: kind === 'date' ? '2026-01-01' : '5', value2: kind === 'date' ? '2026-02-01' : '9', days: 3 });
				expect(() => parseSegment({ conditions: [built] })).not.toThrow();
			}
		}
		// The Value input is hidden exactly for the operators that do not read it.
		const value = conditionFields.find((field) => field.name === 'value')!;
		expect(value.displayOptions?.hide?.operator).toEqual(NOT_VALUE_OPERATORS);
		expect(FIELD_CHOICES.at(-1)?.value).toBe('custom:');
	});

	it('builds groups with Combine and Negate, and the engine evaluates them as the editor reads', () => {
		const input: BuilderInput = {
			conditions: [{ field: 'custom:city', compareAs: 'text', operator: 'equals', value: 'tokyo' }],
			groups: [
				{
					match: 'any',
					negate: true,
					groupConditions: {
						conditions: [
							{ field: 'email', operator: 'endsWith', value: '@spam.test' },
							{ field: 'custom:spent', compareAs: 'number', operator: 'lt', value: '10' },
						],
					},
				},
			],
		};
		const checked = checkedBuilderDefinition(input, 'all');
		expect(checked.problems).toBeUndefined();
		expect(checked.ok).toEqual({
			match: 'all',
			conditions: [
				{ customField: 'city', type: 'text', operator: 'equals', value: 'tokyo' },
				{
					match: 'any',
					negate: true,
					conditions: [
						{ field: 'email', operator: 'endsWith', value: '@spam.test' },
						{ customField: 'spent', type: 'number', operator: 'lt', value: '10' },
					],
				},
			],
		});
		const people = [
			subject('1', 'ann@example.com', { city: 'Tokyo', spent: 50 }),
			subject('2', 'bob@spam.test', { city: 'TOKYO', spent: 50 }),
			subject('3', 'chie@example.com', { city: 'Tokyo', spent: 5 }),
			subject('4', 'dan@example.com', { city: 'Osaka', spent: 50 }),
		];
		const matcher = segmentMatcher(parseSegment(checked.ok), { at: AT }, { rows: people, sendLog: [] });
		expect(people.filter((person) => matcher(person)).map((person) => person.id)).toEqual(['1']);
	});

	it('names every bad condition by its place in the editor', () => {
		const checked = checkedBuilderDefinition(
			{
				conditions: [
					{ field: 'email', operator: 'contains', value: 'a' },
					{ field: 'createdAt', operator: 'contains', value: 'x' },
					{ field: 'list', operator: 'isOn', list: '' },
				],
				groups: [{ match: 'all', groupConditions: { conditions: [{ field: 'custom:', customField: '', operator: 'equals' }] } }],
			},
			'all',
		);
		expect(checked.problems).toEqual([
			expect.stringMatching(/^Condition 2: the operator 'contains' does not apply to a date condition; choose one of: is after, /),
			'Condition 3: pick the list',
			'Group 1, condition 1: enter the custom field’s name',
		]);
	});

	it('passes the engine’s own problems on with the editor’s names', () => {
		const checked = checkedBuilderDefinition(
			{
				conditions: [{ field: 'email', operator: 'equals', value: 'ok' }],
				groups: [
					{
						match: 'any',
						groupConditions: {
							conditions: [
								{ field: 'custom:spent', compareAs: 'number', operator: 'gt', value: 'lots' },
								{ field: 'custom:bad', compareAs: 'text', operator: 'equals', value: 'a\u0000b' },
							],
						},
					},
				],
			},
			'any',
		);
		expect(checked.problems).toEqual([
			"Group 1, condition 1: 'lots' is not a number",
			'Group 1, condition 2: the value contains a NUL character',
		]);
	});
});

describe('the JSON form', () => {
	it('takes text or an object and names bad conditions by their path', () => {
		expect(jsonDefinition('{"conditions":[{"field":"email","operator":"contains","value":"@"}]}').ok).toBeDefined();
		expect(jsonDefinition({ match: 'any', conditions: [] }).ok).toEqual({ match: 'any', conditions: [] });
		expect(jsonDefinition('{"conditions": [').problems?.[0]).toMatch(/^'Segment \(JSON\)' is not valid JSON \(/);
		expect(jsonDefinition('[1]').problems).toEqual([expect.stringMatching(/must be an object/)]);
		expect(jsonDefinition('').problems).toEqual([expect.stringMatching(/is empty/)]);
		expect(
			jsonDefinition({ conditions: [{ field: 'email', operator: 'equals', value: 'a' }, { conditions: [{ list: 'x', operator: 'isOn' }] }] })
				.problems,
		).toEqual(["conditions[1].conditions[0]: 'list' must be a list id (a whole number)"]);
	});
});

describe('the segment fields', () => {
	it('offers No Segment only where a segment is optional, and Saved Segment only where asked', () => {
		const show = { show: { resource: ['x'], operation: ['y'] } };
		const optional = segmentProperties(show, { optional: true, saved: true });
		const required = segmentProperties(show, { optional: false, saved: false });
		const sources = (props: typeof optional) => props.find((p) => p.name === 'segmentSource')!;
		expect(sources(optional).default).toBe('none');
		expect(sources(optional).options!.map((o) => (o as { value: string }).value)).toEqual(['none', 'fields', 'json', 'saved']);
		expect(sources(required).default).toBe('fields');
		expect(sources(required).options!.map((o) => (o as { value: string }).value)).toEqual(['fields', 'json']);
		expect(optional.map((p) => p.name)).toEqual(['segmentSource', 'segmentConditions', 'segmentMatch', 'segmentJson', 'savedSegment']);
	});
});
