/**
 * Writes of one batch's history: the event rows, the rollup deltas (aggregated in JavaScript per
 * batch) and the recipients' changed marks. Statement texts are fixed, so they are prepared once:
 * on PostgreSQL everything goes in ONE statement (data-modifying CTEs over unnest arrays: one
 * round trip per batch); on SQLite, in-process, one prepared single-row statement per row.
 */
import type { SqlExecutor } from './driver';
import { PREPARED } from './postgresDriver';

export interface BatchWrites {
	campaignId: string;
	/** [subscriber_id, at, type, class, signal, reason, link_id] */
	events: unknown[][];
	/** [metric, n] */
	counts: number[][];
	/** [bucket, opens, clicks, bounces, unsubscribes] */
	buckets: number[][];
	/** [domain, sent, bounced, opened, clicked] */
	domains: Array<[string, ...number[]]>;
	/** [link_id, class, total, uniq] */
	links: number[][];
	/** [subscriber_id, link_id, class, last_at] */
	clickers: unknown[][];
	/** [subscriber_id, open_class, click_class, bounce_reason] */
	marks: unknown[][];
}

const col = (rows: unknown[][], index: number) => rows.map((row) => row[index]);

const PG_BATCH_SQL = `${PREPARED} WITH
 ev AS (INSERT INTO campaign_events (campaign_id, subscriber_id, at, type, class, signal, reason, link_id)
   SELECT ?::bigint, v.* FROM unnest(?::bigint[], ?::bigint[], ?::smallint[], ?::smallint[], ?::smallint[], ?::smallint[], ?::int[]) AS v),
 co AS (INSERT INTO report_counts (campaign_id, metric, n) SELECT ?::bigint, v.* FROM unnest(?::int[], ?::bigint[]) AS v
   ON CONFLICT (campaign_id, metric) DO UPDATE SET n = report_counts.n + excluded.n),
 bu AS (INSERT INTO report_buckets (campaign_id, bucket, opens, clicks, bounces, unsubscribes)
   SELECT ?::bigint, v.* FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS v
   ON CONFLICT (campaign_id, bucket) DO UPDATE SET opens = report_buckets.opens + excluded.opens,
   clicks = report_buckets.clicks + excluded.clicks, bounces = report_buckets.bounces + excluded.bounces,
   unsubscribes = report_buckets.unsubscribes + excluded.unsubscribes),
 do_ AS (INSERT INTO report_domains (campaign_id, domain, sent, bounced, opened, clicked)
   SELECT ?::bigint, v.* FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS v
   ON CONFLICT (campaign_id, domain) DO UPDATE SET sent = report_domains.sent + excluded.sent,
   bounced = report_domains.bounced + excluded.bounced, opened = report_domains.opened + excluded.opened,
   clicked = report_domains.clicked + excluded.clicked),
 li AS (INSERT INTO report_links (campaign_id, link_id, class, total, uniq)
   SELECT ?::bigint, v.* FROM unnest(?::int[], ?::smallint[], ?::bigint[], ?::bigint[]) AS v
   ON CONFLICT (campaign_id, link_id, class) DO UPDATE SET total = report_links.total + excluded.total, uniq = report_links.uniq + excluded.uniq),
 cl AS (INSERT INTO report_link_clickers (campaign_id, subscriber_id, link_id, class, last_at)
   SELECT ?::bigint, v.* FROM unnest(?::bigint[], ?::int[], ?::smallint[], ?::bigint[]) AS v
   ON CONFLICT (campaign_id, subscriber_id, link_id) DO UPDATE SET class = excluded.class, last_at = excluded.last_at),
 ma AS (UPDATE send_log AS l SET open_class = v.o, click_class = v.c, bounce_reason = v.b
   FROM unnest(?::bigint[], ?::smallint[], ?::smallint[], ?::smallint[]) AS v(s, o, c, b)
   WHERE l.campaign_id = ? AND l.subscriber_id = v.s)
SELECT 1 AS done`;

