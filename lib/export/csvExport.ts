import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { SubscriberStore, Subscriber, SubscriberFilter } from '../store';

/**
 * A cell that a spreadsheet would run as a formula (=, +, -, @, or a leading tab/CR) gets a
 * leading apostrophe, so an exported list can be opened in Excel safely (CSV injection).
 */
export function neutraliseFormula(value: string): string {
	return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const EXPORT_COLUMNS = [
	'id',
	'list_id',
	'email',
	'name',
	'status',
	'hard_bounces',
	'soft_bounces',
	'complaints',
	'last_error',
	'source',
	'created_at',
	'updated_at',
	'fields',
] as const;

function cellText(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'object') return JSON.stringify(value);
	return String(value);
}

function toRecord(subscriber: Subscriber, fieldColumns: string[]): string[] {
	const base = [
		subscriber.id,
		subscriber.listId,
		subscriber.email,
		subscriber.name,
		subscriber.status,
		String(subscriber.hardBounces),
		String(subscriber.softBounces),
		String(subscriber.complaints),
		subscriber.lastError ?? '',
		subscriber.source,
		subscriber.createdAt,
		subscriber.updatedAt,
		JSON.stringify(subscriber.fields),
	];
	return [...base, ...fieldColumns.map((name) => cellText(subscriber.fields[name]))].map(neutraliseFormula);
}

async function* subscriberPages(store: SubscriberStore, filter: SubscriberFilter, pageSize: number) {
	let cursor: string | null = null;
	do {
		const page = await store.getSubscribers(filter, { limit: pageSize, cursor });
		for (const subscriber of page.items) yield subscriber;
		cursor = page.next;
	} while (cursor);
}

export interface CsvExportOptions {
	/** Custom fields to give their own column, besides the `fields` JSON column. */
	fieldColumns?: string[];
	/** Add a UTF-8 byte-order mark so Excel opens Japanese text correctly. */
	bom?: boolean;
	pageSize?: number;
}

/** Streams the matching subscribers as CSV, one store page at a time (memory stays flat). */
export function exportSubscribersCsv(
	store: SubscriberStore,
	filter: SubscriberFilter,
	options: CsvExportOptions = {},
): Readable {
	const fieldColumns = (options.fieldColumns ?? []).map((name) => name.trim()).filter(Boolean);
	const csv = stringify({
		header: true,
		columns: [...EXPORT_COLUMNS, ...fieldColumns.map((name) => `field:${name}`)],
		bom: options.bom ?? false,
	});
	const rows = Readable.from(
		(async function* () {
			for await (const subscriber of subscriberPages(store, filter, options.pageSize ?? 1000)) {
				yield toRecord(subscriber, fieldColumns);
			}
		})(),
	);
	rows.on('error', (error) => csv.destroy(error));
	return rows.pipe(csv);
}
