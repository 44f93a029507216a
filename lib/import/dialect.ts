import { ImportError } from './types';

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

const SNIFF_RECORDS = 50;

/** How a delimiter reads in messages. */
export function describeDelimiter(delimiter: string): string {
	if (delimiter === '\t') return 'tab';
	return `'${delimiter}'`;
}

/** 'tab', '\\t', ';' … → one delimiter character, or 'auto'. */
export function normaliseDelimiter(value: string | undefined): string {
	if (value === undefined || value === '' || value.toLowerCase() === 'auto') return 'auto';
	const lower = value.toLowerCase();
	if (lower === 'tab' || value === '\\t') return '\t';
	if (lower === 'comma') return ',';
	if (lower === 'semicolon') return ';';
	if (lower === 'pipe') return '|';
	if (value.length !== 1 || value === '\r' || value === '\n') {
		throw new ImportError(
			`The delimiter must be one character (or 'auto', 'tab'); got ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`,
			'invalid-option',
		);
	}
	return value;
}

/**
 * Counts each candidate outside quotes in the first records of `text` (after `skipLines` lines)
 * and picks the one that occurs the same, non-zero number of times in every record; failing that,
 * the one whose count varies least. A file with none of them is one column: ','.
 */
export function sniffDelimiter(
	text: string,
	options: { quote: string; skipLines: number; complete: boolean },
): string {
	const counts: number[][] = DELIMITER_CANDIDATES.map(() => []);
	let position = skipPhysicalLines(text, options.skipLines);
	let current = DELIMITER_CANDIDATES.map(() => 0);
	let inQuote = false;
	let recordHasContent = false;
	let records = 0;
	const quote = options.quote;
	for (; position < text.length && records < SNIFF_RECORDS; position++) {
		const char = text[position];
		if (quote && char === quote) {
			inQuote = !inQuote;
			recordHasContent = true;
			continue;
		}
		if (inQuote) continue;
		if (char === '\n' || char === '\r') {
			if (recordHasContent) {
				current.forEach((count, index) => counts[index].push(count));
				records++;
			}
			current = DELIMITER_CANDIDATES.map(() => 0);
			recordHasContent = false;
			continue;
		}
		recordHasContent = true;
		const candidate = DELIMITER_CANDIDATES.indexOf(char as (typeof DELIMITER_CANDIDATES)[number]);
		if (candidate >= 0) current[candidate]++;
	}
	// A last record without a line break counts only if the text is the whole file.
	if (recordHasContent && !inQuote && options.complete && records < SNIFF_RECORDS) {
		current.forEach((count, index) => counts[index].push(count));
	}
	let best = ',';
	let bestScore = -Infinity;
	DELIMITER_CANDIDATES.forEach((candidate, index) => {
		const perRecord = counts[index];
		if (!perRecord.length) return;
		const min = Math.min(...perRecord);
		const max = Math.max(...perRecord);
		const total = perRecord.reduce((sum, count) => sum + count, 0);
		if (total === 0) return;
		// Consistent and present on every line beats everything; more columns beats fewer.
		const consistent = min > 0 && min === max;
		const score =
			(consistent ? 1_000_000 : 0) + (min > 0 ? 10_000 : 0) + min * 10 - (max - min) + total / 1e6;
		if (score > bestScore) {
			bestScore = score;
			best = candidate;
		}
	});
	return best;
}

function skipPhysicalLines(text: string, lines: number): number {
	let position = 0;
	for (let skipped = 0; skipped < lines && position < text.length; skipped++) {
		const next = text.slice(position).search(/\r\n|\n|\r/);
		if (next < 0) return text.length;
		position += next + (text.startsWith('\r\n', position + next) ? 2 : 1);
	}
	return position;
}

/** Other candidate delimiters found in a single header cell: a hint for "no e-mail column". */
export function otherDelimiterIn(cells: string[], current: string): string | null {
	if (cells.length !== 1) return null;
	for (const candidate of DELIMITER_CANDIDATES) {
		if (candidate !== current && cells[0].includes(candidate)) return candidate;
	}
	return null;
}
