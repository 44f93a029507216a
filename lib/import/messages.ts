import type { CsvError } from 'csv-parse';
import { describeDelimiter } from './dialect';
import { ImportError } from './types';

/** Longest piece of the user's own input a message quotes. */
export const ECHO_MAX_CHARS = 60;

/**
 * A piece of the file as a message quotes it: in single quotes, cut to `max` characters with the
 * length said, so a 4 KB header or a 10 KB cell cannot turn a message into a wall of text.
 */
export function echo(value: string, max = ECHO_MAX_CHARS): string {
	if (value.length <= max) return `'${value}'`;
	return `'${value.slice(0, max)}…' (${value.length.toLocaleString('en-US')} characters)`;
}

/** Longest list of echoed names a message holds (about four lines). */
const ECHO_LIST_MAX_CHARS = 300;

/** Names as a message lists them: each echoed, as many as fit in about four lines. */
export function echoList(names: string[], max = 30): string {
	const shown: string[] = [];
	let length = 0;
	for (const name of names.slice(0, max)) {
		const echoed = echo(name);
		if (shown.length && length + echoed.length > ECHO_LIST_MAX_CHARS) break;
		shown.push(echoed);
		length += echoed.length + 2;
	}
	return shown.join(', ') + (names.length > shown.length ? `, … (${names.length} columns)` : '');
}

export function countLabel(count: number, singular: string, plural = `${singular}s`): string {
	return `${count.toLocaleString('en-US')} ${count === 1 ? singular : plural}`;
}

/** Our own parse problems, reported like csv-parse's (see reader.ts). */
export type QuoteProblem = { code: 'UNTERMINATED_QUOTE'; message: string };
export type RecordProblem = CsvError | QuoteProblem;

export function describeRecordProblem(
	error: RecordProblem,
	expectedFields: number,
	hasHeader: boolean,
): string {
	if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
		const record = (error as { record?: unknown[] }).record;
		return (
			`found ${record?.length ?? '?'} columns where the ${hasHeader ? 'header' : 'first record'} ` +
			`has ${expectedFields || '?'} — an unquoted delimiter inside a value, or a missing one? ` +
			'(quote the value, or turn on "relax column count")'
		);
	}
	return error.message;
}

export function invalidBytes(
	encoding: string,
	line: number,
	column: string,
	sniffed: boolean,
): string {
	return (
		`invalid bytes for encoding ${encoding} on line ${line} (column ${column}); ` +
		(sniffed
			? 'the encoding was detected from the first 64 KB of the file: set it explicitly if the rest differs, ' +
				'or fix the damaged bytes'
			: 'the file is probably in another encoding, or damaged')
	);
}

/** Any failure of a run as the ImportError the caller sees. */
export function toImportError(
	error: unknown,
	context: { lastLine: number; maxRecordSize: number; delimiter: string; encoding: string },
): ImportError {
	if (error instanceof ImportError) return error;
	const csvError = error as CsvError & { startLine?: number };
	const startLine = csvError?.startLine ?? context.lastLine + 1;
	if (csvError?.code === 'CSV_MAX_RECORD_SIZE') {
		return new ImportError(
			`Line ${startLine}: the record is longer than ${context.maxRecordSize.toLocaleString('en-US')} characters ` +
				'(maxRecordSize) — usually a wrong delimiter or a file that is not a subscriber list ' +
				`(delimiter ${describeDelimiter(context.delimiter)}, encoding ${context.encoding})`,
			'record-too-large',
			startLine,
		);
	}
	if (typeof csvError?.code === 'string' && csvError.code.startsWith('CSV_')) {
		return new ImportError(
			`The CSV could not be parsed near line ${startLine}: ${csvError.message}`,
			'parse-error',
			startLine,
		);
	}
	const message = error instanceof Error ? error.message : String(error);
	return new ImportError(`The import failed: ${message}`, 'unexpected');
}
