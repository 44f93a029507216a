import iconv from 'iconv-lite';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Actor, BulkStatusAction, MailingList, SubscriberStore } from '../store';
import { normaliseDelimiter, sniffDelimiter } from './dialect';
import {
	assertTextFile,
	decodeHead,
	encodingMismatchHint,
	invalidUtf8Warning,
	normaliseEncoding,
	sniffEncoding,
	type ResolvedEncoding,
} from './encoding';
import { countLabel, describeRecordProblem, echo, echoList, toImportError } from './messages';
import { planColumns, type ColumnPlan } from './mapping';
import { isBlank, RecordReader, type ParsedRecord } from './reader';
import { RejectedReport } from './report';
import { RowChecker, type Refusal } from './rows';
import { capitalise, openSource, type OpenedSource } from './source';
import {
	ImportError,
	type DetectedFormat,
	type ImportOptions,
	type ImportResult,
	type ImportSummary,
	type RejectedOutcome,
} from './types';
import { validateOptions, type ValidOptions } from './options';
import { BatchWriter, type PendingRow } from './writer';

export { DEFAULT_BATCH_SIZE, DEFAULT_MAX_RECORD_SIZE } from './options';

/** Bytes read before sniffing encoding, binary content and delimiter. */
const HEAD_BYTES = 64 * 1024;

const STATUS_ACTIONS: Record<string, BulkStatusAction> = {
	unsubscribe: 'unsubscribe',
	trash: 'trash',
	suppress: 'suppress',
};

/** Re-serialises a parsed record for the report (quotes only where needed). */
function serialiseRecord(record: string[] | undefined, delimiter: string): string {
	if (!record) return '';
	return record
		.map((value) =>
			value.includes('"') || value.includes(delimiter) || value.includes('\n') || value.includes('\r')
				? `"${value.replace(/"/g, '""')}"`
				: value,
		)
		.join(delimiter);
}

/**
 * Streams a CSV file into the store. See index.ts for the contract; in short: every row is
 * validated, batches of `batchSize` rows are written in one transaction each, rejected rows are
 * reported (line, content, reason), and a failure mid-file leaves every committed batch in place
 * (the thrown ImportError's `result` says what was committed).
 */
export async function importCsv(store: SubscriberStore, options: ImportOptions): Promise<ImportResult> {
	return new CsvImport(store, options).run();
}

/**
 * One import run, step by step: the list, then decode (encoding, delimiter), parse (records with
 * line numbers), map (the column plan, from the header), validate (each row), write (batches to
 * the store) and report (rejected rows, summary). `run` reads top-down.
 */
class CsvImport {
	private readonly started = performance.now();
	private readonly settings: ValidOptions;
	private readonly importRunId = randomUUID();
	private readonly summary: ImportSummary;
	private readonly warnings: string[] = [];
	private readonly report: RejectedReport;
	private readonly writer: BatchWriter;
	private detected: DetectedFormat | null = null;
	private list: MailingList | null = null;
	private source: OpenedSource | null = null;
	private encoding: ResolvedEncoding = 'utf-8';
	private delimiter = ',';
	private reader: RecordReader | null = null;
	private header: string[] | null = null;
	private plan: ColumnPlan | null = null;
	private checker: RowChecker | null = null;
	/** Fields per record, as set by the header (or the first record): what csv-parse expects. */
	private columnCount = 0;
	private pending: PendingRow[] = [];
	private lastLine: number;

	constructor(
		private readonly store: SubscriberStore,
		private readonly options: ImportOptions,
	) {
		this.settings = validateOptions(options);
		this.lastLine = this.settings.skipLines;
		const { mode, dryRun } = this.settings;
		this.summary = {
			rows: 0,
			created: 0,
			updated: 0,
			unchanged: 0,
			skipped: 0,
			invalid: 0,
			duplicates: 0,
			durationMs: 0,
			importRunId: this.importRunId,
			mode,
			dryRun,
			listId: null,
			valid: 0,
			committedRows: 0,
			batches: 0,
		};
		this.report = new RejectedReport(options.report ?? {}, this.importRunId);
		this.writer = new BatchWriter(
			{
				store,
				mode,
				statusAction: STATUS_ACTIONS[mode] ?? null,
				allowReactivate: options.allowReactivate ?? false,
				replaceFields: options.replaceFields ?? false,
				importRunId: this.importRunId,
				actor: this.actor,
				sourceLabel: options.sourceLabel ?? 'csv-import',
			},
			this.summary,
			(line, email, outcome, reason, record) => this.reject(line, email, outcome, reason, record),
		);
	}

	private get actor(): Actor {
		return this.options.actor ?? { type: 'import' };
	}

	async run(): Promise<ImportResult> {
		// The list first: a wrong list name should not cost a download.
		await this.resolveList();
		try {
			const head = await this.open();
			this.decode(head.bytes, head.complete);
			await this.parse(head.chunks);
			this.requireData();
			await this.flush(true);
			await this.report.close();
			return this.result();
		} catch (thrown) {
			throw await this.fail(thrown);
		} finally {
			if (this.source) await this.source.chunks.return(undefined).catch(() => undefined);
		}
	}

