/**
 * HTML helpers shared by every area that writes HTML (the report in lib/reports, the link pages
 * in lib/webhook): one escaping rule, so a fix reaches both. No n8n imports, no dependencies.
 */
export { escapeHtml } from './escape';
