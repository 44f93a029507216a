/**
 * CSV import engine (no n8n imports). The Import CSV node is a thin adapter over one call:
 *
 *   const result = await importCsv(store, {
 *     source: { stream } | { buffer } | { url, http: { timeoutMs, idleTimeoutMs, maxRedirects } },
 *     list: 'Newsletter',            // id or name; createList: true creates it when missing
 *     mode: 'upsert',                // createOnly | updateOnly | unsubscribe | suppress | trash
 *     allowReactivate: false,        // explicit consent override, off by default
 *     dryRun: false,                 // validate and count, write nothing
 *     csv: { encoding: 'auto', delimiter: 'auto', quote: '"', header: true, skipLines: 0,
 *            relaxColumnCount: false, trim: true, maxRecordSize: 1_000_000,
 *            maxRecordLines: 100 },
 *     mapping: { emailColumn, nameColumn, fields: [{ column, field, type }], unmappedColumns },
 *     batchSize: 1000, maxBytes: 200 MB, report: { maxInMemory: 1000, path | stream },
 *     actor: { type: 'n8n', id: executionId }, signal,
 *   });
 *
 * - n8n binary data: pass `{ stream: await helpers.getBinaryStream(id) }` (filesystem mode) or
 *   `{ buffer }`; a Buffer is read in 64 KB slices, nothing is buffered whole.
 * - First output: `result.summary` `{rows, created, updated, unchanged, skipped, invalid,
 *   duplicates, durationMs, importRunId, …}`. Second output: `result.rejected` (line, email,
 *   outcome, reason, raw) — the first `report.maxInMemory` rows; `result.reportPath` is the full
 *   report as a CSV file (UTF-8 with BOM) to attach as binary with `prepareBinaryData(createReadStream(path))`,
 *   then delete. `result.warnings` holds non-fatal hints (e.g. the file looks like Shift_JIS).
 * - Failures throw `ImportError` with a user-facing message and a `code`; when rows were already
 *   committed, `error.result` has the summary and report so far (map to NodeOperationError and,
 *   with continueOnFail, to an error item carrying that summary).
 * - A line the parser cannot read (a quote that never closes, a NUL byte) is a rejected row with
 *   its line number; reading goes on with the next line. A file with this package's export
 *   columns is read back as exported (see mapping.ts and rows.ts): its status column may only make
 *   a subscriber stricter, and its own columns never become custom fields.
 * - Status modes (unsubscribe/suppress/trash) count `updated` = status changed (or newly
 *   suppressed), `unchanged` = already so, `skipped` = not on the list. In-file duplicates are
 *   found by the store through the run's `importRunId` (first one wins), only in upsert modes.
 */
export { importCsv, DEFAULT_BATCH_SIZE, DEFAULT_MAX_RECORD_SIZE } from './importer';
export { DEFAULT_MAX_BYTES, redactUrl } from './source';
export { DEFAULT_REPORT_ROWS_IN_MEMORY, REPORT_COLUMNS } from './report';
export { normaliseEncoding, sniffEncoding } from './encoding';
export { normaliseDelimiter, sniffDelimiter } from './dialect';
export { headerKey } from './mapping';
export { convertValue, isValidEmail } from './values';
export * from './types';
