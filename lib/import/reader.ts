import { parse, type CsvError, type Parser } from 'csv-parse';
import { ImportError } from './types';
import type { RecordProblem } from './messages';

/** A quoted value may span this many physical lines before its opening line is rejected. */
export const DEFAULT_MAX_RECORD_LINES = 100;
/**
 * Lines rejected for a quote that never closes before the file is refused as a whole: that many
 * means the quote character is wrong for this file, and every rejection re-reads what follows.
 */
export const MAX_QUOTE_RECOVERIES = 100;
/** The physical line kept for the report of a rejected line (the line itself can be huge). */
const BAD_LINE_KEPT_CHARS = 1000;

/** A record from the parser, or a line it could not read (with the problem). */
export interface ParsedRecord {
	record: string[];
	/** Where the record starts (1-based line of the file). */
	line: number;
	error?: RecordProblem;
	/** The physical line as it is in the file, for a line the parser could not read. */
	raw?: string;
}

export interface ReaderOptions {
	delimiter: string;
	quote: string;
	skipLines: number;
	relaxColumnCount: boolean;
	maxRecordSize: number;
	maxRecordLines: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * csv-parse with line numbers and recovery. csv-parse only notices a quote that never closes at
 * the end of the file, and cannot resynchronise by itself: this reader keeps the bytes of the
 * record being read, and when its quoted value never closes (or spans more than `maxRecordLines`
 * lines) reports the physical line where that record starts as bad and parses again from the
 * next line with a fresh parser. The bytes kept are only those since the last complete record, so
 * on a well-formed file this costs one array push per 64 KB chunk.
 */
export class RecordReader {
	/** Set once a NUL byte has been fed: only then must rows be checked for one. */
	sawNul = false;
	private parser!: Parser;
	private records: ParsedRecord[] = [];
	/** File line where the record being read starts. */
	private nextLine: number;
	/** The current parser's line n is file line n + lineOffset. */
	private lineOffset = 0;
	/** Bytes fed to the current parser from `retainedStart` on (the record being read at least). */
	private retained: Buffer[] = [];
	private retainedStart = 0;
	/** Parser byte offset and file line where the record being read starts (set per record). */
	private recordStartOffset = 0;
	private recordStartLine = 1;
	private recoveries = 0;
	private failure: unknown = undefined;

	constructor(private readonly options: ReaderOptions) {
		this.nextLine = options.skipLines + 1;
		this.parser = this.createParser(options.skipLines + 1, true);
	}

	/**
	 * Feeds one chunk; returns the records (and bad lines) it completed, in file order. A failure
	 * that ends the file is kept for `throwIfFailed`, so the records before it are handled first.
	 */
	async write(chunk: Buffer | string): Promise<ParsedRecord[]> {
		const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
		if (!this.sawNul && bytes.indexOf(0) >= 0) this.sawNul = true;
		this.retained.push(bytes);
		try {
			try {
				await this.feed(bytes);
			} catch (error) {
				await this.recoverOrThrow(error);
			}
			if (this.quotedTooLong()) await this.recover();
		} catch (error) {
			this.failure = error;
		}
		this.dropFinished();
		return this.take();
	}

	/** Ends the input; returns the last records (a failure is kept as in `write`). */
	async end(): Promise<ParsedRecord[]> {
		for (;;) {
			try {
				await this.finish();
				return this.take();
			} catch (error) {
				try {
					await this.recoverOrThrow(error);
				} catch (fatal) {
					this.failure = fatal;
					return this.take();
				}
			}
		}
	}

	/** Throws the failure that stopped the reading, once its earlier records are handled. */
	throwIfFailed(): void {
		if (this.failure !== undefined) throw this.failure;
	}

	private createParser(fromLine: number, bom: boolean): Parser {
		const { quote } = this.options;
		const parser = parse({
			delimiter: this.options.delimiter,
			quote: quote === '' ? null : quote,
			escape: quote === '' ? null : quote,
			from_line: fromLine,
			record_delimiter: ['\r\n', '\n', '\r'],
			relax_column_count: this.options.relaxColumnCount,
			// Stray quotes stay literal text (as Excel reads them). Trimming is done on the values
			// (csv-parse's rtrim cannot resynchronise after a bad quote either).
			relax_quotes: true,
			max_record_size: this.options.maxRecordSize,
			bom,
			skip_records_with_error: true,
			on_record: (record: string[], context) => {
				const extraLines = context.lines + this.lineOffset - this.nextLine;
				if (extraLines > 0 && this.brokenQuote(record, extraLines)) throw new BrokenQuotedRecord();
				this.records.push({ record, line: this.nextLine });
				this.recordDone(context.bytes, context.lines);
				return null;
			},
			on_skip: (error) => {
				if (!error) return;
				if (error.code === 'CSV_MAX_RECORD_SIZE' || error.code === 'CSV_QUOTE_NOT_CLOSED') {
					throw Object.assign(error, { startLine: this.nextLine });
				}
				const line = this.nextLine;
				const record = (error as { record?: string[] }).record;
				// A record over several lines with the wrong number of fields is a quote that opened
				// by mistake and closed at some later quote: read it as one that never closed.
				if (Number(error.lines) + this.lineOffset > line) throw new BrokenQuotedRecord();
				this.recordDone(Number(error.bytes), Number(error.lines ?? line - this.lineOffset));
				// A blank line in a many-column file is "inconsistent"; it is just blank.
				if (record && isBlank(record)) return;
				this.records.push({ record: record ?? [], line, error });
			},
		});
		parser.on('error', () => undefined); // surfaced through write/end callbacks
		parser.resume();
		return parser;
	}

