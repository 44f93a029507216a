import type { Dialect } from './driver';

/**
 * The few places where SQLite and PostgreSQL need different SQL: passing a list of values as
 * one parameter (a JSON array read with json_each / a PostgreSQL array), and row locks.
 * One parameter per list keeps the statement text fixed, so prepared statements are reused.
 */
export function inIds(dialect: Dialect): string {
	return dialect === 'postgres' ? '= ANY(?::bigint[])' : 'IN (SELECT value FROM json_each(?))';
}

export function idsParam(dialect: Dialect, ids: readonly string[]): unknown {
	return dialect === 'postgres' ? ids : JSON.stringify(ids.map(Number));
}

export function inTexts(dialect: Dialect): string {
	return dialect === 'postgres' ? '= ANY(?::text[])' : 'IN (SELECT value FROM json_each(?))';
}

export function textsParam(dialect: Dialect, values: readonly string[]): unknown {
	return dialect === 'postgres' ? values : JSON.stringify(values);
}

/** ` FOR UPDATE<suffix>` on PostgreSQL; nothing on SQLite, whose BEGIN IMMEDIATE already serialises writers. */
export function forUpdate(dialect: Dialect, suffix = ''): string {
	return dialect === 'postgres' ? ` FOR UPDATE${suffix}` : '';
}
