import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { exportSubscribersCsv, neutraliseFormula } from '../export';
import {
	subscriberCountsByList,
	tableColumns,
	tableRows,
	type SqlExecutor,
	type SqlSubscriberStore,
	type SubscriberFilter,
} from '../store';

/**
 * Data portability: everything a customer keeps in the store, as one CSV file per table, each
 * streamed page by page (keyset order), so memory stays flat however large the store is.
 * Every cell goes through the same formula neutralisation as the subscriber export.
 *
 * The files are read one after another, not as one snapshot: for a point-in-time copy of a
 * SQLite store take a backup (backupStore) and export from it.
 */
export type PortableTable = 'lists' | 'subscribers' | 'suppressions' | 'audit_log' | 'campaigns' | 'send_log' | 'consents';

export interface PortableFile {
	table: PortableTable;
	fileName: string;
	/** What the file holds, for the operator. */
	description: string;
}

export interface PortableCsvOptions {
	/** UTF-8 byte-order mark, so Excel shows Japanese and other non-Latin text correctly (default true). */
	bom?: boolean;
	pageSize?: number;
	/** Put before every file name, e.g. `acme-2026-11-05-`. */
	fileNamePrefix?: string;
}

export interface PortableCsv {
	stream: Readable;
	/** Data rows written so far; final once the stream has ended. */
	rows(): number;
}

const FILES: Array<Omit<PortableFile, 'fileName'> & { baseName: string; optional?: boolean }> = [
	{ table: 'lists', baseName: 'lists.csv', description: 'Every list, with its number of subscribers (all statuses)' },
	{ table: 'subscribers', baseName: 'subscribers.csv', description: 'Every subscriber of every list, all statuses including trashed' },
	{ table: 'suppressions', baseName: 'suppressions.csv', description: 'The suppression list: hash, reason, source, date; the address where it is still kept' },
	{ table: 'audit_log', baseName: 'audit-log.csv', description: 'The audit log: who changed what, when' },
	{ table: 'campaigns', baseName: 'campaigns.csv', description: 'Campaigns with their templates and counters', optional: true },
	{ table: 'send_log', baseName: 'send-log.csv', description: 'Per recipient and campaign: delivery state, Message-ID, SMTP response, events', optional: true },
	{
		table: 'consents',
		baseName: 'consents.csv',
		description: 'Consent records: when and how each subscriber confirmed (method, source, IP address, user agent)',
		optional: true,
	},
];

const LIST_COLUMNS = ['id', 'name', 'description', 'subscribers', 'created_at', 'updated_at'];
const SUPPRESSION_COLUMNS = ['hash', 'email', 'reason', 'source', 'created_at'];
const AUDIT_COLUMNS = ['id', 'at', 'actor', 'action', 'entity_type', 'entity_id', 'details'];
/** Keyset order of the tables exported column by column. */
const KEYS: Partial<Record<PortableTable, string[]>> = { campaigns: ['id'], send_log: ['campaign_id', 'subscriber_id'], consents: ['id'] };

function cell(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'object') return JSON.stringify(value);
	return neutraliseFormula(String(value));
}

/** An e-mail address is written as it is (`=cmd@example.com` is an address, not a formula). */
function columnCell(column: string, value: unknown): string {
	return column === 'email' && typeof value === 'string' ? value : cell(value);
}

/** The files an export of this store consists of (campaign tables only where they exist). */
export async function portableFiles(store: SqlSubscriberStore, options: PortableCsvOptions = {}): Promise<PortableFile[]> {
	const prefix = options.fileNamePrefix ?? '';
	const files: PortableFile[] = [];
	for (const file of FILES) {
		if (file.optional && !(await tableColumns(store.sql, file.table)).length) continue;
		files.push({ table: file.table, fileName: `${prefix}${file.baseName}`, description: file.description });
	}
	return files;
}

function csvOf(columns: string[], records: AsyncIterable<string[]>, bom: boolean): Readable {
	const csv = stringify({ header: true, columns, bom });
	const rows = Readable.from(records);
	rows.on('error', (error) => csv.destroy(error));
	return rows.pipe(csv);
}

