/**
 * Seeded random subscribers and segments for the segment property test. Values are drawn from
 * hostile pools (SQL and JSON-path tricks, 10 KB strings, NUL, lone surrogates, Unicode whose case
 * folding differs from ASCII rules), and segment values mostly from the same pools or pieces of
 * them, so conditions match some rows and miss others.
 */
import { seeded } from '../campaign/helpers';

export { seeded };
export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
export const chance = (random: Random, p: number): boolean => random() < p;
export const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const LONG = 'Tokyo '.repeat(1707).slice(0, 10_240); // a 10 KB value

export const FIELD_NAMES = [
	'city',
	'spent',
	'joined',
	'a.b',
	'$',
	'"',
	'[0]',
	"it's",
	"') OR 1=1 --",
	'$.city',
	'İl',
	'straße',
	'名前',
	'ＦＵＬＬ',
	'x'.repeat(200),
	'',
] as const;

export const TEXTS = [
	'Tokyo',
	'TOKYO',
	'tokyo ',
	'東京',
	'とうきょう',
	'ＴＯＫＹＯ',
	'ｔｏｋｙｏ',
	'Straße',
	'STRASSE',
	'strasse',
	'İstanbul',
	'istanbul',
	'ıstanbul',
	'ISTANBUL',
	'ΟΔΥΣΣΕΥΣ',
	'οδυσσευς',
	'οδυσσευσ',
	"') OR 1=1 --",
	"O'Brien",
	'"quoted"',
	'back\\slash',
	'100%_off',
	'$.city',
	'[0]',
	'',
	' ',
	LONG,
	`${LONG}東京`,
];

const NUMBERS = [0, 1, -1, 2.5, 1e21, -0.001, 42, 1_152_921_504_606_846_976, 123456.789, 0.1, 1 / 3, 1e-7, 9_007_199_254_740_993, 5e-324, 1.7976931348623157e308];
const NUMERIC_TEXTS = ['12', ' 3.5 ', '1e3', '-0', '+7', '.5', '5.', 'abc', '1,000', '0x10', 'Infinity', '1e400', ''];
const DATE_TEXTS = [
	'2026-01-05',
	'2026-06-14',
	'2026-06-15',
	'2026-06-15T08:00:00Z',
	'2026-06-15T08:00:00+09:00',
	'2026-06-15 23:30',
	'2025-12-31T23:59:59.999-05:00',
	'2026-02-30',
	'2026-13-01',
	'15/06/2026',
	'0001-01-01',
	'9999-12-31T23:59:59Z',
];

/** Fields most rows have, with values of their type, so number and date bounds meet real values. */
export const TYPED_FIELDS: Record<string, (random: Random) => unknown> = {
	spent: (random) =>
		chance(random, 0.8)
			? pick(random, [...NUMBERS, '12', ' 3.5 ', '1000', Math.round(random() * 1e9) / 1e4, String(random() * 1000), 0.1 + 0.2])
			: fieldValue(random),
	joined: (random) => (chance(random, 0.8) ? pick(random, [...DATE_TEXTS, '2026-06-15T08:00:00.000Z', '2026-06-15T17:00:00']) : fieldValue(random)),
};

/** A custom field value as it could arrive from an import, an API or an expression. */
export function fieldValue(random: Random): unknown {
	switch (int(random, 0, 9)) {
		case 0:
		case 1:
		case 2:
			return pick(random, TEXTS);
		case 3:
			return pick(random, NUMBERS);
		case 4:
			return pick(random, NUMERIC_TEXTS);
		case 5:
		case 6:
			return pick(random, DATE_TEXTS);
		case 7:
			return pick(random, [null, true, false, { nested: 'Tokyo' }, ['Tokyo'], 'a\u0000b', 'lone \ud800 surrogate']);
		default:
			return `${pick(random, TEXTS).slice(0, 30)}${int(random, 0, 3)}`;
	}
}

export const DATE_VALUES = ['2026-01-05', '2026-06-14', '2026-06-15', '2026-06-15T08:00:00Z', '2026-06-15T17:00:00', '2025-12-31', '2026-06-15T08:00:00+09:00'];

/** A text a condition compares with: mostly a pool value or a piece of one, in some case. */
function conditionText(random: Random): string {
	const base = pick(random, TEXTS.filter((text) => text.length < 1000));
	const piece = chance(random, 0.4) && base.length > 2 ? base.slice(int(random, 0, 2), base.length - int(random, 0, 2)) : base;
	const cased = pick(random, [piece, piece.toUpperCase(), piece.toLowerCase()]);
	return cased || 'x';
}

function fieldPart(random: Random): Record<string, unknown> {
	if (chance(random, 0.25)) return { field: pick(random, ['email', 'name', 'status']) };
	return { customField: pick(random, FIELD_NAMES.filter((name) => name !== '')) };
}

