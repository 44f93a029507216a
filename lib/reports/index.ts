/**
 * Campaign reports (no n8n imports): the report's figures, the rule that tells machine opens and
 * clicks from people, and the HTML / mail-table renderings of a report.
 */
export * from './types';
export { classifyHit, FAST_FETCH_MS, ALL_LINKS_WINDOW_MS } from './machine';
export type { HitClass, HitSignal, HitVerdict, TrackedHit, MailgunClientInfo } from './machine';
export {
	APPLE_PROXY_IPV4_RANGES,
	APPLE_PROXY_USER_AGENT,
	isAppleProxyAddress,
	isAppleProxyUserAgent,
} from './appleProxy';
export { renderReportHtml } from './html';
export type { RenderReportOptions } from './html';
export { renderReportMailTable } from './mailTable';
export { labelsFor } from './labels';
export type { ReportLanguage, ReportLabels } from './labels';
export { headlineRates } from './format';
export type { HeadlineRates } from './format';
