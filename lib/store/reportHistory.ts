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
import { idsParam, inIds, inTexts, textsParam } from './dialect';
import type { Dialect, Row, SqlExecutor } from './driver';
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
import { PREPARED } from './postgresDriver';
import { writeBatch } from './reportWrites';

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
	/** The recipient's address when the caller has it (provider events): saves reading it for the domain figures. */
	email?: string | null;
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
	/** When the message was delivered (ISO text, parsed only for the opens and clicks that need it). */
	delivered: string | null;
	/** The subscriber id: domain deltas are keyed by it until the few addresses needed are read. */
	id: string;
	changed: boolean;
	/** link id → [best class, last hit in ms] */
	links: Map<number, [number, number]> | null;
}

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

/**
 * Everything a batch reads, in one statement (one round trip on PostgreSQL): the recipients'
 * marks (kind 0) and, when it has clicks, the links the clicking ones hit before (kind 1) and the
 * ids of the clicked template links (kind 2), in columns the three kinds share.
 */
const readSql = (d: Dialect, clicks: boolean) =>
	`${PREPARED} SELECT 0 AS kind, subscriber_id AS id, state AS text, open_class AS a, click_class AS b, bounce_reason AS c, delivered_at, updated_at
	 FROM send_log WHERE campaign_id = ? AND subscriber_id ${inIds(d)}` +
	(clicks
		? ` UNION ALL SELECT 1, subscriber_id, NULL, link_id, class, last_at, NULL, NULL
	 FROM report_link_clickers WHERE campaign_id = ? AND subscriber_id ${inIds(d)}
	 UNION ALL SELECT 2, link_id, url_key, NULL, NULL, NULL, NULL, NULL
	 FROM campaign_links WHERE campaign_id = ? AND url_key ${inTexts(d)}`
		: '');
const READ_SQL = {
	sqlite: [readSql('sqlite', false), readSql('sqlite', true)],
	postgres: [readSql('postgres', false), readSql('postgres', true)],
};

interface BatchState {
	recipients: Map<string, Recipient>;
	/** url key → link id, of the clicked links the campaign has numbered already */
	linkIds: Map<string, number>;
}

/** The batch's state; `clickers` (subscriber ids of clicks) get their earlier link hits. */
async function readBatchState(tx: SqlExecutor, campaignId: string, ids: string[], clickers: string[], urlKeys: string[]): Promise<BatchState> {
	const recipients = new Map<string, Recipient>();
	const linkIds = new Map<string, number>();
	const d = tx.dialect;
	const rows = clickers.length
		? await tx.all(READ_SQL[d][1], [campaignId, idsParam(d, ids), campaignId, idsParam(d, clickers), campaignId, textsParam(d, urlKeys)])
		: await tx.all(READ_SQL[d][0], [campaignId, idsParam(d, ids)]);
	const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
	const hits: Row[] = [];
	for (const row of rows) {
		const kind = Number(row.kind);
		if (kind === 1) hits.push(row);
		else if (kind === 2) linkIds.set(String(row.text), Number(row.id));
		else {
			const delivered = row.delivered_at ?? (row.text === 'sent' ? row.updated_at : null);
			recipients.set(String(row.id), {
				openClass: num(row.a),
				clickClass: num(row.b),
				bounceReason: num(row.c),
				delivered: delivered ? String(delivered) : null,
				id: String(row.id),
				changed: false,
				links: null,
			});
		}
	}
	for (const id of clickers) {
		const recipient = recipients.get(id);
		if (recipient) recipient.links = new Map();
	}
	for (const row of hits) recipients.get(String(row.id))?.links?.set(Number(row.a), [Number(row.b), Number(row.c) * 1000]);
	return { recipients, linkIds };
}

/** The campaign's link ids for these template URLs (`known`: read already), numbering new ones (the campaign row is locked). */
async function linkIds(tx: SqlExecutor, campaignId: string, urls: string[], known: Map<string, number>): Promise<{ ids: Map<string, number>; count: number | null }> {
	const ids = new Map<string, number>();
	const keys = new Map(urls.map((url) => [urlKey(url), url]));
	for (const [key, url] of keys) {
		const id = known.get(key);
		if (id !== undefined) ids.set(url, id);
	}
	if (ids.size === keys.size) return { ids, count: null };
	const counted = await tx.get('SELECT COUNT(*) AS n, COALESCE(MAX(link_id), 0) AS top FROM campaign_links WHERE campaign_id = ?', [campaignId]);
	// new links are numbered on: the caller holds the history lock, so no one else numbers them meanwhile
	let top = Number(counted?.top ?? 0);
	let count = Number(counted?.n ?? 0);
	const fresh: Array<[number, string, string]> = [];
	for (const [key, url] of keys) {
		if (ids.has(url)) continue;
		top += 1;
		count += 1;
		fresh.push([top, key, url]);
		ids.set(url, top);
	}
	if (tx.dialect === 'postgres') {
		await tx.run('INSERT INTO campaign_links (campaign_id, link_id, url_key, url) SELECT ?::bigint, v.* FROM unnest(?::int[], ?::text[], ?::text[]) AS v', [
			campaignId,
			fresh.map((f) => f[0]),
			fresh.map((f) => f[1]),
			fresh.map((f) => f[2]),
		]);
	} else {
		for (const [linkId, key, url] of fresh) {
			await tx.run('INSERT INTO campaign_links (campaign_id, link_id, url_key, url) VALUES (?, ?, ?, ?)', [campaignId, linkId, key, url]);
		}
	}
	return { ids, count };
}

