/**
 * The public shape of the campaign event history and its reports (issue #18): what the store's
 * facade takes and returns. The report itself is lib/reports' `CampaignReport`; this file adds
 * the options, the comparison rows, the retention setting and the hit evidence the recording
 * path classifies (lib/reports classifyHit) before it stores only the verdict.
 */
import type { HeadlineRates } from '../reports';

/** Bucket width of the time series: `auto` is `hour` for a campaign younger than 72 hours at its last event, else `day`. */
export type ReportBucketOption = 'auto' | 'hour' | 'day';

export interface CampaignReportOptions {
	/** IANA time zone the buckets are aligned to (default `UTC`); an unknown name is a ReportError naming it. */
	timeZone?: string;
	/** Default `auto`. */
	bucket?: ReportBucketOption;
	/** How many receiving domains to list (by `sent`), 1…1000, default 10; the rest are counted in `otherDomains`. */
	topDomains?: number;
	/**
	 * How many links to list (most unique human clicks first), 1…1000, default 100; the rest are
	 * counted in the report's `otherLinks`. Bounds the report of a campaign with 10,000 links.
	 */
	maxLinks?: number;
	/** The clock, in milliseconds (`generatedAt`); tests only. */
	now?: number;
}

/** One campaign's headline figures for Compare (one item each). */
export interface CampaignComparison extends HeadlineRates {
	campaignId: string;
	campaignName: string;
	startedAt: string | null;
	finishedAt: string | null;
	recipients: number;
	sent: number;
	delivered: number;
	/** Unique non-machine openers (human + unknown) and unique human clickers. */
	uniqueOpens: number;
	uniqueClicks: number;
	bounced: number;
	complaints: number;
	unsubscribes: number;
}

/** How long raw campaign events are kept; counters and rollups are kept for ever either way. */
export interface EventRetention {
	/** Days to keep each event, or null to keep them all (the default). */
	keepDays: number | null;
}

/**
 * The evidence about one open or click that the recording path hands to classifyHit. Only the
 * verdict (class + signal) is stored; the IP address and user agent are dropped after the call.
 */
export interface HitEvidence {
	userAgent?: string | null;
	ip?: string | null;
	/** SendGrid's `sg_machine_open`, when the webhook sent it. */
	sendgridMachineOpen?: boolean | null;
	/** Mailgun's `client-info` (client type, bot name), when the webhook sent it. */
	mailgunClient?: { clientType?: string | null; bot?: string | null } | null;
	/** The hit is on the template's hidden trap link. */
	trapLink?: boolean;
}

/** Why a report could not be made: the campaign is unknown (`not-found`) or an option is wrong (`invalid`). */
export class ReportError extends Error {
	constructor(
		message: string,
		readonly code: 'not-found' | 'invalid',
	) {
		super(message);
		this.name = 'ReportError';
	}
}
