/**
 * Row mapping and input checks shared by the store's repositories (lists, subscribers, audit,
 * campaigns): one definition each, so every table reads and pages the same way.
 */
import type { Row } from './driver';
import {
	StoreError,
	SUBSCRIBER_STATUSES,
	type CustomFields,
	type LastBounce,
	type MailingList,
	type Subscriber,
	type SubscriberStatus,
} from './types';

export const SUBSCRIBER_COLUMNS =
	'id, list_id, email, name, fields, status, hard_bounces, soft_bounces, soft_bounce_times, complaints, last_error, last_bounce_kind, last_bounce_reason, last_bounce_at, last_event_at, source, import_run, created_at, updated_at';

export const MAX_PAGE = 10_000;

const MAX_NAME_LENGTH = 500;

/** Row ids (decimal text without leading zeros) in numeric order, with no BigInt per comparison. */
export const byRowId = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

export function now(): string {
	return new Date().toISOString();
}

/** A row id as the store writes them (a positive whole number, as text). */
export function isRowId(value: unknown): boolean {
	return /^\d+$/.test(String(value));
}

export function parseJson<T>(text: unknown, fallback: T): T {
	if (typeof text !== 'string') return (text as T) ?? fallback;
	try {
		return JSON.parse(text) as T;
	} catch {
		return fallback;
	}
}

export function toList(row: Row): MailingList {
	return {
		id: String(row.id),
		name: String(row.name),
		description: String(row.description ?? ''),
		createdAt: String(row.created_at),
		updatedAt: String(row.updated_at),
	};
}

function toLastBounce(row: Row): LastBounce | null {
	if (!row.last_bounce_kind || !row.last_bounce_reason) return null;
	return {
		kind: row.last_bounce_kind as LastBounce['kind'],
		reason: String(row.last_bounce_reason),
		diagnostic: (row.last_error as string | null) ?? null,
		at: String(row.last_bounce_at ?? row.last_event_at ?? ''),
	};
}

export function toSubscriber(row: Row): Subscriber {
	return {
		id: String(row.id),
		listId: String(row.list_id),
		email: String(row.email),
		name: String(row.name ?? ''),
		fields: parseJson<CustomFields>(row.fields, {}),
		status: row.status as SubscriberStatus,
		hardBounces: Number(row.hard_bounces),
		softBounces: Number(row.soft_bounces),
		complaints: Number(row.complaints),
		lastError: (row.last_error as string | null) ?? null,
		lastBounce: toLastBounce(row),
		lastEventAt: (row.last_event_at as string | null) ?? null,
		source: String(row.source ?? ''),
		createdAt: String(row.created_at),
		updatedAt: String(row.updated_at),
	};
}

export function encodeCursor(value: string): string {
	return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | null {
	if (!cursor) return null;
	const value = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!/^\d+$/.test(value)) throw new StoreError('The page cursor is not valid; start again without one', 'invalid');
	return value;
}

export function checkLimit(limit: number): number {
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
		throw new StoreError(`The page size must be a whole number from 1 to ${MAX_PAGE}`, 'invalid');
	}
	return limit;
}

/** A page size given as any value (a node parameter), refused with the caller's error class. */
export function checkLimitAs(limit: unknown, Refusal: new (message: string, code: 'invalid') => Error): number {
	const value = Number(limit);
	if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE) {
		throw new Refusal(`The page size must be a whole number from 1 to ${MAX_PAGE}`, 'invalid');
	}
	return value;
}

export function checkStatus(status: unknown): SubscriberStatus {
	if (!SUBSCRIBER_STATUSES.includes(status as SubscriberStatus)) {
		throw new StoreError(
			`'${String(status)}' is not a subscriber status; use one of ${SUBSCRIBER_STATUSES.join(', ')}`,
			'invalid',
		);
	}
	return status as SubscriberStatus;
}

export function checkFields(fields: unknown): CustomFields {
	if (fields === undefined || fields === null) return {};
	if (typeof fields !== 'object' || Array.isArray(fields)) {
		throw new StoreError('Custom fields must be an object of field names and values', 'invalid');
	}
	return fields as CustomFields;
}

export function checkName(name: unknown): string {
	const text = name === undefined || name === null ? '' : String(name);
	if (text.length > MAX_NAME_LENGTH) {
		throw new StoreError(`The name is longer than ${MAX_NAME_LENGTH} characters`, 'invalid');
	}
	return text;
}

export function sameJson(a: unknown, b: unknown): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

/** One keyset page out of `limit + 1` rows: the extra row only says there is a next page. */
export function pageOf<T>(rows: Row[], limit: number, map: (row: Row) => T, key: (item: T) => string): { items: T[]; next: string | null } {
	const items = rows.slice(0, limit).map(map);
	return { items, next: rows.length > limit ? encodeCursor(key(items[items.length - 1])) : null };
}
