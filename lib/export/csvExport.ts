import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { SubscriberStore, Subscriber, SubscriberFilter } from '../store';

/**
 * Spreadsheet formula protection (CSV injection): a cell that Excel, LibreOffice or Google Sheets
 * would run as a formula — it starts with =, +, -, @, a tab or a carriage return — is written with
 * a leading apostrophe, which spreadsheets show as "text". A cell that already starts with
 * apostrophes before such a character gets one more, so `restoreFormula` undoes it exactly and an
 * export → import round trip gives back the same text. The e-mail column is never changed (an
 * address like `=cmd@example.com` must come back as itself).
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

export function neutraliseFormula(value: string): string {
	return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The inverse of `neutraliseFormula` (what the import does with the export's own columns). */
export function restoreFormula(value: string): string {
	return value.startsWith("'") && FORMULA_START.test(value) ? value.slice(1) : value;
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

const EMAIL_COLUMN = EXPORT_COLUMNS.indexOf('email');
/** The export's prefix for a custom field's own column (`field:city`). */
export const FIELD_COLUMN_PREFIX = 'field:';

export function cellText(value: unknown): string {
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
	const cells = [...base, ...fieldColumns.map((name) => cellText(subscriber.fields[name]))].map(neutraliseFormula);
	cells[EMAIL_COLUMN] = subscriber.email;
	return cells;
}

/**
 * The filter every page of one export reads: a segment is evaluated at one time (relative dates
 * and engagement would otherwise move between pages), and a saved segment's definition is read
 * once (an edit during the export does not change who is in the file).
 */
async function frozenFilter(store: SubscriberStore, filter: SubscriberFilter): Promise<SubscriberFilter> {
	if (!filter.segment) return filter;
	const segment = { ...filter.segment, at: filter.segment.at ?? new Date() };
	if (segment.saved !== undefined && segment.definition === undefined) {
		// A segment that does not exist is left to the store, which says so.
		const saved = await store.getSegment(String(segment.saved));
		if (saved) {
			segment.definition = saved.definition;
			delete segment.saved;
		}
	}
	return { ...filter, segment };
}

async function* subscriberPages(store: SubscriberStore, given: SubscriberFilter, pageSize: number) {
	const filter = await frozenFilter(store, given);
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
	/** Called once per subscriber written, so a caller can report exactly what the file holds. */
	onRecord?: () => void;
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
		columns: [...EXPORT_COLUMNS, ...fieldColumns.map((name) => `${FIELD_COLUMN_PREFIX}${name}`)],
		bom: options.bom ?? false,
	});
	const rows = Readable.from(
		(async function* () {
			for await (const subscriber of subscriberPages(store, filter, options.pageSize ?? 1000)) {
				options.onRecord?.();
				yield toRecord(subscriber, fieldColumns);
			}
		})(),
	);
	rows.on('error', (error) => csv.destroy(error));
	return rows.pipe(csv);
}
