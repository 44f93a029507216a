import { stringify, type Stringifier } from 'csv-stringify';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { ReportOptions, RejectedRow } from './types';

export const DEFAULT_REPORT_ROWS_IN_MEMORY = 1000;
export const REPORT_COLUMNS = ['line', 'email', 'outcome', 'reason', 'raw'] as const;

/**
 * Rejected rows: the first `maxInMemory` kept for the result, every one streamed to a CSV file
 * (or the caller's stream) with backpressure, so a million bad rows cost disk, not memory.
 * The file is only created when the first row is rejected.
 */
export class RejectedReport {
	readonly kept: RejectedRow[] = [];
	total = 0;
	path: string | null = null;
	private stringifier: Stringifier | null = null;
	private sink: Writable | null = null;
	private failure: Error | null = null;
	/** Settles when the sink fails, so a writer waiting for 'drain' is not left hanging. */
	private failurePromise: Promise<void> = Promise.resolve();
	private readonly maxInMemory: number;

	constructor(
		private readonly options: ReportOptions,
		private readonly runId: string,
	) {
		const max = options.maxInMemory ?? DEFAULT_REPORT_ROWS_IN_MEMORY;
		this.maxInMemory =
			Number.isFinite(max) && max >= 0 ? Math.floor(max) : DEFAULT_REPORT_ROWS_IN_MEMORY;
	}

	async add(row: RejectedRow): Promise<void> {
		this.total++;
		if (this.kept.length < this.maxInMemory) this.kept.push(row);
		const stringifier = this.open();
		this.throwIfFailed();
		if (!stringifier.write([row.line, row.email, row.outcome, row.reason, row.raw])) {
			await Promise.race([once(stringifier, 'drain'), this.failurePromise]);
			this.throwIfFailed();
		}
	}

	/** Flushes and closes the report; returns the file path (null when written to a stream or empty). */
	async close(): Promise<void> {
		if (!this.stringifier || !this.sink) return;
		const sink = this.sink;
		this.stringifier.end();
		this.stringifier = null;
		await finished(sink).catch((error: Error) => {
			this.failure ??= error;
		});
		this.throwIfFailed();
	}

	/** Stops writing without waiting (used when the import itself failed). */
	async abort(): Promise<void> {
		await this.close().catch(() => undefined);
	}

	private open(): Stringifier {
		if (this.stringifier) return this.stringifier;
		// A BOM so Excel opens the UTF-8 report with Japanese text intact.
		const stringifier = stringify({ header: true, columns: [...REPORT_COLUMNS], bom: true });
		let sink: Writable;
		if (this.options.stream) {
			sink = this.options.stream;
		} else {
			this.path =
				this.options.path ?? join(tmpdir(), `bulk-mail-import-${this.runId}-rejected.csv`);
			sink = createWriteStream(this.path);
		}
		this.failurePromise = new Promise((resolve) => {
			const remember = (error: Error) => {
				this.failure ??= error;
				resolve();
			};
			sink.on('error', remember);
			stringifier.on('error', remember);
		});
		stringifier.pipe(sink);
		this.stringifier = stringifier;
		this.sink = sink;
		return stringifier;
	}

	private throwIfFailed(): void {
		if (this.failure) {
			throw new Error(`Writing the rejected-rows report failed: ${this.failure.message}`);
		}
	}
}
