/**
 * How a subscriber's values read in a condition. These functions are the one definition of the
 * semantics: the in-memory evaluator applies them directly, and the store writes their results
 * next to each row (the "match copy") so its SQL compares against exactly the same values.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Case folding for text comparisons: upper-case, then lower-case (no locale tailoring), then
 * final sigma ς to σ (lower-casing picks ς by position, which would make "ends with σ" depend on
 * what follows). This is close to Unicode full case folding: ß and ẞ fold to "ss", full-width Ａ
 * to ａ, İ to "i̇" (i + combining dot). Unlike strict case folding it also folds dotless ı to i
 * (ı upper-cases to I), which is the forgiving side for a search. NUL and lone surrogates become
 * U+FFFD, so every folded value is text PostgreSQL and JSON can hold.
 */
export function foldText(text: string): string {
	// Most text (ASCII, kana, kanji, accented Latin) has no character whose upper-then-lower
	// differs from its lower case: then folding is just lower-casing, several times cheaper.
	needsFullFold ??= fullFoldCharacters();
	if (!needsFullFold.test(text)) return text.toLowerCase();
	const clean = SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
	return clean.replace(/\0/g, '\uFFFD').toUpperCase().toLowerCase().replace(/ς/g, 'σ');
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The characters the fast path must not lower-case alone: NUL, surrogates, the sigmas (final
 * sigma depends on context), and every character whose upper-then-lower differs from its lower
 * case (ß, ı, ſ, ﬀ, ϐ, …), found by asking this JavaScript engine itself, on first use (~20 ms).
 */
let needsFullFold: RegExp | undefined;

function fullFoldCharacters(): RegExp {
	const special: string[] = ['\\0', '\\uD800-\\uDFFF', 'Σσς'];
	for (let code = 0x80; code <= 0x1ffff; code++) {
		if (code >= 0xd800 && code <= 0xdfff) continue;
		const char = String.fromCodePoint(code);
		if (char.toUpperCase().toLowerCase() !== char.toLowerCase()) special.push(`\\u{${code.toString(16)}}`);
	}
	return new RegExp(`[${special.join('')}]`, 'u');
}

/** A value as text: a missing or null field is empty; objects read as their JSON. */
export function textForm(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	return JSON.stringify(value) ?? '';
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A value as a number: a JSON number or plain decimal text; anything else (or ±∞) is not one. */
export function numberForm(value: unknown): number | null {
	let number: number;
	if (typeof value === 'number') number = value;
	else if (typeof value === 'string' && DECIMAL.test(value.trim())) number = Number(value.trim());
	else return null;
	if (!Number.isFinite(number)) return null;
	return number === 0 ? 0 : number; // no -0: JSON cannot tell it apart
}

export interface IsoParts {
	year: number;
	month: number;
	day: number;
	/** Absent for a calendar day. */
	time?: { hour: number; minute: number; second: number; millisecond: number };
	/** Minutes east of UTC; absent when the text gave no zone. */
	offsetMinutes?: number;
}

const ISO_DATE =
	/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Reads an ISO 8601 date or date-time (years 0000–9999); null when it is not one. */
export function parseIsoParts(text: string): IsoParts | null {
	const match = ISO_DATE.exec(text.trim());
	if (!match) return null;
	const [, y, mo, d, h, mi, s, fraction, zone] = match;
	const parts: IsoParts = { year: Number(y), month: Number(mo), day: Number(d) };
	const check = new Date(Date.UTC(2000, parts.month - 1, parts.day));
	check.setUTCFullYear(parts.year);
	if (check.getUTCMonth() !== parts.month - 1 || check.getUTCDate() !== parts.day) return null;
	if (h !== undefined) {
		const time = {
			hour: Number(h),
			minute: Number(mi),
			second: s === undefined ? 0 : Number(s),
			millisecond: fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3)),
		};
		if (time.hour > 23 || time.minute > 59 || time.second > 59) return null;
		parts.time = time;
	}
	if (zone !== undefined) {
		if (zone.toUpperCase() === 'Z') parts.offsetMinutes = 0;
		else {
			const digits = zone.slice(1).replace(':', '');
			const hours = Number(digits.slice(0, 2));
			const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
			if (hours > 23 || minutes > 59) return null;
			parts.offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
		}
	}
	return parts;
}

/** Milliseconds since the epoch of the parts read as UTC wall-clock time. */
export function utcMillis(parts: IsoParts): number {
	const time = parts.time ?? { hour: 0, minute: 0, second: 0, millisecond: 0 };
	const date = new Date(0);
	date.setUTCFullYear(parts.year, parts.month - 1, parts.day);
	date.setUTCHours(time.hour, time.minute, time.second, time.millisecond);
	return date.getTime();
}

const FIRST = new Date(0);
FIRST.setUTCFullYear(0, 0, 1);
const LAST = new Date(0);
LAST.setUTCFullYear(9999, 11, 31);
LAST.setUTCHours(23, 59, 59, 999);

