/**
 * The campaign report read from the rollups (never from raw events), Compare, the event
 * retention setting and pruning (issue #18).
 */
import { headlineRates, type BounceReasonCount, type CampaignReport, type ClassifiedCounts, type LinkReport } from '../reports';
import { recordAudit } from './auditLog';
import { isCampaignId } from './campaigns';
import type { Row, SqlDriver, SqlExecutor } from './driver';
import { checkTimeZone, foldBuckets } from './reportBuckets';
import { CLASS_NAMES, METRIC, reasonOf } from './reportCodes';
import { parseJson } from './rows';
import { ReportError, type CampaignComparison, type CampaignReportOptions, type EventRetention } from './reportTypes';
import type { Actor } from './types';

export { seedCampaignEvents, type SeedEventsInput } from './reportSeed';

/** `auto` picks hourly buckets while the campaign's events span less than this. */
export const AUTO_HOURLY_SPAN_MS = 72 * 3_600_000;

function whole(value: unknown, name: string, min: number, max: number, fallback: number): number {
	if (value === undefined || value === null) return fallback;
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		throw new ReportError(`${name} must be a whole number from ${min} to ${max} (got ${String(value)})`, 'invalid');
	}
	return value;
}

async function campaignRow(db: SqlExecutor, campaignId: unknown): Promise<Row> {
	const id = String(campaignId ?? '').trim();
	const row = isCampaignId(id)
		? await db.get(
				'SELECT id, name, total_recipients, sent, failed, complained, unsubscribed, started_at, finished_at FROM campaigns WHERE id = ?',
				[id],
			)
		: undefined;
	if (!row) throw new ReportError(`Campaign '${id}' does not exist in this store`, 'not-found');
	return row;
}

const classified = (counts: Map<number, number>, base: number): ClassifiedCounts => ({
	human: counts.get(base + 1) ?? 0,
	unknown: counts.get(base + 2) ?? 0,
	machine: counts.get(base + 3) ?? 0,
});

function bounces(counts: Map<number, number>): Pick<CampaignReport, 'bounced' | 'bounceReasonSource'> {
	const byKind = { hard: 0, soft: 0, sender: 0 };
	const byReason: BounceReasonCount[] = [];
	let classifier = false;
	for (const [metric, n] of counts) {
		if (metric < METRIC.BOUNCE_REASON_BASE || n <= 0) continue;
		const reason = reasonOf(metric - METRIC.BOUNCE_REASON_BASE);
		byKind[reason.kind] += n;
		byReason.push({ reason: reason.reason, kind: reason.kind, recipients: n });
		classifier ||= reason.classifier;
	}
	byReason.sort((a, b) => b.recipients - a.recipients || String(a.reason).localeCompare(String(b.reason)));
	return {
		bounced: { total: counts.get(METRIC.BOUNCED_RECIPIENTS) ?? 0, byKind, byReason },
		// status classes only when no bounce had a classifier reason
		bounceReasonSource: byReason.length && !classifier ? 'smtp-status-class' : 'classifier',
	};
}

async function linkReports(db: SqlExecutor, campaignId: string, maxLinks: number): Promise<{ links: LinkReport[]; otherLinks: number }> {
	const rows = await db.all(
		`SELECT r.link_id, l.url, r.class, r.total, r.uniq FROM report_links r
		 JOIN campaign_links l ON l.campaign_id = r.campaign_id AND l.link_id = r.link_id WHERE r.campaign_id = ?`,
		[campaignId],
	);
	const byLink = new Map<number, LinkReport>();
	for (const row of rows) {
		const id = Number(row.link_id);
		let link = byLink.get(id);
		if (!link) {
			link = { url: String(row.url), uniqueClicks: { human: 0, machine: 0, unknown: 0 }, totalClicks: { human: 0, machine: 0, unknown: 0 } };
			byLink.set(id, link);
		}
		const name = CLASS_NAMES[Number(row.class) - 1];
		link.uniqueClicks[name] += Number(row.uniq);
		link.totalClicks[name] += Number(row.total);
	}
	const links = [...byLink.values()].sort(
		(a, b) =>
			b.uniqueClicks.human - a.uniqueClicks.human ||
			b.totalClicks.human - a.totalClicks.human ||
			b.uniqueClicks.unknown + b.uniqueClicks.machine - (a.uniqueClicks.unknown + a.uniqueClicks.machine) ||
			a.url.localeCompare(b.url),
	);
	return { links: links.slice(0, maxLinks), otherLinks: Math.max(0, links.length - maxLinks) };
}

