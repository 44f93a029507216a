import type { Readable, Writable } from 'node:stream';
import type { Actor } from '../store';

/** What to do with the listed addresses. */
export type ImportMode =
	'upsert' | 'createOnly' | 'updateOnly' | 'unsubscribe' | 'suppress' | 'trash';

export const IMPORT_MODES: readonly ImportMode[] = [
	'upsert',
	'createOnly',
	'updateOnly',
	'unsubscribe',
	'suppress',
	'trash',
];

/** Where the bytes come from. Nothing is ever buffered whole (a Buffer is read in slices). */
export type ImportSource =
	| { stream: Readable | NodeJS.ReadableStream; name?: string }
	| { buffer: Buffer | Uint8Array; name?: string }
	| { url: string; http?: HttpSourceOptions; name?: string };

export interface HttpSourceOptions {
	/** Time allowed until the response headers arrive (default 30 s). */
	timeoutMs?: number;
	/** Longest wait for the next chunk of the body while we are ready for it (default 30 s). */
	idleTimeoutMs?: number;
	/** Redirects followed at most (default 5); every hop must stay on http/https. */
	maxRedirects?: number;
	headers?: Record<string, string>;
}

/** Encodings accepted by name (aliases are normalised by `normaliseEncoding`). */
export type CsvEncoding =
	'auto' | 'utf-8' | 'shift_jis' | 'euc-jp' | 'latin1' | 'windows-1252' | 'utf-16le' | 'utf-16be';

export interface CsvOptions {
	/** Default 'auto': BOM, then valid UTF-8, then CP932 / EUC-JP, else Latin-1. */
	encoding?: CsvEncoding | string;
	/** One character, or 'auto' (default): sniffed among , ; tab | from the first lines. */
	delimiter?: string;
	/** Quote character (default `"`); '' turns quoting off. */
	quote?: string;
	/** Whether the first (non-skipped) record names the columns (default true). */
	header?: boolean;
	/** Lines to skip before the header / first record (default 0). */
	skipLines?: number;
	/** Accept records with more or fewer fields than the header (default false: reject the row). */
	relaxColumnCount?: boolean;
	/**
	 * Trim whitespace (including full-width spaces) around custom-field values (default true).
	 * E-mail addresses and names are always trimmed.
	 */
	trim?: boolean;
	/** Longest record in characters before the file is refused (default 1,000,000). */
	maxRecordSize?: number;
	/**
	 * Physical lines a quoted value may span (default 100). A quote that never closes, or spans
	 * more lines, rejects the line where its record starts; reading goes on with the next line.
	 */
	maxRecordLines?: number;
}

export type FieldType = 'string' | 'number' | 'date' | 'boolean';

/** A column by header name (case- and width-insensitive) or by 1-based position. */
export type ColumnRef = string | number;

export interface FieldMapping {
	column: ColumnRef;
	/** Custom field name (default: the header name, or `column<N>` without a header). */
	field?: string;
	type?: FieldType;
}

export interface ColumnMapping {
	/** Default: found by header (email, e-mail, mail, メールアドレス, …) or, without a header, by content. */
	emailColumn?: ColumnRef;
	/** Default: found by header (name, 名前, 氏名, …); null for none. */
	nameColumn?: ColumnRef | null;
	/** Columns that go into custom fields, with their type checks. */
	fields?: FieldMapping[];
	/**
	 * What happens to columns not mapped above: 'fields' stores them as string custom fields named
	 * by their header; 'ignore' drops them. Default 'fields' with a header row, 'ignore' without.
	 */
	unmappedColumns?: 'fields' | 'ignore';
}

export interface ReportOptions {
	/** Rejected rows kept in memory for the result (default 1000); the CSV report has them all. */
	maxInMemory?: number;
	/** Where to write the full CSV report (default: a file in the OS temp directory). */
	path?: string;
	/** Or a stream to write it to (ended when the import finishes). */
	stream?: Writable;
}