/**
 * An instant as sortable ISO text (`YYYY-MM-DDTHH:mm:ss.sssZ`), or null outside years 0000–9999,
 * where the text would no longer sort in time order.
 */
export function isoInstant(millis: number): string | null {
	if (!Number.isFinite(millis) || millis < FIRST.getTime() || millis > LAST.getTime()) return null;
	return new Date(millis).toISOString();
}

/**
 * A field value as a date: ISO 8601 text; without a zone it is read as UTC (the store's zone).
 * Numbers are not dates (a timestamp could be seconds or milliseconds).
 */
export function dateForm(value: unknown): string | null {
	// Cheap refusals first: most field values are not dates.
	if (typeof value !== 'string' || value.length < 10 || value.length > 40 || !/^\s*\d{4}-/.test(value)) return null;
	if (value.length === 10 && PLAIN_DAY.test(value)) {
		// The everyday form, without Date objects: YYYY-MM-DD is that day's midnight UTC.
		const month = Number(value.slice(5, 7));
		const day = Number(value.slice(8, 10));
		return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(value.slice(0, 4)), month) ? `${value}T00:00:00.000Z` : null;
	}
	if (value.length === 24 && CANONICAL_INSTANT.test(value) && isoInstant(Date.parse(value)) === value) return value;
	const parts = parseIsoParts(value);
	if (!parts) return null;
	return isoInstant(utcMillis(parts) - (parts.offsetMinutes ?? 0) * 60_000);
}

