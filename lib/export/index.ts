/**
 * Subscriber export (no n8n imports): the subscribers of a filter as CSV, streamed page by page
 * so memory stays flat, every cell neutralised against spreadsheet formulas.
 */
export * from './csvExport';