export interface ImportOptions {
	source: ImportSource;
	/** Target list, by id or name. */
	list: string;
	/** Create the list (by that name) when it does not exist (default false). */
	createList?: boolean;
	mode?: ImportMode;
	/**
	 * Explicit consent override: unsubscribed, bounced, complained or suppressed addresses may
	 * become active again. Off by default, and it should stay off unless the subscriber re-opted in.
	 */
	allowReactivate?: boolean;
	/** Replace custom fields instead of merging the imported ones into the existing ones. */
	replaceFields?: boolean;
	/** Validate and count without writing anything (no list is created either). */
	dryRun?: boolean;
	csv?: CsvOptions;
	mapping?: ColumnMapping;
	/** Rows per store call (one transaction each); default 1000, allowed 1–50,000. */
	batchSize?: number;
	/** Largest accepted input in bytes after decompression (default 200 MB). */
	maxBytes?: number;
	report?: ReportOptions;
	/** Recorded in the audit log (default `{ type: 'import' }`). */
	actor?: Actor;
	/** Stored as each new subscriber's `source` (default 'csv-import'). */
	sourceLabel?: string;
	signal?: AbortSignal;
	/** Called after every committed batch. */
	onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
	rows: number;
	committedRows: number;
	batches: number;
	bytesRead: number;
}

export type RejectedOutcome =
	'invalid' | 'duplicate' | 'skipped-exists' | 'skipped-missing' | 'skipped-suppressed';

export interface RejectedRow {
	/** 1-based line in the file where the record starts. */
	line: number;
	email: string;
	outcome: RejectedOutcome;
	/** What went wrong and what to do, naming the line (and column). */
	reason: string;
	/** The record re-serialised as one CSV line (the parsed fields, joined with the file's delimiter). */
	raw: string;
}

export interface ImportSummary {
	/** Data rows read (header, skipped and blank lines not counted). */
	rows: number;
	created: number;
	updated: number;
	unchanged: number;
	skipped: number;
	invalid: number;
	duplicates: number;
	durationMs: number;
	importRunId: string;
	mode: ImportMode;
	dryRun: boolean;
	listId: string | null;
	/** Rows that passed validation (in a dry run: the rows that would be written). */
	valid: number;
	/** Rows the store has committed (all rows handed to it, in committed batches). */
	committedRows: number;
	batches: number;
}

export interface DetectedFormat {
	encoding: string;
	delimiter: string;
	/** Header names, or null without a header row. */
	header: string[] | null;
	/** Which column feeds what (1-based column numbers). */
	mapping: {
		email: number;
		name: number | null;
		fields: Array<{ column: number; field: string; type: FieldType }>;
	};
}

export interface ImportResult {
	summary: ImportSummary;
	/** The first `report.maxInMemory` rejected rows. */
	rejected: RejectedRow[];
	/** All rejected rows (the CSV report holds every one). */
	rejectedTotal: number;
	/** The full report as CSV (UTF-8 with BOM so Excel reads it), or null when nothing was rejected. */
	reportPath: string | null;
	detected: DetectedFormat | null;
	/** Hints that did not stop the import (e.g. "this file looks like Shift_JIS"). */
	warnings: string[];
}

export type ImportErrorCode =
	| 'invalid-option'
	| 'source-unavailable'
	| 'source-timeout'
	| 'too-large'
	| 'empty-file'
	| 'no-data-rows'
	| 'binary-file'
	| 'no-email-column'
	| 'column-not-found'
	| 'duplicate-column'
	| 'unterminated-quote'
	| 'record-too-large'
	| 'parse-error'
	| 'list-not-found'
	| 'store-error'
	| 'aborted'
	| 'unexpected';

/**
 * A clear, user-facing import failure. When rows were already committed before the failure,
 * `result` reports them (committed batches stay committed; re-running the file is idempotent).
 */
export class ImportError extends Error {
	result: ImportResult | null = null;

	constructor(
		message: string,
		readonly code: ImportErrorCode,
		readonly line?: number,
	) {
		super(message);
		this.name = 'ImportError';
	}
}
