import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { ImportErrorCode, ImportResult } from '../../../lib/import';
import type { SubscriberStore } from '../../../lib/store';
import type { ItemParameters } from './parameters';

/** The first output's item: the counts first (as the issue names them), then the details. */
export async function summaryJson(
	store: SubscriberStore,
	result: ImportResult,
	parameters: ItemParameters,
): Promise<IDataObject> {
	const { summary } = result;
	const list = summary.listId ? await store.getList(summary.listId) : null;
	return {
		rows: summary.rows,
		created: summary.created,
		updated: summary.updated,
		unchanged: summary.unchanged,
		skipped: summary.skipped,
		invalid: summary.invalid,
		duplicates: summary.duplicates,
		durationMs: summary.durationMs,
		importRunId: summary.importRunId,
		list: { id: summary.listId, name: list?.name ?? parameters.list },
		mode: summary.mode,
		dryRun: summary.dryRun,
		valid: summary.valid,
		committedRows: summary.committedRows,
		batches: summary.batches,
		rejected: result.rejectedTotal,
		rejectedInOutput: result.rejected.length,
		source: parameters.sourceLabel,
		detected: result.detected as unknown as IDataObject,
		warnings: result.warnings,
	};
}

export function rejectedItems(result: ImportResult, itemIndex: number): INodeExecutionData[] {
	return result.rejected.map((row) => ({
		json: {
			line: row.line,
			email: row.email,
			outcome: row.outcome,
			reason: row.reason,
			raw: row.raw,
		},
		pairedItem: { item: itemIndex },
	}));
}

/**
 * The full rejected-rows report as a CSV binary, streamed from the engine's report file (to disk
 * in n8n's filesystem binary mode, so memory stays flat however many rows were rejected).
 */
export async function reportBinary(
	ctx: IExecuteFunctions,
	result: ImportResult,
	parameters: ItemParameters,
): Promise<IBinaryData | undefined> {
	if (!result.reportPath || result.rejectedTotal === 0) return undefined;
	const fileName = `${parameters.baseName}-rejected-rows.csv`;
	return ctx.helpers.prepareBinaryData(createReadStream(result.reportPath), fileName, 'text/csv');
}

export async function removeReport(result: ImportResult | null | undefined): Promise<void> {
	if (result?.reportPath) await rm(result.reportPath, { force: true }).catch(() => undefined);
}

/** What to do next, by failure kind; shown under the message in n8n. */
const ADVICE: Partial<Record<ImportErrorCode, string>> = {
	'list-not-found':
		'Create the list first (Subscriber List node), or turn on Options → Create List If Missing',
	'no-email-column':
		'Check Column Mapping (Define Below lets you name the e-mail column or give its number), the Delimiter and the Header Row option',
	'column-not-found':
		'Check the column names under Column Mapping against the headers listed above, and the Delimiter option',
	'duplicate-column':
		'Rename or remove the repeated column in the file, or turn off Header Row and map the columns by number',
	'source-timeout':
		'Check that the server is reachable, or raise Download Options → Timeout (Seconds)',
	'source-unavailable': 'Check the URL and that the server serves the file',
	'too-large': 'Raise Download Options → Size Limit (MB) if the file is really that big',
	'binary-file': 'Pass a CSV or TSV text file (save Excel workbooks as CSV first)',
	'empty-file': 'Check that the previous node produced the file you expect',
	'no-data-rows': 'Check that the previous node produced the file you expect',
	'unterminated-quote': 'Fix the quote in the file, or set Options → Quote Character',
	'invalid-option': 'Check the node options',
};

/** A description for the error: what was committed already, and what to do. */
export function failureDescription(
	code: ImportErrorCode | undefined,
	result: ImportResult | null | undefined,
): string | undefined {
	const parts: string[] = [];
	if (result && result.summary.committedRows > 0) {
		const { summary } = result;
		parts.push(
			`Committed before the failure: ${summary.committedRows} rows in ${summary.batches} batches ` +
				`(created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, ` +
				`skipped ${summary.skipped}, invalid ${summary.invalid}, duplicates ${summary.duplicates}; ` +
				`import run ${summary.importRunId}). They stay imported; re-running the corrected file is safe.`,
		);
	}
	const advice = code ? ADVICE[code] : undefined;
	if (advice) parts.push(advice);
	return parts.length ? parts.join(' ') : undefined;
}