function textCondition(random: Random): Record<string, unknown> {
	const operator = pick(random, ['equals', 'notEquals', 'contains', 'notContains', 'startsWith', 'notStartsWith', 'endsWith', 'notEndsWith', 'isOneOf', 'isNotOneOf', 'isEmpty', 'isNotEmpty']);
	const condition: Record<string, unknown> = { ...fieldPart(random), operator };
	if (condition.field === 'status' && chance(random, 0.7)) {
		condition.value = pick(random, ['active', 'ACTIVE', 'unsubscribed', 'trash']);
		condition.operator = pick(random, ['equals', 'notEquals', 'startsWith']);
		return condition;
	}
	if (condition.field === 'email' && chance(random, 0.5)) {
		condition.value = pick(random, ['@example.com', 'STRASSE', 'strasse@', 'istanbul', 'user1', 'οδυσσευσ', '@EXAMPLE.COM']);
		condition.operator = pick(random, ['contains', 'endsWith', 'startsWith', 'notContains']);
		return condition;
	}
	if (operator === 'isOneOf' || operator === 'isNotOneOf') condition.value = Array.from({ length: int(random, 1, 4) }, () => conditionText(random));
	else if (operator !== 'isEmpty' && operator !== 'isNotEmpty') condition.value = conditionText(random);
	return condition;
}

function numberCondition(random: Random): Record<string, unknown> {
	const operator = pick(random, ['equals', 'notEquals', 'lt', 'lte', 'gt', 'gte', 'between', 'isEmpty', 'isNotEmpty']);
	const name = chance(random, 0.6) ? 'spent' : pick(random, FIELD_NAMES.filter((field) => field !== ''));
	const condition: Record<string, unknown> = { customField: name, type: 'number', operator };
	const value = () => pick(random, [0, 1, -1, 2.5, 3.5, 12, 1000, 1e21, 42, '12', 0.5, 1_152_921_504_606_846_976, 0.1, 1 / 3, 0.30000000000000004, 5e-324, 1e-7]);
	if (operator === 'between') {
		const pair = [Number(value()), Number(value())].sort((a, b) => a - b);
		condition.value = pair;
	} else if (operator !== 'isEmpty' && operator !== 'isNotEmpty') condition.value = value();
	return condition;
}

function dateCondition(random: Random): Record<string, unknown> {
	const operator = pick(random, ['before', 'after', 'withinLastDays', 'between', 'isEmpty', 'isNotEmpty']);
	const subject = chance(random, 0.4)
		? { field: pick(random, ['createdAt', 'updatedAt', 'confirmedAt']) }
		: { customField: chance(random, 0.7) ? 'joined' : pick(random, ['city', 'a.b', '$']), type: 'date' };
	const condition: Record<string, unknown> = { ...subject, operator };
	if (operator === 'withinLastDays') condition.value = pick(random, [1, 2, 30, 200, 400]);
	else if (operator === 'between') condition.value = [pick(random, DATE_VALUES.slice(0, 3)), pick(random, DATE_VALUES.slice(2))];
	else if (operator !== 'isEmpty' && operator !== 'isNotEmpty') condition.value = pick(random, DATE_VALUES);
	return condition;
}

export interface Universe {
	listIds: string[];
	campaignIds: string[];
}

function leaf(random: Random, universe: Universe): Record<string, unknown> {
	const condition = ((): Record<string, unknown> => {
		switch (int(random, 0, 9)) {
			case 0:
			case 1:
			case 2:
				return textCondition(random);
			case 3:
			case 4:
				return numberCondition(random);
			case 5:
			case 6:
				return dateCondition(random);
			case 7:
				return { list: pick(random, universe.listIds), operator: pick(random, ['isOn', 'isNotOn', 'wasEverOn', 'wasNeverOn']) };
			case 8:
				return { campaign: pick(random, universe.campaignIds), operator: pick(random, ['received', 'notReceived', 'opened', 'notOpened', 'clicked', 'notClicked']) };
			default:
				return chance(random, 0.5)
					? { activity: pick(random, ['openedAny', 'clickedAny']), withinLastDays: pick(random, [1, 7, 30, 365]) }
					: { activity: 'receivedWithoutOpening', atLeast: int(random, 1, 3) };
		}
	})();
	if (chance(random, 0.15)) condition.negate = true;
	return condition;
}

/** A random segment: groups up to `depth` deep with AND/OR and negation. */
export function randomSegment(random: Random, universe: Universe, depth = 3): Record<string, unknown> {
	const count = int(random, 1, 3);
	const conditions = Array.from({ length: count }, () =>
		depth > 1 && chance(random, 0.25) ? randomSegment(random, universe, depth - 1) : leaf(random, universe),
	);
	const group: Record<string, unknown> = { match: pick(random, ['all', 'any']), conditions };
	if (chance(random, 0.15)) group.negate = true;
	return group;
}
