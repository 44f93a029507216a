import type { Dialect, Row, SqlExecutor } from '../store/driver';
import { StoreError } from '../store/types';
import type { CampaignFilter } from './types';

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

/** The campaign columns the send path reads on every batch (not the template, which is large). */
export const RUN_COLUMNS = 'id, status, list_id, filter, max_subscriber_id, next_subscriber_id';

/**
 * Locks the campaign row for the rest of the transaction (PostgreSQL; SQLite's BEGIN IMMEDIATE
 * already serialises) and reads `columns` of it.
 */
export async function lockCampaign(
	tx: SqlExecutor,
	id: string,
	columns = '*',
): Promise<Row | undefined> {
	return tx.get(
		`SELECT ${columns} FROM campaigns WHERE id = ?${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
		[id],
	);
}

export class CampaignError extends Error {
	constructor(
		message: string,
		readonly code: 'not-found' | 'invalid' | 'conflict' | 'smtp',
	) {
		super(message);
		this.name = 'CampaignError';
	}
}

export function checkCampaignId(id: unknown): string {
	const text = String(id ?? '').trim();
	if (!/^\d{1,18}$/.test(text)) {
		throw new CampaignError(
			`'${text.slice(0, 40)}' is not a campaign id (a whole number)`,
			'invalid',
		);
	}
	return text;
}

export function validateFilter(filter: unknown): CampaignFilter {
	if (filter === undefined || filter === null) return {};
	if (typeof filter !== 'object' || Array.isArray(filter)) {
		throw new CampaignError(
			'The campaign filter must be an object with search and/or field',
			'invalid',
		);
	}
	const input = filter as Record<string, unknown>;
	const unknownKeys = Object.keys(input).filter((key) => key !== 'search' && key !== 'field');
	if (unknownKeys.length) {
		throw new CampaignError(
			`The campaign filter has unknown keys (${unknownKeys.join(', ')}); use search and/or field`,
			'invalid',
		);
	}
	const result: CampaignFilter = {};
	if (input.search !== undefined && input.search !== null && input.search !== '') {
		if (typeof input.search !== 'string') {
			throw new CampaignError('The filter search must be text', 'invalid');
		}
		result.search = input.search;
	}
	if (input.field !== undefined && input.field !== null) {
		const field = input.field as Record<string, unknown>;
		if (typeof field !== 'object' || typeof field.name !== 'string' || !field.name.trim()) {
			throw new CampaignError(
				'The filter field needs a name (the custom field) and a value',
				'invalid',
			);
		}
		if (field.value === undefined || field.value === null || typeof field.value === 'object') {
			throw new CampaignError(`The filter field '${field.name}' needs a value (text)`, 'invalid');
		}
		result.field = { name: field.name.trim(), value: String(field.value) };
	}
	return result;
}

/** WHERE conditions on `subscribers` for a campaign filter (same meaning as the store's filters). */
export function filterConditions(
	dialect: Dialect,
	filter: CampaignFilter,
): { where: string[]; params: unknown[] } {
	const where: string[] = [];
	const params: unknown[] = [];
	if (filter.search) {
		const term = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
		where.push("(email_lower LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\')");
		params.push(term, term);
	}
	if (filter.field) {
		where.push(
			dialect === 'postgres'
				? '(fields::jsonb ->> ?) = ?'
				: 'CAST(json_extract(fields, ?) AS TEXT) = ?',
		);
		params.push(
			dialect === 'postgres' ? filter.field.name : `$."${filter.field.name.replace(/"/g, '')}"`,
			filter.field.value,
		);
	}
	return { where, params };
}

export function parseJson<T>(text: unknown, fallback: T): T {
	if (typeof text !== 'string') return (text as T) ?? fallback;
	try {
		return JSON.parse(text) as T;
	} catch {
		return fallback;
	}
}

export function encodeCursor(value: string): string {
	return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | null {
	if (!cursor) return null;
	const value = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!/^\d+$/.test(value)) {
		throw new StoreError('The page cursor is not valid; start again without one', 'invalid');
	}
	return value;
}

export const MAX_PAGE = 10_000;

export function checkLimit(limit: unknown): number {
	const value = Number(limit);
	if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE) {
		throw new CampaignError(
			`The page size must be a whole number from 1 to ${MAX_PAGE}`,
			'invalid',
		);
	}
	return value;
}
