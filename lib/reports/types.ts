/**
 * The figures of one campaign's report: what Bulk Send's Get Report returns as an item and what the
 * HTML report draws. A plain JSON-safe value (no Dates, no Maps) so it can be an n8n item as is.
 *
 * Counting rules shared by every figure: test sends are never counted; "unique" means distinct
 * recipients; "total" counts every recorded hit after the store's de-duplication; a hit's human /
 * machine / unknown class is the one `classifyHit` gave it when it was recorded.
 */
import type { FailureKind, FailureReason } from '../bounce';

/** Where the bounce reasons come from: the classifier's Sisimai names, or only the SMTP status class. */
export type BounceReasonSource = 'classifier' | 'smtp-status-class';

/** How a reason is named when only the SMTP status class is known (`4.x.x` / `5.x.x`). */
export type StatusClassReason = '4xx' | '5xx';

/** Opens or clicks split by who made them (see `HitClass` in machine.ts). */
export interface ClassifiedCounts {
	/** Hits, or recipients, judged to be a person reading or clicking. */
	human: number;
	/** Scanners, link checkers, prefetchers and provider-flagged bots: never a person. */
	machine: number;
	/** Cannot be told apart — above all Apple Mail Privacy Protection's proxy, which fetches for everyone. */
	unknown: number;
}

export interface BounceReasonCount {
	/** Sisimai's reason name when `bounceReasonSource` is `classifier`, else `4xx` / `5xx`. */
	reason: FailureReason | StatusClassReason;
	/** The reason's kind (hard / soft / sender); a `5xx` class counts as hard, `4xx` as soft. */
	kind: FailureKind;
	/** Distinct recipients that bounced for this reason (a recipient's last bounce decides). */
	recipients: number;
}

export interface LinkReport {
	/** The link as written in the template (before personalisation and click tracking), so one row per link. */
	url: string;
	/** Distinct recipients who clicked it, by class. */
	uniqueClicks: ClassifiedCounts;
	/** Every recorded click on it, by class. */
	totalClicks: ClassifiedCounts;
}

export interface DomainReport {
	/** The receiving domain: the part after `@` of the recipient address, lower-cased (gmail.com, docomo.ne.jp). */
	domain: string;
	/** Messages accepted by our SMTP relay for this domain. */
	sent: number;
	/** Distinct recipients of this domain that bounced (any kind). */
	bounced: number;
	/** Distinct recipients of this domain with at least one human or unknown open (machine opens excluded). */
	opened: number;
	/** Distinct recipients of this domain with at least one human click. */
	clicked: number;
}

/** One bucket of the time series; every count is of events whose time falls in [start, start + bucket). */
export interface TimeBucket {
	/** The bucket's start as an ISO 8601 instant in UTC (the time zone only decides where buckets begin). */
	start: string;
	/** Opens recorded in the bucket (human + unknown; machine opens are left out of the series). */
	opens: number;
	/** Human clicks recorded in the bucket. */
	clicks: number;
	/** Bounces (any kind) recorded in the bucket. */
	bounces: number;
	/** Unsubscribes recorded in the bucket. */
	unsubscribes: number;
}

export interface TimeSeries {
	/** Bucket width: `hour` for a campaign younger than about three days, else `day` (or as asked). */
	bucket: 'hour' | 'day';
	/** IANA time zone the buckets are aligned to (`Asia/Tokyo`, `UTC`). */
	timeZone: string;
	/** Buckets in time order, gap-free from the first event to the last (empty buckets have zeros). */
	buckets: TimeBucket[];
}

export interface CampaignReport {
	campaignId: string;
	/** The campaign's name as given at creation, for headings. */
	campaignName: string;
	/** When the report was computed (ISO 8601). */
	generatedAt: string;
	/** First and last send of the campaign (ISO 8601), null before it started / finished. */
	startedAt: string | null;
	finishedAt: string | null;

	/** Recipients the campaign was addressed to (after suppression and de-duplication). */
	recipients: number;
	/** Messages our SMTP relay accepted (250 to DATA). */
	sent: number;
	/** Sent and not bounced, nor reported undeliverable later: `sent - bounced.total` (never below zero). */
	delivered: number;
	/** Recipients we could not hand to the relay at all (connection, auth or address errors before acceptance). */
	failed: number;
	bounced: {
		/** Distinct recipients that bounced after acceptance. */
		total: number;
		/** Split by what the failure means for the address: hard (dead), soft (may recover), sender (our side). */
		byKind: Record<FailureKind, number>;
		/** Split by reason, largest first. */
		byReason: BounceReasonCount[];
	};
	/** Whether `bounced.byReason` names come from the bounce classifier or only the SMTP status class. */
	bounceReasonSource: BounceReasonSource;
	/** Recipients who reported the message as spam (feedback loop / ARF). */
	complaints: number;
	/** Recipients who unsubscribed from this campaign's message (link or List-Unsubscribe). */
	unsubscribes: number;

	/** Distinct recipients with at least one open, by the class of their best open (human > unknown > machine). */
	uniqueOpens: ClassifiedCounts;
	/** Every recorded open, by class. */
	totalOpens: ClassifiedCounts;
	/** Distinct recipients with at least one click, by the class of their best click. */
	uniqueClicks: ClassifiedCounts;
	/** Every recorded click, by class. */
	totalClicks: ClassifiedCounts;
	/**
	 * Click-to-open rate: unique human clickers ÷ unique non-machine openers (human + unknown), 0…1;
	 * null when nobody opened. A person can click without a recorded open (images off), so it may exceed 1
	 * in theory; it is capped at 1.
	 */
	clickToOpenRate: number | null;

	/** Per template link, most unique human clicks first (at most the Get Report option's limit, default 100). */
	links: LinkReport[];
	/**
	 * How many more links there were beyond `links` (their figures are not shown), so a campaign
	 * with 10,000 links gives a bounded report. Added by the store's report (issue #18); absent = 0.
	 */
	otherLinks?: number;
	/** The top N receiving domains by `sent` (N is the Get Report option, default 10). */
	domains: DomainReport[];
	/** How many more domains there were beyond `domains` (their figures are not shown). */
	otherDomains: number;
	timeSeries: TimeSeries;
}
