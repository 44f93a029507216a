import isISO8601 from 'validator/lib/isISO8601';
import { echo } from './messages';
import type { FieldType } from './types';

/** The store's name limit (lib/store/rows.ts checkName), checked here so a long name fails one row, not a batch. */
export const MAX_NAME_LENGTH = 500;

/**
 * The store's own e-mail check (validator's isEmail, with a fast path for everyday addresses):
 * one definition, so a row this engine accepts is never refused by the store as invalid.
 */
export { isValidEmail } from '../store';

export type Converted = { ok: true; value: unknown } | { ok: false; message: string };

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on', 'はい', '真']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off', 'いいえ', '偽']);

/** Converts a non-empty cell to the field's type, or says why it cannot. */
export function convertValue(raw: string, type: FieldType): Converted {
	switch (type) {
		case 'string':
			return { ok: true, value: raw };
		case 'number':
			return parseNumber(raw);
		case 'date':
			return parseDate(raw);
		case 'boolean':
			return parseBoolean(raw);
	}
}

const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const GROUPED_NUMBER = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

export function parseNumber(raw: string): Converted {
	const text = raw.normalize('NFKC').trim();
	const plain = GROUPED_NUMBER.test(text) ? text.replace(/,/g, '') : text;
	if (PLAIN_NUMBER.test(plain)) {
		const value = Number(plain);
		if (Number.isFinite(value)) return { ok: true, value };
	}
	return { ok: false, message: `${echo(raw)} is not a number (write e.g. 42, -3.5 or 1,234.5)` };
}

export function parseBoolean(raw: string): Converted {
	const text = raw.normalize('NFKC').trim().toLowerCase();
	if (TRUE_WORDS.has(text)) return { ok: true, value: true };
	if (FALSE_WORDS.has(text)) return { ok: true, value: false };
	return {
		ok: false,
		message: `${echo(raw)} is not a yes/no value (use true/false, yes/no, 1/0 or はい/いいえ)`,
	};
}

const SLASHED_DATE = /^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const JAPANESE_DATE = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/;

function calendarDate(year: number, month: number, day: number): string | null {
	const date = new Date(Date.UTC(year, month - 1, day));
	if (
		date.getUTCFullYear() !== year ||
		date.getUTCMonth() !== month - 1 ||
		date.getUTCDate() !== day
	)
		return null;
	return date.toISOString().slice(0, 10);
}

/**
 * Dates as ISO 8601 (`2024-03-01`, `2024-03-01T09:00:00+09:00`), `yyyy/M/d` (Excel's Japanese
 * locale), `yyyyMMdd` or `yyyy年M月d日`. Calendar dates become `YYYY-MM-DD`; date-times are kept
 * as written (validated strictly, so 2024-02-30 is refused).
 */
export function parseDate(raw: string): Converted {
	const text = raw.normalize('NFKC').trim();
	const parts = SLASHED_DATE.exec(text) ?? COMPACT_DATE.exec(text) ?? JAPANESE_DATE.exec(text);
	if (parts) {
		const value = calendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]));
		if (value) return { ok: true, value };
	} else if (isISO8601(text, { strict: true, strictSeparator: false })) {
		return { ok: true, value: text };
	}
	return {
		ok: false,
		message: `${echo(raw)} is not a valid date (use YYYY-MM-DD, YYYY/M/D or YYYYMMDD)`,
	};
}