	private async resolveList(): Promise<void> {
		const name = this.options.list.trim();
		this.list = await this.store.getList(name);
		if (!this.list) {
			if (!this.options.createList) {
				throw new ImportError(
					`The list ${echo(this.options.list)} does not exist; create it first or turn on "create the list"`,
					'list-not-found',
				);
			}
			if (this.settings.dryRun) {
				this.warnings.push(`The list ${echo(this.options.list)} does not exist yet; a real run would create it`);
			} else this.list = await this.store.createList({ name }, this.actor);
		}
		this.summary.listId = this.list?.id ?? null;
	}

	/** Opens the source and buffers its first `HEAD_BYTES` (or all of it, if shorter). */
	private async open(): Promise<{ chunks: Buffer[]; bytes: Buffer; complete: boolean }> {
		const source = (this.source = await openSource(this.options.source, {
			maxBytes: this.options.maxBytes,
			signal: this.options.signal,
		}));
		const chunks: Buffer[] = [];
		let length = 0;
		let complete = false;
		while (length < HEAD_BYTES) {
			const next = await source.chunks.next();
			if (next.done) {
				complete = true;
				break;
			}
			chunks.push(next.value);
			length += next.value.length;
		}
		const bytes = Buffer.concat(chunks);
		if (bytes.length === 0) throw new ImportError(`${capitalise(source.label)} is empty (0 bytes)`, 'empty-file');
		return { chunks, bytes, complete };
	}

	/** The decode step: refuses binary files, settles the encoding and the delimiter. */
	private decode(head: Buffer, complete: boolean): void {
		const declaredEncoding = normaliseEncoding(this.options.csv?.encoding);
		assertTextFile(head, capitalise(this.source?.label ?? 'the file'), declaredEncoding);
		if (declaredEncoding === 'auto') {
			const sniffed = sniffEncoding(head, complete);
			this.encoding = sniffed.encoding;
			const warning = invalidUtf8Warning(head, complete, sniffed);
			if (warning) this.warnings.push(warning);
		} else {
			this.encoding = declaredEncoding;
			const hint = encodingMismatchHint(head, complete, this.encoding);
			if (hint) this.warnings.push(hint);
		}
		const declaredDelimiter = normaliseDelimiter(this.options.csv?.delimiter);
		const { quote, skipLines } = this.settings;
		this.delimiter =
			declaredDelimiter === 'auto'
				? sniffDelimiter(decodeHead(head, this.encoding), { quote, skipLines, complete })
				: declaredDelimiter;
	}

	/** The parse step: every chunk through the reader; its records are mapped, checked and queued. */
	private async parse(headChunks: Buffer[]): Promise<void> {
		const { quote, skipLines, maxRecordSize, maxRecordLines } = this.settings;
		const reader = (this.reader = new RecordReader({
			delimiter: this.delimiter,
			quote,
			skipLines,
			relaxColumnCount: this.options.csv?.relaxColumnCount ?? false,
			maxRecordSize,
			maxRecordLines,
		}));
		const decoder =
			this.encoding === 'utf-8'
				? null
				: iconv.getDecoder(this.encoding === 'shift_jis' ? 'cp932' : this.encoding);
		const feed = async (chunk: Buffer | string) => {
			await this.take(await reader.write(chunk));
			reader.throwIfFailed();
		};
		for (const chunk of headChunks) await feed(decoder ? decoder.write(chunk) : chunk);
		headChunks.length = 0;
		for await (const chunk of (this.source as OpenedSource).chunks) {
			await feed(decoder ? decoder.write(chunk) : chunk);
		}
		const tail = decoder?.end();
		if (tail) await feed(tail);
		await this.take(await reader.end());
		reader.throwIfFailed();
	}

	/** Handles the records of one chunk, in order. */
	private async take(records: ParsedRecord[]): Promise<void> {
		for (const entry of records) {
			const { record, line } = entry;
			this.lastLine = Math.max(this.lastLine, line);
			if (entry.error) {
				await this.rejectUnreadable(entry);
				continue;
			}
			if (isBlank(record)) continue;
			if (!this.plan) {
				if (this.settings.hasHeader) {
					this.header = record.map((value) => value.trim());
					this.map(this.header, this.header);
					continue;
				}
				this.map(null, record);
			}
			this.summary.rows++;
			const refused = this.validate(record, line);
			if (refused) await this.reject(line, refused.email, 'invalid', refused.reason, record);
			if (this.pending.length >= this.settings.batchSize) await this.flush(false);
		}
	}

	private async rejectUnreadable(entry: ParsedRecord): Promise<void> {
		const problem = describeRecordProblem(entry.error!, this.columnCount, this.settings.hasHeader);
		if (!this.plan && this.settings.hasHeader && !this.header) {
			throw new ImportError(`The header row (line ${entry.line}) could not be read: ${problem}`, 'parse-error', entry.line);
		}
		this.summary.rows++;
		await this.reject(entry.line, '', 'invalid', problem, entry.record, entry.raw);
	}