/**
 * The report: the campaign's counters, then the rollups (counts, links, domains, buckets).
 * Long because it assembles every part of the report contract in one place, in its order.
 */
export async function getCampaignReport(db: SqlExecutor, campaignId: string, options: CampaignReportOptions = {}): Promise<CampaignReport> {
	const timeZone = checkTimeZone(options.timeZone ?? 'UTC');
	const bucketOption = options.bucket ?? 'auto';
	if (!['auto', 'hour', 'day'].includes(bucketOption)) {
		throw new ReportError(`The bucket must be auto, hour or day (got '${String(bucketOption)}')`, 'invalid');
	}
	const topDomains = whole(options.topDomains, 'topDomains', 1, 1000, 10);
	const maxLinks = whole(options.maxLinks, 'maxLinks', 1, 1000, 100);
	const campaign = await campaignRow(db, campaignId);
	const id = String(campaign.id);
	const counts = new Map<number, number>();
	for (const row of await db.all('SELECT metric, n FROM report_counts WHERE campaign_id = ?', [id])) {
		counts.set(Number(row.metric), Number(row.n));
	}
	const { links, otherLinks } = await linkReports(db, id, maxLinks);
	const domainRows = await db.all(
		'SELECT domain, sent, bounced, opened, clicked FROM report_domains WHERE campaign_id = ? ORDER BY sent DESC, bounced DESC, domain LIMIT ?',
		[id, topDomains],
	);
	const domainCount = await db.get('SELECT COUNT(*) AS n FROM report_domains WHERE campaign_id = ?', [id]);
	const stored = (await db.all('SELECT bucket, opens, clicks, bounces, unsubscribes FROM report_buckets WHERE campaign_id = ? ORDER BY bucket', [id])).map(
		(row) => ({
			bucket: Number(row.bucket),
			opens: Number(row.opens),
			clicks: Number(row.clicks),
			bounces: Number(row.bounces),
			unsubscribes: Number(row.unsubscribes),
		}),
	);
	let bucket: 'hour' | 'day' = bucketOption === 'auto' ? 'hour' : bucketOption;
	if (bucketOption === 'auto' && stored.length) {
		const from = campaign.started_at ? Math.min(Date.parse(String(campaign.started_at)), stored[0].bucket * 1000) : stored[0].bucket * 1000;
		if (stored[stored.length - 1].bucket * 1000 - from >= AUTO_HOURLY_SPAN_MS) bucket = 'day';
	}
	const sent = Number(campaign.sent ?? 0);
	const bounced = bounces(counts);
	const uniqueOpens = classified(counts, METRIC.OPENS_UNIQUE);
	const uniqueClicks = classified(counts, METRIC.CLICKS_UNIQUE);
	const openers = uniqueOpens.human + uniqueOpens.unknown;
	const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
	return {
		campaignId: id,
		campaignName: String(campaign.name),
		generatedAt: new Date(options.now ?? Date.now()).toISOString(),
		startedAt: text(campaign.started_at),
		finishedAt: text(campaign.finished_at),
		recipients: Number(campaign.total_recipients ?? 0),
		sent,
		delivered: Math.max(0, sent - bounced.bounced.total),
		failed: Number(campaign.failed ?? 0),
		...bounced,
		complaints: Number(campaign.complained ?? 0),
		unsubscribes: Number(campaign.unsubscribed ?? 0),
		uniqueOpens,
		totalOpens: classified(counts, METRIC.OPENS_TOTAL),
		uniqueClicks,
		totalClicks: classified(counts, METRIC.CLICKS_TOTAL),
		clickToOpenRate: openers > 0 ? Math.min(1, uniqueClicks.human / openers) : null,
		links,
		otherLinks,
		domains: domainRows.map((row) => ({
			domain: String(row.domain),
			sent: Number(row.sent),
			bounced: Number(row.bounced),
			opened: Number(row.opened),
			clicked: Number(row.clicked),
		})),
		otherDomains: Math.max(0, Number(domainCount?.n ?? 0) - domainRows.length),
		timeSeries: {
			bucket,
			timeZone,
			buckets: foldBuckets(stored, bucket, timeZone).map(({ start, ...rest }) => ({ start: new Date(start).toISOString(), ...rest })),
		},
	};
}