async function* pages<T>(fetch: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>): AsyncGenerator<T> {
	let cursor: string | null = null;
	do {
		const page = await fetch(cursor);
		for (const item of page.items) yield item;
		cursor = page.next;
	} while (cursor);
}

/** A whole table in keyset order as CSV cells, columns as the database has them (future columns included). */
async function* tableCells(sql: SqlExecutor, table: string, columns: string[], keys: string[], pageSize: number): AsyncGenerator<string[]> {
	for await (const row of tableRows(sql, table, columns, keys, pageSize)) yield columns.map((column) => columnCell(column, row[column]));
}

/** One file of the export as a CSV stream. */
export async function portableCsv(
	store: SqlSubscriberStore,
	table: PortableTable,
	options: PortableCsvOptions = {},
): Promise<PortableCsv> {
	const bom = options.bom ?? true;
	const pageSize = options.pageSize ?? 1000;
	let rows = 0;
	const counted = async function* (records: AsyncIterable<string[]>) {
		for await (const record of records) {
			rows++;
			yield record;
		}
	};
	if (table === 'subscribers') {
		// The subscriber export itself, over a view of the store that counts the rows it hands out.
		const counting = Object.create(store) as SqlSubscriberStore;
		counting.getSubscribers = async (filter: SubscriberFilter, page) => {
			const result = await store.getSubscribers(filter, page);
			rows += result.items.length;
			return result;
		};
		const stream = exportSubscribersCsv(counting, { includeTrashed: true }, { bom, pageSize });
		return { stream, rows: () => rows };
	}
	let columns: string[];
	let records: AsyncIterable<string[]>;
	switch (table) {
		case 'lists':
			columns = LIST_COLUMNS;
			records = (async function* () {
				const counts = await subscriberCountsByList(store.sql);
				for (const list of await store.getLists()) {
					yield [list.id, list.name, list.description, counts.get(list.id) ?? 0, list.createdAt, list.updatedAt].map(cell);
				}
			})();
			break;
		case 'suppressions':
			columns = SUPPRESSION_COLUMNS;
			records = (async function* () {
				for await (const entry of pages((cursor) => store.getSuppressions({ limit: pageSize, cursor }))) {
					yield [entry.hash, entry.email, entry.reason, entry.source, entry.createdAt].map((value, index) =>
						columnCell(SUPPRESSION_COLUMNS[index], value),
					);
				}
			})();
			break;
		case 'audit_log':
			columns = AUDIT_COLUMNS;
			records = (async function* () {
				for await (const entry of pages((cursor) => store.getAuditLog({}, { limit: pageSize, cursor }))) {
					yield [entry.id, entry.at, entry.actor, entry.action, entry.entityType, entry.entityId, entry.details].map(cell);
				}
			})();
			break;
		case 'campaigns':
		case 'send_log':
		case 'consents': {
			columns = await tableColumns(store.sql, table);
			if (!columns.length) throw new Error(`This store has no ${table} table to export`);
			records = tableCells(store.sql, table, columns, KEYS[table] ?? [], pageSize);
			break;
		}
		default:
			throw new Error(`'${String(table)}' is not a table of the export`);
	}
	return { stream: csvOf(columns, counted(records), bom), rows: () => rows };
}

export interface ExportedFile {
	table: PortableTable;
	file: string;
	rows: number;
	bytes: number;
}

/** Writes the whole export into a folder (scripts/backup.js, tests); one CSV per table. */
export async function exportEverythingToFolder(
	store: SqlSubscriberStore,
	folder: string,
	options: PortableCsvOptions = {},
): Promise<ExportedFile[]> {
	mkdirSync(folder, { recursive: true, mode: 0o700 });
	const written: ExportedFile[] = [];
	for (const file of await portableFiles(store, options)) {
		const target = path.join(folder, file.fileName);
		const csv = await portableCsv(store, file.table, options);
		await pipeline(csv.stream, createWriteStream(target, { mode: 0o600 }));
		written.push({ table: file.table, file: target, rows: csv.rows(), bytes: statSync(target).size });
	}
	return written;
}
