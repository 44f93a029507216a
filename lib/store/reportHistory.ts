/**
 * The campaign event history's one writer (issue #18): records opens, clicks, bounces,
 * complaints, unsubscribes and deliveries of campaign recipients, classifies each open and click
 * (lib/reports classifyHit; only the class and the deciding signal are stored, never the IP
 * address or user agent), and updates the report rollups in the caller's transaction.
 *
 * De-duplication stays where it was: provider retries are dropped by their event id before
 * anything reaches this module; every hit that gets here is a recorded event.
 */
import { createHash } from 'node:crypto';
import type { FailureKind } from '../bounce';
import { ALL_LINKS_WINDOW_MS, classifyHit, type HitClass, type HitSignal } from '../reports';
import { isCampaignId } from './campaigns';
import { forUpdate } from './dialect';
import type { Row, SqlExecutor } from './driver';
import {
	CLASS_CODES,
	METRIC,
	reasonCode,
	signalCode,
	storedBucket,
	typeCode,
	type HistoryEventType,
} from './reportCodes';
import type { HitEvidence } from './reportTypes';
import { insertEvents, updateRecipientMarks, upsertAdd, upsertSet } from './reportWrites';

export interface HistoryEvent {
	campaignId: string;
	subscriberId: string;
	type: HistoryEventType;
	/** ISO 8601. */
	occurredAt: string;
	/** Click: the URL as the template wrote it (one report row per template link); else `url`. */
	templateUrl?: string | null;
	/** Click: the URL the recipient was sent to. */
	url?: string | null;
	/** Open / click: what classifyHit needs. */
	evidence?: HitEvidence | null;
	/** Bounce: kind, the classifier's reason (when known) and the SMTP status (the fallback). */
	bounceKind?: FailureKind;
	reason?: string | null;
	smtpStatus?: string | null;
}

/** What happened to one event: not a recipient of the campaign (not recorded), or recorded with its verdict. */
export interface HistoryOutcome {
	recorded: boolean;
	class?: HitClass;
	signal?: HitSignal;
}

interface Recipient {
	openClass: number | null;
	clickClass: number | null;
	bounceReason: number | null;
	deliveredMs: number | null;
	domain: string;
	changed: boolean;
	/** link id → [best class, last hit in ms] */
	links: Map<number, [number, number]> | null;
}

const CHUNK = 400;
const NO_LINK_LABEL = '(no URL)';

export function domainOfAddress(email: unknown): string {
	const text = String(email ?? '');
	const at = text.lastIndexOf('@');
	return at >= 0 && at < text.length - 1 ? text.slice(at + 1).toLowerCase() : '(unknown)';
}

export function urlKey(url: string): string {
	return createHash('sha256').update(url).digest('base64url').slice(0, 22);
}

function bump(map: Map<string, number[]>, key: string, width: number, slot: number, by = 1): void {
	let row = map.get(key);
	if (!row) map.set(key, (row = new Array<number>(width).fill(0)));
	row[slot] += by;
}

async function readRecipients(tx: SqlExecutor, campaignId: string, ids: string[]): Promise<Map<string, Recipient>> {
	const out = new Map<string, Recipient>();
	for (let i = 0; i < ids.length; i += CHUNK) {
		const chunk = ids.slice(i, i + CHUNK);
		const rows = await tx.all(
			`SELECT l.subscriber_id, l.state, l.open_class, l.click_class, l.bounce_reason, l.delivered_at, l.updated_at, s.email_lower
			 FROM send_log l LEFT JOIN subscribers s ON s.id = l.subscriber_id
			 WHERE l.campaign_id = ? AND l.subscriber_id IN (${chunk.map(() => '?').join(', ')})`,
			[campaignId, ...chunk],
		);
		for (const row of rows) {
			const delivered = row.delivered_at ?? (row.state === 'sent' ? row.updated_at : null);
			const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
			out.set(String(row.subscriber_id), {
				openClass: num(row.open_class),
				clickClass: num(row.click_class),
				bounceReason: num(row.bounce_reason),
				deliveredMs: delivered ? Date.parse(String(delivered)) : null,
				domain: domainOfAddress(row.email_lower),
				changed: false,
				links: null,
			});
		}
	}
	return out;
}