/** How many links the campaign has (for the "every link at once" signal); cached by nobody: one indexed count. */
async function linkCount(tx: SqlExecutor, campaignId: string): Promise<number> {
	const row = await tx.get('SELECT COUNT(*) AS n FROM campaign_links WHERE campaign_id = ?', [campaignId]);
	return Number(row?.n ?? 0);
}

/** The rollup deltas of one batch, keyed as their tables are. */
class Deltas {
	counts = new Map<string, number[]>();
	buckets = new Map<string, number[]>();
	/** subscriber id → [sent, bounced, opened, clicked] deltas, folded into domains before writing */
	domains = new Map<string, number[]>();
	links = new Map<string, number[]>();
	clickers = new Map<string, [string, number, number, number]>();
	events: unknown[][] = [];
}

/**
 * Records events of campaign recipients and updates the rollups, in the caller's transaction,
 * which holds each campaign's history lock (lib/store campaigns.ts lockCampaignHistories). Events
 * of someone who is no recipient of the campaign are not recorded.
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
	const subscriberIds = [...new Set(indexes.map((i) => String(events[i].subscriberId)))];
	const allClicks = indexes.filter((i) => events[i].type === 'click');
	const state = await readBatchState(
		tx,
		campaignId,
		subscriberIds,
		[...new Set(allClicks.map((i) => String(events[i].subscriberId)))],
		[...new Set(allClicks.map((i) => urlKey(clickUrl(events[i]))))],
	);
	const recipients = state.recipients;
	const clicks = allClicks.filter((i) => recipients.has(String(events[i].subscriberId)));
	let links: { ids: Map<string, number>; count: number | null } = { ids: new Map(), count: null };
	if (clicks.length) links = await linkIds(tx, campaignId, [...new Set(clicks.map((i) => clickUrl(events[i])))], state.linkIds);
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
			// the campaign's link count is only needed when this recipient hit another link moments ago
			if (linkId !== null && links.count === null && recentOtherLink(recipient, linkId, atMs)) {
				links.count = await linkCount(tx, campaignId);
			}
			const verdict = classifyHit({
				kind: event.type,
				sinceDeliveryMs: recipient.delivered === null ? null : atMs - Date.parse(recipient.delivered),
				userAgent: event.evidence?.userAgent,
				ip: event.evidence?.ip,
				sendgridMachineOpen: event.evidence?.sendgridMachineOpen,
				mailgunClient: event.evidence?.mailgunClient,
				trapLink: event.evidence?.trapLink,
				allLinksWithinSeconds: linkId !== null && allLinksAtOnce(recipient, linkId, links.count ?? 0, atMs),
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
		d.events.push([event.subscriberId, at, typeCode(event.type), cls, signal, reason, linkId]);
	}
	const known = new Map<string, string>();
	for (const index of indexes) {
		const email = events[index].email;
		if (email && email.includes('@')) known.set(String(events[index].subscriberId), email);
	}
	await writeDeltas(tx, campaignId, d, recipients, known);
}

function clickUrl(event: HistoryEvent): string {
	return (event.templateUrl || event.url || NO_LINK_LABEL).slice(0, 2000);
}

function recentOtherLink(recipient: Recipient, linkId: number, atMs: number): boolean {
	for (const [id, [, last]] of recipient.links ?? []) if (id !== linkId && atMs - last <= ALL_LINKS_WINDOW_MS) return true;
	return false;
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
	if ((prev === null || prev === CLASS_CODES.machine) && cls !== CLASS_CODES.machine) bump(d.domains, r.id, 4, 2);
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
	if (cls === CLASS_CODES.human) bump(d.domains, r.id, 4, 3);
	r.clickClass = cls;
	r.changed = true;
}

function countBounce(d: Deltas, r: Recipient, reason: number, bucket: string): void {
	bump(d.buckets, bucket, 4, 2);
	if (r.bounceReason === reason) return;
	if (r.bounceReason === null) {
		bump(d.counts, String(METRIC.BOUNCED_RECIPIENTS), 1, 0);
		bump(d.domains, r.id, 4, 1);
	} else {
		bump(d.counts, String(METRIC.BOUNCE_REASON_BASE + r.bounceReason), 1, 0, -1);
	}
	bump(d.counts, String(METRIC.BOUNCE_REASON_BASE + reason), 1, 0);
	r.bounceReason = reason;
	r.changed = true;
}

async function writeDeltas(
	tx: SqlExecutor,
	campaignId: string,
	d: Deltas,
	recipients: Map<string, Recipient>,
	known: Map<string, string>,
): Promise<void> {
	if (!d.events.length) return;
	const rows = <K>(map: Map<string, number[]>, key: (k: string) => K[]) =>
		[...map].filter(([, v]) => v.some((n) => n !== 0)).map(([k, v]) => [...key(k), ...v]);
	await writeBatch(tx, {
		campaignId,
		events: d.events,
		counts: rows(d.counts, (k) => [Number(k)]) as number[][],
		buckets: rows(d.buckets, (k) => [Number(k)]) as number[][],
		domains: rows(await byDomain(tx, d.domains, known), (k) => [k]) as Array<[string, ...number[]]>,
		links: rows(d.links, (k) => k.split(':').map(Number)) as number[][],
		clickers: [...d.clickers.values()],
		marks: [...recipients]
			.filter(([, r]) => r.changed)
			.map(([subscriberId, r]) => [subscriberId, r.openClass, r.clickClass, r.bounceReason]),
	});
}

/** Per-subscriber domain deltas folded by receiving domain: only these few addresses are read. */
async function byDomain(tx: SqlExecutor, bySubscriber: Map<string, number[]>, known: Map<string, string>): Promise<Map<string, number[]>> {
	const out = new Map<string, number[]>();
	if (!bySubscriber.size) return out;
	const domainOf = new Map<string, string>();
	const unknown: string[] = [];
	for (const id of bySubscriber.keys()) {
		const email = known.get(id);
		if (email) domainOf.set(id, domainOfAddress(email));
		else unknown.push(id);
	}
	if (unknown.length) {
		const rows = await tx.all(`${PREPARED} SELECT id, email_lower FROM subscribers WHERE id ${inIds(tx.dialect)}`, [idsParam(tx.dialect, unknown)]);
		for (const row of rows) domainOf.set(String(row.id), domainOfAddress(row.email_lower));
	}
	for (const [id, deltas] of bySubscriber) {
		const domain = domainOf.get(id) ?? domainOfAddress(null);
		deltas.forEach((n, slot) => bump(out, domain, 4, slot, n));
	}
	return out;
}

