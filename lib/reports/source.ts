/**
 * How Get Report, Compare and the report URL ask the store for a campaign's figures: the store's
 * `getCampaignReport(campaignId, query)` (the event history and rollups live in lib/store). This
 * file only names that contract and checks what callers pass, so a wrong time zone or bucket is
 * refused with a message that says what to fix, before the store is asked anything.
 */
import { headlineRates, type HeadlineRates } from './format';
import type { CampaignReport } from './types';

export type ReportBucketOption = 'auto' | 'hour' | 'day';

export const REPORT_BUCKETS: readonly ReportBucketOption[] = ['auto', 'hour', 'day'];

/** Default and upper bound of the receiving domains a report lists. */
export const DEFAULT_TOP_DOMAINS = 10;
export const MAX_TOP_DOMAINS = 1000;

export interface CampaignReportQuery {
	/** IANA time zone the time series' buckets are aligned to (default UTC). */
	timeZone?: string;
	/** Bucket width; `auto`: hourly for a campaign younger than about three days, else daily. */
	bucket?: ReportBucketOption;
	/** How many receiving domains to list (the rest are counted in `otherDomains`). */
	topDomains?: number;
}

/** The store side of reports (lib/store implements it on the opened store). */
export interface CampaignReportSource {
	getCampaignReport(campaignId: string, query: CampaignReportQuery): Promise<CampaignReport>;
}

export class ReportQueryError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ReportQueryError';
	}
}

/** Checks a time zone, with an error naming it (Intl's own message does not say what to fix). */
export function checkTimeZone(timeZone: string): string {
	const zone = String(timeZone ?? '').trim() || 'UTC';
	try {
		// resolvedOptions gives the canonical spelling ("asia/tokyo" → "Asia/Tokyo")
		return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
	} catch {
		throw new ReportQueryError(`Unknown time zone "${zone}": use an IANA name such as "Asia/Tokyo" or "UTC"`);
	}
}

/** The query with every field checked and defaulted. */
export function checkReportQuery(query: CampaignReportQuery): Required<CampaignReportQuery> {
	const bucket = query.bucket ?? 'auto';
	if (!REPORT_BUCKETS.includes(bucket)) {
		throw new ReportQueryError(`Unknown bucket "${String(bucket)}": use auto, hour or day`);
	}
	const top = query.topDomains ?? DEFAULT_TOP_DOMAINS;
	if (!Number.isInteger(top) || top < 0 || top > MAX_TOP_DOMAINS) {
		throw new ReportQueryError(`Top Domains must be a whole number from 0 to ${MAX_TOP_DOMAINS} (got ${String(top)})`);
	}
	return { timeZone: checkTimeZone(query.timeZone ?? 'UTC'), bucket, topDomains: top };
}

/**
 * The report source of an opened store. A store without it (an older package version's store
 * code) is refused with a clear message rather than a TypeError.
 */
export function reportSourceOf(store: object): CampaignReportSource {
	const candidate = store as Partial<CampaignReportSource>;
	if (typeof candidate.getCampaignReport !== 'function') {
		throw new ReportQueryError('This subscriber store cannot compute campaign reports (no event history support)');
	}
	return candidate as CampaignReportSource;
}

/** One row of Compare: a campaign's headline counts and rates (0…1, null when undefined). */
export interface CampaignComparison extends HeadlineRates {
	campaignId: string;
	campaignName: string;
	startedAt: string | null;
	finishedAt: string | null;
	recipients: number;
	sent: number;
	delivered: number;
	bounced: number;
	complaints: number;
	unsubscribes: number;
	uniqueOpens: number;
	uniqueClicks: number;
}

/** The headline figures of a report, flat, for a sheet or a chart (machine opens left out). */
export function comparisonOf(report: CampaignReport): CampaignComparison {
	return {
		campaignId: report.campaignId,
		campaignName: report.campaignName,
		startedAt: report.startedAt,
		finishedAt: report.finishedAt,
		recipients: report.recipients,
		sent: report.sent,
		delivered: report.delivered,
		bounced: report.bounced.total,
		complaints: report.complaints,
		unsubscribes: report.unsubscribes,
		uniqueOpens: report.uniqueOpens.human + report.uniqueOpens.unknown,
		uniqueClicks: report.uniqueClicks.human,
		...headlineRates(report),
	};
}