/** The campaign's link ids for these template URLs, numbering new ones (the campaign row is locked). */
async function linkIds(tx: SqlExecutor, campaignId: string, urls: string[]): Promise<{ ids: Map<string, number>; count: number }> {
	const ids = new Map<string, number>();
	const keys = new Map(urls.map((url) => [urlKey(url), url]));
	const known = [...keys.keys()];
	for (let i = 0; i < known.length; i += CHUNK) {
		const chunk = known.slice(i, i + CHUNK);
		const rows = await tx.all(
			`SELECT link_id, url_key FROM campaign_links WHERE campaign_id = ? AND url_key IN (${chunk.map(() => '?').join(', ')})`,
			[campaignId, ...chunk],
		);
		for (const row of rows) ids.set(keys.get(String(row.url_key))!, Number(row.link_id));
	}
	const counted = await tx.get('SELECT COUNT(*) AS n, COALESCE(MAX(link_id), 0) AS top FROM campaign_links WHERE campaign_id = ?', [campaignId]);
	let top = Number(counted?.top ?? 0);
	let count = Number(counted?.n ?? 0);
	for (const [key, url] of keys) {
		if (ids.has(url)) continue;
		top += 1;
		count += 1;
		await tx.run('INSERT INTO campaign_links (campaign_id, link_id, url_key, url) VALUES (?, ?, ?, ?)', [campaignId, top, key, url]);
		ids.set(url, top);
	}
	return { ids, count };
}

async function readLinkClicks(tx: SqlExecutor, campaignId: string, recipients: Map<string, Recipient>, ids: string[]): Promise<void> {
	for (const id of ids) {
		const recipient = recipients.get(id);
		if (recipient) recipient.links = new Map();
	}
	for (let i = 0; i < ids.length; i += CHUNK) {
		const chunk = ids.slice(i, i + CHUNK);
		const rows = await tx.all(
			`SELECT subscriber_id, link_id, class, last_at FROM report_link_clickers
			 WHERE campaign_id = ? AND subscriber_id IN (${chunk.map(() => '?').join(', ')})`,
			[campaignId, ...chunk],
		);
		for (const row of rows) {
			recipients.get(String(row.subscriber_id))?.links?.set(Number(row.link_id), [Number(row.class), Number(row.last_at) * 1000]);
		}
	}
}

/** The rollup deltas of one batch, keyed as their tables are. */
class Deltas {
	counts = new Map<string, number[]>();
	buckets = new Map<string, number[]>();
	domains = new Map<string, number[]>();
	links = new Map<string, number[]>();
	clickers = new Map<string, [string, number, number, number]>();
	events: unknown[][] = [];
}

/**
 * Records events of campaign recipients and updates the rollups, in the caller's transaction.
 * Events of someone who is no recipient of the campaign are not recorded.
 */
export async function recordHistoryIn(tx: SqlExecutor, events: HistoryEvent[]): Promise<HistoryOutcome[]> {
	const outcomes: HistoryOutcome[] = events.map(() => ({ recorded: false }));
	const byCampaign = new Map<string, number[]>();
	events.forEach((event, index) => {
		if (!isCampaignId(String(event.campaignId)) || !isCampaignId(String(event.subscriberId))) return;
		const list = byCampaign.get(event.campaignId) ?? [];
		list.push(index);
		byCampaign.set(event.campaignId, list);
	});
	for (const [campaignId, indexes] of byCampaign) {
		await recordCampaignHistory(tx, campaignId, indexes, events, outcomes);
	}
	return outcomes;
}

/**
 * One campaign's share of a batch: read the recipients' marks, classify and count each event in
 * order (so a repeat within the batch counts as a repeat), then write the rollups set-based.
 * Long because reading, classifying and writing share the per-recipient state of the batch.
 */