export const MAX_COMPARED = 100;

export async function compareCampaigns(db: SqlExecutor, campaignIds: string[]): Promise<CampaignComparison[]> {
	if (!Array.isArray(campaignIds) || campaignIds.length === 0) {
		throw new ReportError('Name at least one campaign to compare', 'invalid');
	}
	if (campaignIds.length > MAX_COMPARED) {
		throw new ReportError(`At most ${MAX_COMPARED} campaigns can be compared at once (got ${campaignIds.length})`, 'invalid');
	}
	const out: CampaignComparison[] = [];
	for (const campaignId of campaignIds) {
		const report = await getCampaignReport(db, campaignId, { topDomains: 1, maxLinks: 1, bucket: 'day' });
		out.push({
			campaignId: report.campaignId,
			campaignName: report.campaignName,
			startedAt: report.startedAt,
			finishedAt: report.finishedAt,
			recipients: report.recipients,
			sent: report.sent,
			delivered: report.delivered,
			uniqueOpens: report.uniqueOpens.human + report.uniqueOpens.unknown,
			uniqueClicks: report.uniqueClicks.human,
			bounced: report.bounced.total,
			complaints: report.complaints,
			unsubscribes: report.unsubscribes,
			...headlineRates(report),
		});
	}
	return out;
}

// ---------------------------------------------------------------- retention and pruning

export const MAX_KEEP_DAYS = 36_500;

export async function readEventRetention(db: SqlExecutor): Promise<EventRetention> {
	const row = await db.get("SELECT value FROM bm_meta WHERE key = 'event_retention'");
	const stored = parseJson<Partial<EventRetention>>(row?.value, {});
	return { keepDays: typeof stored.keepDays === 'number' ? stored.keepDays : null };
}

export async function setEventRetention(driver: SqlDriver, retention: EventRetention, actor: Actor): Promise<EventRetention> {
	const keepDays = retention?.keepDays ?? null;
	if (keepDays !== null && (!Number.isInteger(keepDays) || keepDays < 1 || keepDays > MAX_KEEP_DAYS)) {
		throw new ReportError(`keepDays must be empty (keep all events) or a whole number of days from 1 to ${MAX_KEEP_DAYS} (got ${String(keepDays)})`, 'invalid');
	}
	return driver.transaction(async (tx) => {
		const next: EventRetention = { keepDays };
		await tx.run(
			"INSERT INTO bm_meta (key, value) VALUES ('event_retention', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			[JSON.stringify(next)],
		);
		await recordAudit(tx, actor, 'settings.event-retention', 'settings', 'event_retention', { ...next });
		return next;
	});
}

/** Deletes raw events older than the retention (oldest campaigns' first), at most `limit`; rollups stay. */
export async function pruneCampaignEvents(driver: SqlDriver, options: { now?: number; limit?: number } = {}): Promise<number> {
	const { keepDays } = await readEventRetention(driver);
	if (keepDays === null) return 0;
	const limit = options.limit ?? 50_000;
	const cutoff = Math.floor((options.now ?? Date.now()) / 1000) - keepDays * 86_400;
	const rowRef = driver.dialect === 'postgres' ? 'ctid' : 'rowid';
	let deleted = 0;
	for (const campaign of await driver.all('SELECT id FROM campaigns ORDER BY id')) {
		if (deleted >= limit) break;
		const result = await driver.run(
			`DELETE FROM campaign_events WHERE ${rowRef} IN (
			   SELECT ${rowRef} FROM campaign_events WHERE campaign_id = ? AND at < ? LIMIT ?)`,
			[campaign.id, cutoff, limit - deleted],
		);
		deleted += result.changes;
	}
	return deleted;
}
