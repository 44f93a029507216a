/**
 * Segments in memory: validation (every error names the bad condition by its path), the value
 * forms (folding, numbers, dates) and the reference evaluator's semantics.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
	DATE_OPERATORS,
	foldText,
	NUMBER_OPERATORS,
	SEGMENT_JSON_SCHEMA,
	TEXT_OPERATORS,
	numberForm,
	dateForm,
	fieldKey,
	parseSegment,
	segmentMatcher,
	SegmentError,
	storedFieldsMatch,
	type SegmentSubject,
	type SegmentWorld,
	type SendLogFacts,
} from '../../../lib/segments';
import { compileSegment } from '../../../lib/store';

function problem(input: unknown): string {
	try {
		parseSegment(input);
	} catch (error) {
		expect(error).toBeInstanceOf(SegmentError);
		return (error as Error).message;
	}
	throw new Error('the segment was accepted');
}

describe('segment validation', () => {
	it('names a nested bad condition by its path', () => {
		const message = problem({
			match: 'all',
			conditions: [
				{ field: 'email', operator: 'contains', value: '@example.com' },
				{ list: '1', operator: 'isOn' },
				{ match: 'any', conditions: [{ customField: 'spent', type: 'number', operator: 'between', value: [1] }] },
			],
		});
		expect(message).toBe("conditions[2].conditions[0]: operator 'between' needs two values (value: [from, to])");
	});

	it('refuses NUL, lone surrogates and over-long names and values', () => {
		expect(problem({ conditions: [{ customField: 'city', operator: 'equals', value: 'To\u0000kyo' }] })).toBe('conditions[0]: the value contains a NUL character');
		expect(problem({ conditions: [{ customField: 'ci\u0000ty', operator: 'isEmpty' }] })).toBe('conditions[0]: the field name contains a NUL character');
		expect(problem({ conditions: [{ customField: 'city', operator: 'equals', value: 'x\ud800' }] })).toMatch(/^conditions\[0\]: the value is not well-formed Unicode/);
		expect(problem({ conditions: [{ customField: 'x'.repeat(201), operator: 'isEmpty' }] })).toBe('conditions[0]: the field name is 201 characters long; at most 200 are allowed');
		expect(problem({ conditions: [{ customField: 'city', operator: 'contains', value: 'x'.repeat(10_240) }] })).toBe('conditions[0]: the value is 10240 characters long; at most 1000 are allowed');
		expect(problem({ conditions: [{ customField: 'city', operator: 'isOneOf', value: ['ok', 'b\u0000d'] }] })).toBe('conditions[0]: the value contains a NUL character');
	});

	it('lists every problem, with paths, in one error', () => {
		const message = problem({
			match: 'some',
			conditions: [
				{ field: 'createdAt', operator: 'contains', value: 'x' },
				{ field: 'email', list: '1', operator: 'isOn' },
				{ campaign: 'abc', operator: 'opened' },
				{ activity: 'openedAny', withinLastDays: 0 },
				{ customField: 'joined', type: 'date', operator: 'after', value: '2026-02-30' },
				{ customField: 'city', operator: 'contains', value: '' },
				{ customField: 'city', operator: 'equals', value: 'x', colour: 'red' },
			],
		});
		expect(message).toMatch(/^The segment has 8 problems: /);
		expect(message).toContain(": 'match' must be 'all' (AND) or 'any' (OR)");
		expect(message).toContain("conditions[0]: operator 'contains' does not apply to a date field");
		expect(message).toContain('conditions[1]: a condition names one subject, not field and list');
		expect(message).toContain("conditions[2]: 'campaign' must be a campaign id (a whole number)");
		expect(message).toContain("conditions[3]: 'withinLastDays' must be a whole number from 1 to 36500");
		expect(message).toContain("conditions[4]: '2026-02-30' is not a date");
		expect(message).toContain("conditions[5]: operator 'contains' needs a non-empty value (use isEmpty for empty fields)");
		expect(message).toContain("conditions[6]: unknown key 'colour'");
	});

	it('reads a segment given as JSON text and says when the text is not JSON', () => {
		const segment = parseSegment('{"match":"any","conditions":[{"customField":"city","operator":"isOneOf","value":["Tokyo","Osaka"]}]}');
		expect(segment.root).toMatchObject({ kind: 'group', match: 'any', conditions: [{ kind: 'text', operator: 'isOneOf', values: ['Tokyo', 'Osaka'] }] });
		expect(problem('{"match": "all", ')).toMatch(/^The segment is not valid JSON/);
		expect(problem([])).toMatch(/must be an object/);
	});

	it('limits nesting depth and group size', () => {
		let nested: Record<string, unknown> = { conditions: [] };
		for (let level = 0; level < 10; level++) nested = { conditions: [nested] };
		expect(problem(nested)).toMatch(/groups are nested more than 8 deep/);
		expect(problem({ conditions: Array.from({ length: 101 }, () => ({ list: '1', operator: 'isOn' })) })).toMatch(/at most 100 are allowed/);
	});
});

describe('the documented JSON form', () => {
	it('parses the example in docs/segments.md', () => {
		const doc = readFileSync(path.join(__dirname, '../../../docs/segments.md'), 'utf8');
		const example = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
		expect(example).toBeDefined();
		const segment = parseSegment(example);
		expect(segment.root.conditions.map((condition) => condition.kind)).toEqual(['text', 'date', 'list', 'group']);
	});

	it('lists in its JSON Schema exactly the operators the validator takes', () => {
		const custom = SEGMENT_JSON_SCHEMA.$defs.customField.properties.operator.enum;
		expect([...custom].sort()).toEqual([...new Set([...TEXT_OPERATORS, ...NUMBER_OPERATORS, ...DATE_OPERATORS])].sort());
		for (const operator of custom) {
			const type = (TEXT_OPERATORS as readonly string[]).includes(operator) ? 'text' : (NUMBER_OPERATORS as readonly string[]).includes(operator) ? 'number' : 'date';
			const value = operator === 'between' ? (type === 'number' ? [1, 2] : ['2026-01-01', '2026-02-01']) : operator === 'withinLastDays' ? 3 : operator.startsWith('isEmpty') || operator === 'isNotEmpty' ? undefined : operator.includes('OneOf') ? ['a'] : type === 'number' ? 1 : type === 'date' ? '2026-01-01' : 'a';
			expect(() => parseSegment({ conditions: [{ customField: 'f', type, operator, value }] })).not.toThrow();
		}
	});
});

describe('value forms', () => {
	it('folds case the Unicode way, not the ASCII way', () => {
		expect(foldText('Straße')).toBe(foldText('STRASSE'));
		expect(foldText('ΟΔΥΣΣΕΥΣ')).toBe('οδυσσευσ');
		expect(foldText('οδυσσευς')).toBe('οδυσσευσ');
		expect(foldText('ＴＯＫＹＯ')).toBe('ｔｏｋｙｏ');
		expect(foldText('ＴＯＫＹＯ')).not.toBe('tokyo');
		expect(foldText('İstanbul')).toBe('i\u0307stanbul');
		expect(foldText('ıstanbul')).toBe('istanbul');
		expect(foldText('東京')).toBe('東京');
		expect(foldText('a\u0000b\ud800')).toBe('a\ufffdb\ufffd');
	});

	it('folds every code point, alone and in context, exactly as upper-then-lower does', () => {
		const slow = (text: string) => text.toUpperCase().toLowerCase().replace(/ς/g, 'σ');
		const mismatches: string[] = [];
		for (let code = 1; code <= 0x1ffff; code++) {
			if (code >= 0xd800 && code <= 0xdfff) continue;
			const char = String.fromCodePoint(code);
			for (const text of [char, `a${char}`, `${char}Σ`, `οδυ${char}`]) {
				if (foldText(text) !== slow(text)) mismatches.push(code.toString(16));
			}
		}
		expect(mismatches).toEqual([]);
	});

	it('reads numbers strictly and dates as ISO 8601 in UTC', () => {
		expect([12, '12', ' 3.5 ', '-0', '1e3', '.5'].map(numberForm)).toEqual([12, 12, 3.5, 0, 1000, 0.5]);
		expect(['abc', '1,000', '0x10', 'Infinity', '1e400', '', null, true].map(numberForm)).toEqual([null, null, null, null, null, null, null, null]);
		expect(dateForm('2026-06-15')).toBe('2026-06-15T00:00:00.000Z');
		expect(dateForm('2026-06-15T08:00:00+09:00')).toBe('2026-06-14T23:00:00.000Z');
		expect(dateForm('2026-06-15 23:30')).toBe('2026-06-15T23:30:00.000Z');
		expect(['2026-02-30', '2026-13-01', '15/06/2026', 1750000000000].map(dateForm)).toEqual([null, null, null, null]);
	});

	it('stores of custom fields every number and what else SQL cannot read from their JSON, as JSON of t, n and d', () => {
		const copy = (fields: Record<string, unknown>) => storedFieldsMatch(fields, JSON.stringify(fields));
		expect(copy({ city: 'Osaka', empty: '', none: null })).toBeNull();
		// a JSON number too (PostgreSQL would parse the whole fields text, a row at a time, to read it)
		expect(copy({ city: 'Osaka', score: 12, zero: -0, huge: 2 ** 60 })).toBe(
			`{"t":{"${fieldKey('huge')}":"1152921504606847000"},"n":{"${fieldKey('score')}":12,"${fieldKey('zero')}":0,"${fieldKey('huge')}":1152921504606847000}}`,
		);
		const fields = { city: 'İzmir', quote: 'Ǆ"\\', age: ' 42 ', ratio: 1.5, flag: true, list: ['A'], joined: '2010-01-31', at: '2026-06-15T08:00:00+09:00', big: '1E+21' };
		const k = (name: string) => fieldKey(name);
		expect(copy(fields)).toBe(
			JSON.stringify({
				t: { [k('city')]: 'i̇zmir', [k('quote')]: 'ǆ"\\', [k('ratio')]: '1.5', [k('flag')]: 'true', [k('list')]: '["a"]' },
				n: { [k('age')]: 42, [k('ratio')]: 1.5, [k('big')]: 1e21 },
				d: { [k('joined')]: '2010-01-31T00:00:00.000Z', [k('at')]: '2026-06-14T23:00:00.000Z' },
			}),
		);
		expect(copy({ age: '7' })).toBe(`{"n":{"${k('age')}":7}}`);
		expect(copy({ day: '2026-06-15' })).toBe(`{"d":{"${k('day')}":"2026-06-15T00:00:00.000Z"}}`);
		expect(copy({ name: 'Maß' })).toBe(`{"t":{"${k('name')}":"mass"}}`);
	});
});

const AT = '2026-06-15T12:00:00.000Z';

function row(id: string, listId: string, email: string, extra: Partial<SegmentSubject> = {}): SegmentSubject {
	return {
		id,
		listId,
		address: email.toLowerCase(),
		email,
		name: '',
		status: 'active',
		fields: {},
		createdAt: '2026-01-01T00:00:00.000Z',
		updatedAt: '2026-01-01T00:00:00.000Z',
		confirmedAt: null,
		...extra,
	};
}

function log(campaignId: string, subscriberId: string, extra: Partial<SendLogFacts> = {}): SendLogFacts {
	return { campaignId, subscriberId, state: 'sent', openedAt: null, clickedAt: null, bouncedAt: null, ...extra };
}

function matching(segment: unknown, rows: SegmentSubject[], sendLog: SendLogFacts[] = [], time: { at?: string; timeZone?: string } = {}): string[] {
	const world: SegmentWorld = { rows, sendLog };
	const matches = segmentMatcher(parseSegment(segment), { at: time.at ?? AT, timeZone: time.timeZone }, world);
	return rows.filter(matches).map((subject) => subject.id);
}

describe('in-memory evaluation', () => {
	it('compares text folded, with a missing field as empty', () => {
		const rows = [
			row('1', '1', 'a@example.com', { fields: { city: 'İSTANBUL' } }),
			row('2', '1', 'b@example.com', { fields: { city: 'ıstanbul' } }),
			row('3', '1', 'c@example.com', { fields: { city: 'Straße' } }),
			row('4', '1', 'd@example.com'),
		];
		const city = (operator: string, value?: unknown) => matching({ conditions: [{ customField: 'city', operator, value }] }, rows);
		expect(city('equals', 'istanbul')).toEqual(['2']);
		expect(city('equals', 'i̇stanbul')).toEqual(['1']);
		expect(city('equals', 'STRASSE')).toEqual(['3']);
		expect(city('endsWith', 'SSE')).toEqual(['3']);
		expect(city('isEmpty')).toEqual(['4']);
		expect(city('notEquals', 'strasse')).toEqual(['1', '2', '4']);
		expect(city('isOneOf', ['STRASSE', 'Istanbul'])).toEqual(['2', '3']);
	});

	it('matches number operators only on fields that read as numbers', () => {
		const rows = [
			row('1', '1', 'a@x.jp', { fields: { spent: '12' } }),
			row('2', '1', 'b@x.jp', { fields: { spent: 'twelve' } }),
			row('3', '1', 'c@x.jp'),
			row('4', '1', 'd@x.jp', { fields: { spent: 3.5 } }),
		];
		const spent = (operator: string, value?: unknown) => matching({ conditions: [{ customField: 'spent', type: 'number', operator, value }] }, rows);
		expect(spent('notEquals', 5)).toEqual(['1', '4']);
		expect(spent('between', [3.5, 12])).toEqual(['1', '4']);
		expect(spent('lt', '12')).toEqual(['4']);
		expect(spent('isEmpty')).toEqual(['3']);
		expect(matching({ conditions: [{ customField: 'spent', type: 'number', operator: 'equals', value: 5, negate: true }] }, rows)).toEqual(['1', '2', '3', '4']);
	});

	it('reads calendar days in the given zone and relative dates from the frozen time', () => {
		const rows = [row('1', '1', 'a@x.jp', { fields: { joined: '2026-06-14T20:00:00Z' }, createdAt: '2026-06-01T13:00:00.000Z' })];
		const joined = (operator: string, value: unknown, timeZone?: string) =>
			matching({ conditions: [{ customField: 'joined', type: 'date', operator, value }] }, rows, [], { timeZone });
		expect(joined('before', '2026-06-15')).toEqual(['1']);
		expect(joined('before', '2026-06-15', 'Asia/Tokyo')).toEqual([]);
		expect(joined('after', '2026-06-14')).toEqual([]);
		expect(joined('after', '2026-06-14', 'Asia/Tokyo')).toEqual(['1']);
		expect(joined('between', ['2026-06-14', '2026-06-14'])).toEqual(['1']);
		expect(joined('between', ['2026-06-15', '2026-06-15'], 'Asia/Tokyo')).toEqual(['1']);
		expect(joined('after', '2026-06-15T05:00:00', 'Asia/Tokyo')).toEqual([]);
		const recent = { conditions: [{ field: 'createdAt', operator: 'withinLastDays', value: 14 }] };
		expect(matching(recent, rows, [], { at: AT })).toEqual(['1']);
		expect(matching(recent, rows, [], { at: '2026-06-16T00:00:00Z' })).toEqual([]);
		expect(() => matching(recent, rows, [], { timeZone: 'Mars/Olympus' })).toThrow("timeZone: unknown time zone 'Mars/Olympus'");
	});

	it('decides membership by address over every list', () => {
		const rows = [
			row('1', '1', 'a@x.jp'),
			row('2', '2', 'A@X.JP', { address: 'a@x.jp', status: 'unsubscribed' }),
			row('3', '1', 'b@x.jp'),
			row('4', '2', 'b@x.jp'),
		];
		const on = (operator: string) => matching({ conditions: [{ list: '2', operator }] }, rows);
		expect(on('isOn')).toEqual(['3', '4']);
		expect(on('isNotOn')).toEqual(['1', '2']);
		expect(on('wasEverOn')).toEqual(['1', '2', '3', '4']);
		expect(on('wasNeverOn')).toEqual([]);
	});

	it('reads engagement from the send log up to the evaluation time', () => {
		const rows = [row('1', '1', 'a@x.jp'), row('2', '2', 'a@x.jp'), row('3', '1', 'b@x.jp')];
		const sendLog = [
			log('1', '1', { openedAt: '2026-05-01T00:00:00.000Z' }),
			log('2', '2'),
			log('3', '1', { openedAt: '2026-06-20T00:00:00.000Z' }),
			log('1', '3', { bouncedAt: '2026-05-01T00:00:00.000Z' }),
			log('2', '3', { state: 'failed' }),
			log('3', '3', { clickedAt: '2026-06-10T00:00:00.000Z' }),
		];
		const check = (condition: unknown) => matching({ conditions: [condition] }, rows, sendLog);
		expect(check({ campaign: '1', operator: 'received' })).toEqual(['1', '2']);
		expect(check({ campaign: '3', operator: 'opened' })).toEqual([]);
		expect(check({ campaign: '3', operator: 'notOpened' })).toEqual(['1', '2', '3']);
		expect(check({ campaign: '3', operator: 'clicked' })).toEqual(['3']);
		expect(check({ activity: 'openedAny', withinLastDays: 60 })).toEqual(['1', '2']);
		expect(check({ activity: 'openedAny', withinLastDays: 30 })).toEqual([]);
		expect(check({ activity: 'clickedAny', withinLastDays: 7 })).toEqual(['3']);
		expect(check({ activity: 'receivedWithoutOpening', atLeast: 2 })).toEqual(['1', '2']);
		expect(check({ activity: 'receivedWithoutOpening', atLeast: 3 })).toEqual([]);
		expect(check({ activity: 'receivedWithoutOpening', atLeast: 1 })).toEqual(['1', '2', '3']);
	});

	it('combines with AND, OR and negation; an empty group is all or nothing', () => {
		const rows = [row('1', '1', 'a@x.jp', { name: 'Ann' }), row('2', '1', 'b@x.jp', { name: 'Bob' })];
		expect(matching({ match: 'all', conditions: [] }, rows)).toEqual(['1', '2']);
		expect(matching({ match: 'any', conditions: [] }, rows)).toEqual([]);
		expect(matching({ match: 'any', negate: true, conditions: [{ field: 'name', operator: 'equals', value: 'ann' }] }, rows)).toEqual(['2']);
		expect(matching({ match: 'all', conditions: [{ field: 'name', operator: 'startsWith', value: 'b' }, { field: 'email', operator: 'endsWith', value: '.JP' }] }, rows)).toEqual(['2']);
	});
});

describe('segment SQL text', () => {
	it('holds no value or field name, only placeholders, on either dialect', () => {
		const segment = parseSegment({ conditions: [{ customField: "x') OR 1=1 --", operator: 'equals', value: "'; DROP TABLE subscribers; --" }] });
		for (const dialect of ['sqlite', 'postgres'] as const) {
			const { where, params } = compileSegment(dialect, segment, { at: AT });
			expect(where).not.toMatch(/DROP|OR 1=1/);
			expect(params).toContain("'; drop table subscribers; --");
			// The name is a parameter: the hex key of the match copy, and (it is path-safe) the
			// quoted JSON path label on SQLite / the key text on PostgreSQL.
			expect(params).toContain(dialect === 'sqlite' ? '$.t.k782729204f5220313d31202d2d' : 'k782729204f5220313d31202d2d');
			expect(params).toContain(dialect === 'sqlite' ? `$."x') OR 1=1 --"` : "x') OR 1=1 --");
		}
	});

	it('reads a name that a quoted JSON path cannot hold only through its hex key', () => {
		for (const name of ['say "hi"', 'back\\slash', 'tab\there']) {
			const segment = parseSegment({ conditions: [{ customField: name, type: 'number', operator: 'gt', value: 1 }, { customField: name, operator: 'contains', value: 'a' }] });
			for (const dialect of ['sqlite', 'postgres'] as const) {
				const { where, params } = compileSegment(dialect, segment, { at: AT });
				expect(where).not.toMatch(/fields(::json)? ->/);
				expect(params.filter((param) => typeof param === 'string' && param.includes(name))).toEqual([]);
			}
		}
	});
});