const PLAIN_DAY = /^\d{4}-\d{2}-\d{2}$/;
const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function daysInMonth(year: number, month: number): number {
	if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
	return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The custom field `name` as a JSON key of the match copy: "k" and the hex of its UTF-8 bytes,
 * so a JSON path built from it holds only [a-z0-9] whatever the name contains. A name with a
 * lone surrogate (no UTF-8 form) is "u" and the hex of its UTF-16 code units: one key per name.
 */
export function fieldKey(name: string): string {
	let key = fieldKeys.get(name);
	if (key === undefined) {
		key = LONE_SURROGATE_TEST.test(name)
			? `u${Array.from({ length: name.length }, (_, i) => name.charCodeAt(i).toString(16).padStart(4, '0')).join('')}`
			: `k${Buffer.from(name, 'utf8').toString('hex')}`;
		// Field names repeat on every row of a store; a bounded cache keeps writes cheap.
		if (fieldKeys.size >= 10_000) fieldKeys.clear();
		fieldKeys.set(name, key);
	}
	return key;
}

const fieldKeys = new Map<string, string>();
const LONE_SURROGATE_TEST = new RegExp(LONE_SURROGATE.source);

/**
 * The complete match copy of a row's custom fields (the reference the in-memory evaluator reads),
 * by field key: `t` the folded text of every field,
 * `n` the fields that read as numbers, `d` those that read as dates. Three flat maps.
 */
export interface FieldsMatch {
	t: Record<string, string>;
	n: Record<string, number>;
	d: Record<string, string>;
}

export function fieldsMatch(fields: Record<string, unknown>): FieldsMatch {
	const match: FieldsMatch = { t: {}, n: {}, d: {} };
	for (const name of Object.keys(fields)) {
		const value = fields[name];
		const key = fieldKey(name);
		match.t[key] = foldText(textForm(value));
		const number = numberForm(value);
		if (number !== null) match.n[key] = number;
		const date = dateForm(value);
		if (date !== null) match.d[key] = date;
	}
	return match;
}

/** ASCII-only lower-casing: what SQLite's lower() and PostgreSQL's lower(… COLLATE "C") do. */
export function asciiLower(text: string): string {
	return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** Text with a character outside printable-or-control ASCII (or a NUL): folding may differ from ASCII rules. */
const NOT_PLAIN_ASCII = /[^\x01-\x7f]/;

/**
 * The folded text when SQL's ASCII lower() of `text` would not give it, else null. Most text
 * (ASCII; kana and kanji, which have no case) folds exactly as ASCII lower-casing does, so the
 * store writes nothing for it and SQL lower-cases at query time.
 */
export function foldException(text: string): string | null {
	if (!NOT_PLAIN_ASCII.test(text)) return null;
	const folded = foldText(text);
	return folded === asciiLower(text) ? null : folded;
}

/**
 * A custom field name SQL can read from the `fields` JSON directly: SQLite by the quoted path
 * `$."name"`, which cannot hold a double quote or express a backslash escape. Control
 * characters and lone surrogates are refused too (their JSON escapes would be compared raw).
 */
export function isPathSafeName(name: string): boolean {
	// Field names repeat on every row of a store: a bounded cache keeps writes cheap.
	let safe = pathSafeNames.get(name);
	if (safe === undefined) {
		safe = name.length > 0 && !PATH_UNSAFE.test(name);
		if (pathSafeNames.size >= 10_000) pathSafeNames.clear();
		pathSafeNames.set(name, safe);
	}
	return safe;
}

const pathSafeNames = new Map<string, boolean>();

const PATH_UNSAFE = /["\\\x00-\x1f\x7f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** JSON text SQL must not parse: PostgreSQL refuses \u0000 and lone surrogates in json. */
const UNSAFE_JSON_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** Could this text read as a number? A cheap first-character refusal before the full pattern. */
function mayBeNumber(text: string): boolean {
	const code = text.charCodeAt(0);
	// digits, + - . and leading white space (numberForm trims)
	return (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46 || code <= 32 || code > 127;
}

/**
 * The stored match copy of a row's custom fields (the `fields_match` column): what SQL cannot
 * derive from the `fields` JSON itself, and every number, or null when that is nothing (a row
 * of plain text fields, so such a write costs a few character tests per field). SQL reads a
 * field's text as `COALESCE(t[key], lower(fields.name), '')`, its number as `n[key]` and its
 * date as `d[key]`. Written here:
 * - `t`: text whose folding is not ASCII lower-casing; numbers other than safe integers (SQL
 *   writes those differently); booleans, objects and arrays (their text is their JSON);
 * - `n`: every number, and text that reads as one. (A JSON number could be read from `fields`,
 *   but PostgreSQL would parse the row's whole `fields` text for it, a row at a time: on 1M rows
 *   that parse was most of a segment count's time. `fields_match` is jsonb there.)
 * - `d`: text that reads as a date;
 * - `x: 1` with the complete copy (every field in `t`, `n`, `d`) when SQL must not read the
 *   JSON at all: a field name that is not path-safe, or a \u0000 / lone surrogate escape.
 * `fieldsJson` is `JSON.stringify(fields)`, which the caller writes anyway.
 */
export function storedFieldsMatch(fields: Record<string, unknown>, fieldsJson: string): string | null {
	const names = Object.keys(fields);
	if ((fieldsJson.includes('\\u') && UNSAFE_JSON_ESCAPE.test(fieldsJson)) || names.some((name) => !isPathSafeName(name))) {
		return JSON.stringify({ x: 1, ...fieldsMatch(fields) });
	}
	// The three maps are built as JSON text: most imported rows have a number or a date among their
	// (text) fields, and JSON.stringify of the maps took half of this function's time. The same
	// bytes: keys are [a-z0-9] (fieldKey), never integer-like, so insertion order is kept; numbers
	// are finite and not -0 (String gives their JSON); dates are ISO text of [0-9TZ:.-] only.
	let t = '';
	let n = '';
	let d = '';
	for (const name of names) {
		const value = fields[name];
		if (typeof value === 'string') {
			if (value === '') continue;
			const folded = foldException(value);
			if (folded !== null) t += `,"${fieldKey(name)}":${JSON.stringify(folded)}`;
			if (mayBeNumber(value)) {
				const number = numberForm(value);
				if (number !== null) n += `,"${fieldKey(name)}":${String(number)}`;
			}
			const date = dateForm(value);
			if (date !== null) d += `,"${fieldKey(name)}":"${date}"`;
		} else if (typeof value === 'number') {
			if (!Number.isSafeInteger(value)) t += `,"${fieldKey(name)}":${JSON.stringify(foldText(textForm(value)))}`;
			const number = numberForm(value);
			if (number !== null) n += `,"${fieldKey(name)}":${String(number)}`;
		} else if (value !== null && value !== undefined) {
			t += `,"${fieldKey(name)}":${JSON.stringify(foldText(textForm(value)))}`;
		}
	}
	if (!t && !n && !d) return null;
	let json = t ? `"t":{${t.slice(1)}}` : '';
	if (n) json += `${json ? ',' : ''}"n":{${n.slice(1)}}`;
	if (d) json += `${json ? ',' : ''}"d":{${d.slice(1)}}`;
	return `{${json}}`;
}

/** The match copy of a row's own values, as the store writes it beside the row. */
export interface StoredMatch {
	/** The folded e-mail when it differs from the JavaScript lower case the store keeps anyway (`email_lower`). */
	emailFold: string | null;
	/** The folded name when it differs from ASCII lower-casing. */
	nameFold: string | null;
	/** `storedFieldsMatch`. */
	fieldsMatch: string | null;
}

export function storedMatch(email: string, name: string, fields: Record<string, unknown>, fieldsJson: string): StoredMatch {
	return { emailFold: emailFoldException(email), nameFold: foldException(name), fieldsMatch: storedFieldsMatch(fields, fieldsJson) };
}

/** The folded e-mail when it differs from `email.toLowerCase()` (the `email_lower` column). */
export function emailFoldException(email: string): string | null {
	if (!NOT_PLAIN_ASCII.test(email)) return null;
	const folded = foldText(email);
	return folded === email.toLowerCase() ? null : folded;
}
