/**
 * Subscriber export (no n8n imports): the subscribers of a filter as CSV, streamed page by page
 * so memory stays flat, with reversible spreadsheet formula protection (e-mail addresses as they are).
 */
export * from './csvExport';
