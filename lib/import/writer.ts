import type {
	Actor,
	BulkStatusAction,
	BulkUpsertResult,
	BulkUpsertRow,
	SubscriberStatus,
	SubscriberStore,
} from '../store';
import { ImportError, type ImportMode, type ImportSummary, type RejectedOutcome } from './types';

/** A row that passed validation, waiting for the next store call. */
export interface PendingRow {
	line: number;
	email: string;
	name: string | undefined;
	fields: Record<string, unknown> | undefined;
	/** From an export's status column: only a stricter status than the stored one is applied. */
	status?: SubscriberStatus;
	record: string[];
}

/** Reports one rejected row (the importer's report step). */
export type RejectRow = (
	line: number,
	email: string,
	outcome: RejectedOutcome,
	reason: string,
	record?: string[],
) => Promise<void>;

export interface WriterSettings {
	store: SubscriberStore;
	mode: ImportMode;
	/** Set in the status modes (unsubscribe, suppress, trash). */
	statusAction: BulkStatusAction | null;
	allowReactivate: boolean;
	replaceFields: boolean;
	importRunId: string;
	actor: Actor;
	sourceLabel: string;
}

const OUTCOME_REASONS: Record<Exclude<RejectedOutcome, 'invalid'>, string> = {
	duplicate: 'duplicate: the address appears earlier in this file (the first one wins)',
	'skipped-exists': 'skipped: the address is already on the list (create-only mode)',
	'skipped-missing': 'skipped: the address is not on the list',
	'skipped-suppressed':
		'skipped: the address is suppressed (it unsubscribed, bounced or complained); it is only re-added ' +
		'with the allow-reactivate override, and only with the subscriber’s consent',
};

function toRejectedOutcome(outcome: string): RejectedOutcome {
	return outcome in OUTCOME_REASONS ? (outcome as RejectedOutcome) : 'invalid';
}

function byLine(rows: PendingRow[]): Map<number, PendingRow> {
	const map = new Map<number, PendingRow>();
	for (const row of rows) map.set(row.line, row);
	return map;
}

/**
 * The write step: batches of validated rows go to the store (one transaction each), one batch in
 * the store while the next is parsed (double buffering: with PostgreSQL the database works while
 * we parse). A batch the store refuses for one bad row is split until that row is found.
 */
export class BatchWriter {
	/** Set when the store itself failed (nothing more may be written). */
	failed = false;
	private inflight: Promise<void> | null = null;

	constructor(
		private readonly settings: WriterSettings,
		private readonly summary: ImportSummary,
		private readonly reject: RejectRow,
	) {}

	/** Hands a batch to the store; with `wait`, returns once it is committed. */
	async write(listId: string, rows: PendingRow[], wait: boolean, after?: () => void): Promise<void> {
		await this.settle();
		const writing = this.writeRows(listId, rows).then(after);
		writing.catch(() => undefined); // observed by settle()
		this.inflight = writing;
		if (wait) await this.settle();
	}

	/** Waits for the batch in the store and rethrows its failure. */
	async settle(): Promise<void> {
		if (!this.inflight) return;
		const writing = this.inflight;
		this.inflight = null;
		await writing;
	}

	private async writeRows(listId: string, rows: PendingRow[]): Promise<void> {
		try {
			if (this.settings.statusAction) await this.changeStatus(listId, rows, this.settings.statusAction);
			else await this.upsert(listId, rows);
			this.summary.committedRows += rows.length;
			this.summary.batches++;
		} catch (error) {
			const storeError = error as { name?: string; code?: string; message?: string };
			if (storeError?.name === 'StoreError' && storeError.code === 'invalid') {
				if (rows.length === 1) {
					const [row] = rows;
					await this.reject(row.line, row.email, 'invalid', storeError.message ?? 'refused by the store', row.record);
					return;
				}
				const middle = Math.ceil(rows.length / 2);
				await this.writeRows(listId, rows.slice(0, middle));
				await this.writeRows(listId, rows.slice(middle));
				return;
			}
			this.failed = true;
			throw new ImportError(
				`Writing rows ${rows[0].line}–${rows[rows.length - 1].line} to the store failed: ${storeError?.message ?? String(error)}`,
				'store-error',
				rows[0].line,
			);
		}
	}

	private async changeStatus(listId: string, rows: PendingRow[], action: BulkStatusAction): Promise<void> {
		const { store, actor } = this.settings;
		const result = await store.bulkStatus(
			listId,
			rows.map((row) => ({ email: row.email, ref: row.line })),
			action,
			actor,
		);
		this.summary.updated += result.changed;
		this.summary.unchanged += rows.length - result.changed - result.missing.length;
		const lines = byLine(rows);
		for (const missing of result.missing) {
			const row = missing.ref === undefined ? undefined : lines.get(missing.ref);
			const reason = OUTCOME_REASONS['skipped-missing'];
			await this.reject(row?.line ?? missing.ref ?? 0, missing.email, 'skipped-missing', reason, row?.record);
		}
	}

	private async upsert(listId: string, rows: PendingRow[]): Promise<void> {
		const { store, actor, allowReactivate, sourceLabel } = this.settings;
		const upsertRows: BulkUpsertRow[] = rows.map((row) => ({
			email: row.email,
			name: row.name,
			fields: row.fields,
			// A status column may make a subscriber stricter; only the explicit consent override
			// may turn a blocked address active again.
			status: row.status ?? (allowReactivate ? 'active' : undefined),
			source: sourceLabel,
			ref: row.line,
		}));
		const result = await store.bulkUpsert(
			listId,
			upsertRows,
			{
				mode: this.settings.mode as 'upsert' | 'createOnly' | 'updateOnly',
				allowReactivate,
				replaceFields: this.settings.replaceFields,
				importRunId: this.settings.importRunId,
				onlyStricterStatus: true,
			},
			actor,
		);
		await this.account(rows, result);
	}

	private async account(rows: PendingRow[], result: BulkUpsertResult): Promise<void> {
		this.summary.created += result.created;
		this.summary.updated += result.updated;
		this.summary.unchanged += result.unchanged;
		if (!result.rejected.length) return;
		const lines = byLine(rows);
		for (const rejected of result.rejected) {
			const row = rejected.ref === undefined ? undefined : lines.get(rejected.ref);
			const outcome = toRejectedOutcome(rejected.outcome);
			const reason =
				outcome === 'invalid'
					? 'the store refused the e-mail address as invalid'
					: OUTCOME_REASONS[outcome];
			await this.reject(row?.line ?? rejected.ref ?? 0, rejected.email, outcome, reason, row?.record);
		}
	}
}