async function recordCampaignHistory(
	tx: SqlExecutor,
	campaignId: string,
	indexes: number[],
	events: HistoryEvent[],
	outcomes: HistoryOutcome[],
): Promise<void> {
	if (!(await tx.get(`SELECT id FROM campaigns WHERE id = ?${forUpdate(tx.dialect)}`, [campaignId]))) return;
	const subscriberIds = [...new Set(indexes.map((i) => String(events[i].subscriberId)))];
	const recipients = await readRecipients(tx, campaignId, subscriberIds);
	const clicks = indexes.filter((i) => events[i].type === 'click' && recipients.has(String(events[i].subscriberId)));
	let links = { ids: new Map<string, number>(), count: 0 };
	if (clicks.length) {
		links = await linkIds(tx, campaignId, [...new Set(clicks.map((i) => clickUrl(events[i])))]);
		await readLinkClicks(tx, campaignId, recipients, [...new Set(clicks.map((i) => String(events[i].subscriberId)))]);
	}
	const d = new Deltas();
	for (const index of indexes) {
		const event = events[index];
		const recipient = recipients.get(String(event.subscriberId));
		if (!recipient) continue;
		const ms = Date.parse(event.occurredAt);
		const atMs = Number.isNaN(ms) ? Date.now() : ms;
		const at = Math.floor(atMs / 1000);
		const bucket = String(storedBucket(at));
		let cls = 0;
		let signal = 0;
		let reason: number | null = null;
		let linkId: number | null = null;
		if (event.type === 'open' || event.type === 'click') {
			linkId = event.type === 'click' ? links.ids.get(clickUrl(event))! : null;
			const verdict = classifyHit({
				kind: event.type,
				sinceDeliveryMs: recipient.deliveredMs === null ? null : atMs - recipient.deliveredMs,
				userAgent: event.evidence?.userAgent,
				ip: event.evidence?.ip,
				sendgridMachineOpen: event.evidence?.sendgridMachineOpen,
				mailgunClient: event.evidence?.mailgunClient,
				trapLink: event.evidence?.trapLink,
				allLinksWithinSeconds: linkId !== null && allLinksAtOnce(recipient, linkId, links.count, atMs),
			});
			cls = CLASS_CODES[verdict.class];
			signal = signalCode(verdict.signal);
			outcomes[index] = { recorded: true, class: verdict.class, signal: verdict.signal };
			if (event.type === 'open') countOpen(d, recipient, cls, bucket);
			else countClick(d, recipient, event.subscriberId, linkId!, cls, atMs, bucket);
		} else {
			outcomes[index] = { recorded: true };
			if (event.type === 'bounce') {
				reason = reasonCode(event.reason, event.smtpStatus, event.bounceKind ?? 'hard');
				countBounce(d, recipient, reason, bucket);
			} else if (event.type === 'unsubscribe') bump(d.buckets, bucket, 4, 3);
			else if (event.type === 'delivered') bump(d.counts, String(METRIC.DELIVERED_EVENTS), 1, 0);
		}
		d.events.push([campaignId, event.subscriberId, at, typeCode(event.type), cls, signal, reason, linkId]);
	}
	await writeDeltas(tx, campaignId, d, recipients);
}

function clickUrl(event: HistoryEvent): string {
	return (event.templateUrl || event.url || NO_LINK_LABEL).slice(0, 2000);
}

/** Every link of the campaign (two or more) hit by this recipient within ALL_LINKS_WINDOW_MS, this one included. */
function allLinksAtOnce(recipient: Recipient, linkId: number, linkCount: number, atMs: number): boolean {
	if (linkCount < 2 || !recipient.links) return false;
	let recent = 1;
	for (const [id, [, last]] of recipient.links) {
		if (id !== linkId && atMs - last <= ALL_LINKS_WINDOW_MS) recent++;
	}
	return recent >= linkCount;
}

function countOpen(d: Deltas, r: Recipient, cls: number, bucket: string): void {
	bump(d.counts, String(METRIC.OPENS_TOTAL + cls), 1, 0);
	if (cls !== CLASS_CODES.machine) bump(d.buckets, bucket, 4, 0);
	const prev = r.openClass;
	if (prev !== null && prev <= cls) return;
	if (prev !== null) bump(d.counts, String(METRIC.OPENS_UNIQUE + prev), 1, 0, -1);
	bump(d.counts, String(METRIC.OPENS_UNIQUE + cls), 1, 0);
	// the domain's openers: at least one human or unknown open
	if ((prev === null || prev === CLASS_CODES.machine) && cls !== CLASS_CODES.machine) bump(d.domains, r.domain, 4, 2);
	r.openClass = cls;
	r.changed = true;
}

function countClick(d: Deltas, r: Recipient, subscriberId: string, linkId: number, cls: number, atMs: number, bucket: string): void {
	bump(d.counts, String(METRIC.CLICKS_TOTAL + cls), 1, 0);
	if (cls === CLASS_CODES.human) bump(d.buckets, bucket, 4, 1);
	bump(d.links, `${linkId}:${cls}`, 2, 0);
	const seen = r.links!.get(linkId);
	const best = seen && seen[0] <= cls ? seen[0] : cls;
	if (!seen || cls < seen[0]) {
		if (seen) bump(d.links, `${linkId}:${seen[0]}`, 2, 1, -1);
		bump(d.links, `${linkId}:${cls}`, 2, 1);
	}
	r.links!.set(linkId, [best, atMs]);
	d.clickers.set(`${subscriberId}:${linkId}`, [subscriberId, linkId, best, Math.floor(atMs / 1000)]);
	const prev = r.clickClass;
	if (prev !== null && prev <= cls) return;
	if (prev !== null) bump(d.counts, String(METRIC.CLICKS_UNIQUE + prev), 1, 0, -1);
	bump(d.counts, String(METRIC.CLICKS_UNIQUE + cls), 1, 0);
	if (cls === CLASS_CODES.human) bump(d.domains, r.domain, 4, 3);
	r.clickClass = cls;
	r.changed = true;
}