/** Counts messages the relay accepted per receiving domain (the send path calls this with its batch; history lock held). */
export async function recordSendsIn(tx: SqlExecutor, campaignId: string, emails: string[]): Promise<void> {
	if (!emails.length) return;
	const byDomain = new Map<string, number[]>();
	for (const email of emails) bump(byDomain, domainOfAddress(email), 4, 0);
	await writeBatch(tx, {
		campaignId,
		events: [],
		counts: [],
		buckets: [],
		domains: [...byDomain].map(([k, v]) => [k, ...v] as [string, ...number[]]),
		links: [],
		clickers: [],
		marks: [],
	});
}

/** A send batch's outcomes: accepted messages per domain, refusals at send time as bounce events. */
export async function recordSendOutcomesIn(
	tx: SqlExecutor,
	campaignId: string,
	now: string,
	sentEmails: string[],
	refused: Array<{ subscriberId: string; responseCode: number | null; bounce: { kind: FailureKind; reason: string } | null }>,
): Promise<void> {
	await recordSendsIn(tx, campaignId, sentEmails);
	if (!refused.length) return;
	await recordHistoryIn(
		tx,
		refused.map((r) => ({
			campaignId,
			subscriberId: r.subscriberId,
			type: 'bounce' as const,
			occurredAt: now,
			bounceKind: r.bounce?.kind ?? 'hard',
			reason: r.bounce?.reason ?? null,
			smtpStatus: r.responseCode === null ? null : String(r.responseCode),
		})),
	);
}

/**
 * For the audience work (#19), "count only human opens": an SQL condition, with one `?` for the
 * campaign id, that is true when the subscriber in `subscriberColumn` had at least one human open
 * of that campaign. Read from the send log's best open class, so pruning old events does not
 * change it; Apple-proxy opens are `unknown` and machine opens never count.
 *   `... WHERE ${humanOpenSql('s.id')}`, params [campaignId]
 */
export function humanOpenSql(subscriberColumn: string): string {
	if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/i.test(subscriberColumn)) {
		throw new Error(`'${subscriberColumn}' is not a column reference`);
	}
	return `EXISTS (SELECT 1 FROM send_log h WHERE h.campaign_id = ? AND h.subscriber_id = ${subscriberColumn} AND h.open_class = ${CLASS_CODES.human})`;
}

export async function hadHumanOpen(db: SqlExecutor, campaignId: string, subscriberId: string): Promise<boolean> {
	if (!isCampaignId(campaignId) || !isCampaignId(subscriberId)) return false;
	const row: Row | undefined = await db.get('SELECT open_class FROM send_log WHERE campaign_id = ? AND subscriber_id = ?', [campaignId, subscriberId]);
	return Number(row?.open_class) === CLASS_CODES.human;
}