	/**
	 * Whether a record over several lines is a quote gone wrong: it spans more lines than allowed,
	 * or a value runs over a line break and starts with a literal quote — what csv-parse's relaxed
	 * quoting leaves when a quoted value "closes" on a quote that is not followed by a delimiter
	 * (`"ann@example.com,Ann⏎bob@example.com,"Bob`), i.e. the quote opened by mistake.
	 */
	private brokenQuote(record: string[], extraLines: number): boolean {
		if (extraLines >= this.options.maxRecordLines) return true;
		const { quote } = this.options;
		return quote !== '' && record.some((value) => value.startsWith(quote) && (value.includes('\n') || value.includes('\r')));
	}

	private recordDone(bytes: number, parserLines: number): void {
		this.nextLine = parserLines + this.lineOffset + 1;
		this.recordStartOffset = bytes;
		this.recordStartLine = this.nextLine;
	}

	private feed(bytes: Buffer): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			this.parser.write(bytes, (error) => (error ? reject(error) : resolve()));
		});
	}

	private finish(): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			this.parser.once('error', reject);
			this.parser.end((error?: Error | null) => (error ? reject(error) : resolve()));
		});
	}

	private take(): ParsedRecord[] {
		const records = this.records;
		this.records = [];
		return records;
	}

	/** A quoted value has been open for more lines than allowed (checked once per chunk). */
	private quotedTooLong(): boolean {
		const state = (this.parser as unknown as { state: { quoting: boolean } }).state;
		const line = this.parser.info.lines + this.lineOffset;
		return state.quoting && line - this.nextLine + 1 > this.options.maxRecordLines;
	}

	/** Forgets the chunks that only held complete records. */
	private dropFinished(): void {
		while (
			this.retained.length > 1 &&
			this.retainedStart + this.retained[0].length <= this.recordStartOffset
		) {
			this.retainedStart += this.retained[0].length;
			this.retained.shift();
		}
	}

	private async recoverOrThrow(error: unknown): Promise<void> {
		const code = (error as CsvError)?.code;
		const multiLine = this.parser.info.lines + this.lineOffset > this.nextLine;
		if (
			error instanceof BrokenQuotedRecord ||
			code === 'CSV_QUOTE_NOT_CLOSED' ||
			(code === 'CSV_MAX_RECORD_SIZE' && multiLine)
		) {
			await this.recover();
			return;
		}
		throw error;
	}

	/**
	 * Rejects the physical line where the broken record starts and parses the rest again with a
	 * fresh parser (records emitted before the problem were already collected).
	 */
	private async recover(): Promise<void> {
		const line = this.nextLine;
		if (++this.recoveries > MAX_QUOTE_RECOVERIES) {
			throw new ImportError(
				`More than ${MAX_QUOTE_RECOVERIES} lines start a quoted value that is never closed (the last on ` +
					`line ${line}): the quote character is probably wrong for this file — set the quote to none, ` +
					'or close the quotes',
				'unterminated-quote',
				line,
			);
		}
		const kept = Buffer.concat(this.retained);
		const from = this.recordStartOffset - this.retainedStart;
		const lineStart = skipLines(kept, from, line - this.recordStartLine);
		const lineEnd = skipLines(kept, lineStart, 1);
		const text = kept
			.subarray(lineStart, lineEnd)
			.toString('utf8')
			.replace(/\r?\n$|\r$/, '');
		this.records.push({
			record: [],
			raw: text.slice(0, BAD_LINE_KEPT_CHARS),
			line,
			error: {
				code: 'UNTERMINATED_QUOTE',
				message:
					'a quoted value starts on this line and is never closed (it runs into later lines, or spans ' +
					`more than ${this.options.maxRecordLines} lines); the line was skipped and reading went on with ` +
					'the next line. Close the quote, or double a quote inside a quoted value ("")',
			},
		});
		const rest = kept.subarray(lineEnd);
		this.parser.destroy();
		this.parser = this.createParser(1, false);
		this.lineOffset = line;
		this.nextLine = line + 1;
		this.recordStartOffset = 0;
		this.recordStartLine = line + 1;
		this.retained = [];
		this.retainedStart = 0;
		if (rest.length) {
			this.retained.push(rest);
			try {
				await this.feed(rest);
			} catch (error) {
				await this.recoverOrThrow(error);
			}
			if (this.quotedTooLong()) await this.recover();
		}
	}
}

/**
 * Thrown from csv-parse's callbacks to stop it at a record whose quoted value is broken (too many
 * lines, or several lines and the wrong number of fields).
 */
class BrokenQuotedRecord extends Error {}

/** The offset after `count` line breaks (\r\n, \n or \r) from `from`, or the end. */
function skipLines(bytes: Buffer, from: number, count: number): number {
	let position = from;
	for (let skipped = 0; skipped < count && position < bytes.length; skipped++) {
		while (position < bytes.length && bytes[position] !== LF && bytes[position] !== CR) position++;
		if (position >= bytes.length) return position;
		position += bytes[position] === CR && bytes[position + 1] === LF ? 2 : 1;
	}
	return position;
}

export function isBlank(record: string[]): boolean {
	for (const value of record) if (value !== '' && value.trim() !== '') return false;
	return true;
}