function countBounce(d: Deltas, r: Recipient, reason: number, bucket: string): void {
	bump(d.buckets, bucket, 4, 2);
	if (r.bounceReason === reason) return;
	if (r.bounceReason === null) {
		bump(d.counts, String(METRIC.BOUNCED_RECIPIENTS), 1, 0);
		bump(d.domains, r.domain, 4, 1);
	} else {
		bump(d.counts, String(METRIC.BOUNCE_REASON_BASE + r.bounceReason), 1, 0, -1);
	}
	bump(d.counts, String(METRIC.BOUNCE_REASON_BASE + reason), 1, 0);
	r.bounceReason = reason;
	r.changed = true;
}

async function writeDeltas(tx: SqlExecutor, campaignId: string, d: Deltas, recipients: Map<string, Recipient>): Promise<void> {
	if (!d.events.length) return;
	await insertEvents(tx, d.events);
	const rows = (map: Map<string, number[]>, key: (k: string) => unknown[]) =>
		[...map].filter(([, v]) => v.some((n) => n !== 0)).map(([k, v]) => [campaignId, ...key(k), ...v]);
	const counts = rows(d.counts, (k) => [Number(k)]);
	if (counts.length) await upsertAdd(tx, 'report_counts', ['campaign_id', 'metric'], ['n'], counts);
	const buckets = rows(d.buckets, (k) => [Number(k)]);
	if (buckets.length) await upsertAdd(tx, 'report_buckets', ['campaign_id', 'bucket'], ['opens', 'clicks', 'bounces', 'unsubscribes'], buckets);
	const domains = rows(d.domains, (k) => [k]);
	if (domains.length) await upsertAdd(tx, 'report_domains', ['campaign_id', 'domain'], ['sent', 'bounced', 'opened', 'clicked'], domains);
	const links = rows(d.links, (k) => k.split(':').map(Number));
	if (links.length) await upsertAdd(tx, 'report_links', ['campaign_id', 'link_id', 'class'], ['total', 'uniq'], links);
	if (d.clickers.size) {
		await upsertSet(tx, 'report_link_clickers', ['campaign_id', 'subscriber_id', 'link_id'], ['class', 'last_at'], [...d.clickers.values()].map((v) => [campaignId, ...v]));
	}
	const changed = [...recipients].filter(([, r]) => r.changed);
	await updateRecipientMarks(
		tx,
		campaignId,
		changed.map(([subscriberId, r]) => ({ subscriberId, openClass: r.openClass, clickClass: r.clickClass, bounceReason: r.bounceReason })),
	);
}

/** Counts messages the relay accepted per receiving domain (the send path calls this with its batch). */
export async function recordSendsIn(tx: SqlExecutor, campaignId: string, emails: string[]): Promise<void> {
	if (!emails.length) return;
	const byDomain = new Map<string, number[]>();
	for (const email of emails) bump(byDomain, domainOfAddress(email), 4, 0);
	await upsertAdd(tx, 'report_domains', ['campaign_id', 'domain'], ['sent', 'bounced', 'opened', 'clicked'], [...byDomain].map(([k, v]) => [campaignId, k, ...v]));
}

/**
 * For the audience work (#19), "count only human opens": an SQL condition that is true when the
 * subscriber in `subscriberColumn` had at least one human open of the campaign bound to the one
 * `?` it contains. Read from the send log's best open class, so pruning old events does not change it.
 *   const { sql } = humanOpenSql('s.id'); … WHERE ${sql} … params: [campaignId]
 */
export function humanOpenSql(subscriberColumn: string): { sql: string; params: number } {
	if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/i.test(subscriberColumn)) {
		throw new Error(`'${subscriberColumn}' is not a column reference`);
	}
	return {
		sql: `EXISTS (SELECT 1 FROM send_log h WHERE h.campaign_id = ? AND h.subscriber_id = ${subscriberColumn} AND h.open_class = ${CLASS_CODES.human})`,
		params: 1,
	};
}

export async function hadHumanOpen(db: SqlExecutor, campaignId: string, subscriberId: string): Promise<boolean> {
	if (!isCampaignId(campaignId) || !isCampaignId(subscriberId)) return false;
	const row: Row | undefined = await db.get('SELECT open_class FROM send_log WHERE campaign_id = ? AND subscriber_id = ?', [campaignId, subscriberId]);
	return Number(row?.open_class) === CLASS_CODES.human;
}