	/** The map step: which column feeds what, from the header (or the first record). */
	private map(header: string[] | null, firstRecord: string[]): void {
		this.columnCount = firstRecord.length;
		try {
			this.plan = planColumns(this.options.mapping ?? {}, header, firstRecord, this.delimiter);
		} catch (error) {
			if (error instanceof ImportError && firstRecord.some((value) => value.includes('\uFFFD'))) {
				const hint = this.warnings.find((warning) => warning.startsWith('The file is not valid'));
				error.message +=
					`. Line ${this.lastLine} is not valid ${this.encodingName} text` +
					(hint ? ` — ${hint.charAt(0).toLowerCase()}${hint.slice(1)}` : ": check the file's encoding");
			}
			throw error;
		}
		this.detected = describePlan(this.plan, this.encoding, this.delimiter, header);
		this.checker = new RowChecker(this.plan, {
			addressOnly: this.settings.mode in STATUS_ACTIONS,
			trimValues: this.options.csv?.trim ?? true,
			encodingName: this.encodingName,
			sniffedEncoding: normaliseEncoding(this.options.csv?.encoding) === 'auto',
		});
	}

	private get encodingName(): string {
		return this.encoding === 'shift_jis' ? 'shift_jis (CP932)' : this.encoding;
	}

	/**
	 * The validate step: a checked row is queued for the store; a refused one is returned for the
	 * report (synchronous: a promise per row would cost the normal path).
	 */
	private validate(record: string[], line: number): Refusal | null {
		const checked = (this.checker as RowChecker).check(record, line, this.reader?.sawNul ?? false);
		if ('reason' in checked) return checked;
		this.summary.valid++;
		this.pending.push(checked);
		return null;
	}

	/** The write step: hands the queued rows to the store (a dry run writes nothing). */
	private async flush(wait: boolean): Promise<void> {
		await this.writer.settle();
		if (!this.pending.length) return;
		const rows = this.pending;
		this.pending = [];
		if (this.settings.dryRun || !this.list) return;
		await this.writer.write(this.list.id, rows, wait, () =>
			this.options.onProgress?.({
				rows: this.summary.rows,
				committedRows: this.summary.committedRows,
				batches: this.summary.batches,
				bytesRead: this.source?.bytesRead() ?? 0,
			}),
		);
	}

	private requireData(): void {
		const label = capitalise(this.source?.label ?? 'the file');
		if (!this.plan) throw new ImportError(`${label} has no CSV records (only blank lines)`, 'empty-file');
		if (this.summary.rows === 0) {
			throw new ImportError(
				`${label} has a header row (${echoList(this.header ?? [])}) but no data rows`,
				'no-data-rows',
			);
		}
	}

	/** The report step for one rejected row. */
	private async reject(
		line: number,
		email: string,
		outcome: RejectedOutcome,
		reason: string,
		record?: string[],
		raw?: string,
	): Promise<void> {
		if (outcome === 'invalid') this.summary.invalid++;
		else if (outcome === 'duplicate') this.summary.duplicates++;
		else this.summary.skipped++;
		await this.report.add({
			line,
			email,
			outcome,
			reason: `Line ${line}: ${reason}`,
			raw: raw ?? serialiseRecord(record, this.delimiter),
		});
	}

	private result(): ImportResult {
		return {
			summary: { ...this.summary, durationMs: Math.round(performance.now() - this.started) },
			rejected: this.report.kept,
			rejectedTotal: this.report.total,
			reportPath: this.report.path,
			detected: this.detected,
			warnings: this.warnings,
		};
	}

	/**
	 * A failure: everything parsed before it is complete and valid, so it is committed too and the
	 * message can say "everything before line N is in".
	 */
	private async fail(thrown: unknown): Promise<ImportError> {
		const context = {
			lastLine: this.lastLine,
			maxRecordSize: this.settings.maxRecordSize,
			delimiter: this.delimiter,
			encoding: this.encoding,
		};
		let error = toImportError(thrown, context);
		try {
			await this.writer.settle();
			if (!this.writer.failed && error.code !== 'aborted') await this.flush(true);
		} catch (flushError) {
			error = toImportError(flushError, context);
		}
		await this.report.abort();
		if (this.summary.committedRows > 0) {
			error.message +=
				`. ${countLabel(this.summary.committedRows, 'row')} in ${countLabel(this.summary.batches, 'batch', 'batches')} ` +
				'were committed before the failure; they stay imported, and re-running the corrected file is safe ' +
				'(already imported rows come back as unchanged)';
		}
		error.result = this.result();
		return error;
	}
}

function describePlan(
	plan: ColumnPlan,
	encoding: string,
	delimiter: string,
	header: string[] | null,
): DetectedFormat {
	return {
		encoding,
		delimiter,
		header,
		mapping: {
			email: plan.emailIndex + 1,
			name: plan.nameIndex >= 0 ? plan.nameIndex + 1 : null,
			fields: plan.fields.map((field) => ({ column: field.index + 1, field: field.field, type: field.type })),
		},
	};
}