/** SQLite: rows passed as one JSON array, read with json_each (one fixed statement per table). */
const j = (n: number) => Array.from({ length: n }, (_, i) => `json_extract(value, '$[${i}]')`).join(', ');
const SQLITE = {
	event: `INSERT INTO campaign_events (campaign_id, subscriber_id, at, type, class, signal, reason, link_id)
		SELECT ?, ${j(7)} FROM json_each(?)`,
	count: `INSERT INTO report_counts (campaign_id, metric, n) SELECT ?, ${j(2)} FROM json_each(?) WHERE true
		ON CONFLICT (campaign_id, metric) DO UPDATE SET n = n + excluded.n`,
	bucket: `INSERT INTO report_buckets (campaign_id, bucket, opens, clicks, bounces, unsubscribes) SELECT ?, ${j(5)} FROM json_each(?) WHERE true
		ON CONFLICT (campaign_id, bucket) DO UPDATE SET opens = opens + excluded.opens, clicks = clicks + excluded.clicks,
		bounces = bounces + excluded.bounces, unsubscribes = unsubscribes + excluded.unsubscribes`,
	domain: `INSERT INTO report_domains (campaign_id, domain, sent, bounced, opened, clicked) SELECT ?, ${j(5)} FROM json_each(?) WHERE true
		ON CONFLICT (campaign_id, domain) DO UPDATE SET sent = sent + excluded.sent, bounced = bounced + excluded.bounced,
		opened = opened + excluded.opened, clicked = clicked + excluded.clicked`,
	link: `INSERT INTO report_links (campaign_id, link_id, class, total, uniq) SELECT ?, ${j(4)} FROM json_each(?) WHERE true
		ON CONFLICT (campaign_id, link_id, class) DO UPDATE SET total = total + excluded.total, uniq = uniq + excluded.uniq`,
	clicker: `INSERT INTO report_link_clickers (campaign_id, subscriber_id, link_id, class, last_at) SELECT ?, ${j(4)} FROM json_each(?) WHERE true
		ON CONFLICT (campaign_id, subscriber_id, link_id) DO UPDATE SET class = excluded.class, last_at = excluded.last_at`,
	// per row: an UPDATE … FROM json_each is planned as a scan of the campaign's send log
	mark: 'UPDATE send_log SET open_class = ?, click_class = ?, bounce_reason = ? WHERE campaign_id = ? AND subscriber_id = ?',
};

/** Ids as numbers in the JSON (they are row ids), so SQLite compares them as integers. */
const asJson = (rows: unknown[][], idColumns: number[] = []) =>
	JSON.stringify(idColumns.length ? rows.map((row) => row.map((v, i) => (idColumns.includes(i) ? Number(v) : v))) : rows);

export async function writeBatch(tx: SqlExecutor, w: BatchWrites): Promise<void> {
	const c = w.campaignId;
	if (tx.dialect === 'postgres') {
		await tx.get(PG_BATCH_SQL, [
			c,
			...[0, 1, 2, 3, 4, 5, 6].map((i) => col(w.events, i)),
			c,
			...[0, 1].map((i) => col(w.counts, i)),
			c,
			...[0, 1, 2, 3, 4].map((i) => col(w.buckets, i)),
			c,
			...[0, 1, 2, 3, 4].map((i) => col(w.domains, i)),
			c,
			...[0, 1, 2, 3].map((i) => col(w.links, i)),
			c,
			...[0, 1, 2, 3].map((i) => col(w.clickers, i)),
			...[0, 1, 2, 3].map((i) => col(w.marks, i)),
			c,
		]);
		return;
	}
	if (w.events.length) await tx.run(SQLITE.event, [c, asJson(w.events, [0])]);
	if (w.counts.length) await tx.run(SQLITE.count, [c, asJson(w.counts)]);
	if (w.buckets.length) await tx.run(SQLITE.bucket, [c, asJson(w.buckets)]);
	if (w.domains.length) await tx.run(SQLITE.domain, [c, asJson(w.domains)]);
	if (w.links.length) await tx.run(SQLITE.link, [c, asJson(w.links)]);
	if (w.clickers.length) await tx.run(SQLITE.clicker, [c, asJson(w.clickers, [0])]);
	for (const [subscriberId, open, click, bounce] of w.marks) await tx.run(SQLITE.mark, [open, click, bounce, c, subscriberId]);
}
