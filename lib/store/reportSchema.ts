/**
 * Migration 8's tables: the campaign event history and the rollups the report reads (issue #18).
 *
 * - `campaign_events`: one compact row per recorded event (integer codes, Unix seconds, no IP
 *   address or user agent), indexed by (campaign, time) for pruning. The report never reads it.
 * - `campaign_links`: a campaign's template links, numbered per campaign; events and rollups
 *   carry the number.
 * - `report_counts`, `report_links`, `report_domains`, `report_buckets`: the rollups, updated in
 *   the transaction that records each event (reportHistory.ts), so a report is a few small reads.
 * - `report_link_clickers`: who clicked which link (best class, last time), for unique per-link
 *   clicks and the "every link at once" scanner signal.
 * - `send_log.open_class` / `click_class` / `bounce_reason`: each recipient's best open and click
 *   class and last bounce reason, for unique figures; they outlive pruning (the audience work's
 *   "human opens only" reads `open_class`, see humanOpenSql in reportHistory.ts).
 *
 * No foreign keys, like campaign_provider_stats: a campaign's own figures.
 */
import type { Dialect, SqlExecutor } from './driver';
import { CLASS_CODES, METRIC, REASON_5XX, STORED_BUCKET_SECONDS } from './reportCodes';

const ref = (d: Dialect) => (d === 'sqlite' ? 'INTEGER' : 'BIGINT');
const small = (d: Dialect) => (d === 'sqlite' ? 'INTEGER' : 'SMALLINT');
const noRowid = (d: Dialect) => (d === 'sqlite' ? ' WITHOUT ROWID' : '');

export function REPORT_TABLES(d: Dialect): string[] {
	return [
		// PostgreSQL: 8-byte columns first, then the 2- and 4-byte ones, so no padding between them.
		`CREATE TABLE campaign_events (
			campaign_id ${ref(d)} NOT NULL,
			subscriber_id ${ref(d)} NOT NULL,
			at ${ref(d)} NOT NULL,
			type ${small(d)} NOT NULL,
			class ${small(d)} NOT NULL DEFAULT 0,
			signal ${small(d)} NOT NULL DEFAULT 0,
			reason ${small(d)},
			link_id INTEGER
		)`,
		'CREATE INDEX campaign_events_at ON campaign_events (campaign_id, at)',
		`CREATE TABLE campaign_links (
			campaign_id ${ref(d)} NOT NULL,
			link_id INTEGER NOT NULL,
			url_key TEXT NOT NULL,
			url TEXT NOT NULL,
			PRIMARY KEY (campaign_id, link_id)
		)${noRowid(d)}`,
		'CREATE UNIQUE INDEX campaign_links_url ON campaign_links (campaign_id, url_key)',
		`CREATE TABLE report_counts (
			campaign_id ${ref(d)} NOT NULL,
			metric INTEGER NOT NULL,
			n ${ref(d)} NOT NULL DEFAULT 0,
			PRIMARY KEY (campaign_id, metric)
		)${noRowid(d)}`,
		`CREATE TABLE report_links (
			campaign_id ${ref(d)} NOT NULL,
			link_id INTEGER NOT NULL,
			class ${small(d)} NOT NULL,
			total ${ref(d)} NOT NULL DEFAULT 0,
			uniq ${ref(d)} NOT NULL DEFAULT 0,
			PRIMARY KEY (campaign_id, link_id, class)
		)${noRowid(d)}`,
		`CREATE TABLE report_domains (
			campaign_id ${ref(d)} NOT NULL,
			domain TEXT NOT NULL,
			sent ${ref(d)} NOT NULL DEFAULT 0,
			bounced ${ref(d)} NOT NULL DEFAULT 0,
			opened ${ref(d)} NOT NULL DEFAULT 0,
			clicked ${ref(d)} NOT NULL DEFAULT 0,
			PRIMARY KEY (campaign_id, domain)
		)${noRowid(d)}`,
		`CREATE TABLE report_buckets (
			campaign_id ${ref(d)} NOT NULL,
			bucket ${ref(d)} NOT NULL,
			opens ${ref(d)} NOT NULL DEFAULT 0,
			clicks ${ref(d)} NOT NULL DEFAULT 0,
			bounces ${ref(d)} NOT NULL DEFAULT 0,
			unsubscribes ${ref(d)} NOT NULL DEFAULT 0,
			PRIMARY KEY (campaign_id, bucket)
		)${noRowid(d)}`,
		`CREATE TABLE report_link_clickers (
			campaign_id ${ref(d)} NOT NULL,
			subscriber_id ${ref(d)} NOT NULL,
			link_id INTEGER NOT NULL,
			class ${small(d)} NOT NULL,
			last_at ${ref(d)} NOT NULL,
			PRIMARY KEY (campaign_id, subscriber_id, link_id)
		)${noRowid(d)}`,
		`ALTER TABLE send_log ADD COLUMN open_class ${small(d)}`,
		`ALTER TABLE send_log ADD COLUMN click_class ${small(d)}`,
		`ALTER TABLE send_log ADD COLUMN bounce_reason ${small(d)}`,
	];
}

const domainOf = (d: Dialect, column: string) =>
	d === 'sqlite' ? `substr(${column}, instr(${column}, '@') + 1)` : `split_part(${column}, '@', 2)`;

const bucketOf = (d: Dialect, column: string) =>
	d === 'sqlite'
		? `(CAST(strftime('%s', ${column}) AS INTEGER) / ${STORED_BUCKET_SECONDS}) * ${STORED_BUCKET_SECONDS}`
		: `(floor(extract(epoch from ${column}::timestamptz) / ${STORED_BUCKET_SECONDS}) * ${STORED_BUCKET_SECONDS})::bigint`;

/**
 * Campaigns sent before the history existed: their per-recipient first open / click / bounce
 * times become rollups, so their reports show what was known. Opens and clicks of that time had
 * no class: they count as `unknown` (so not in the human click figures); bounces had no reason
 * here: they count as `5xx` (only hard bounces were marked). No raw events are made up.
 */
export async function backfillReportRollups(tx: SqlExecutor): Promise<void> {
	const d = tx.dialect;
	const unknown = CLASS_CODES.unknown;
	await tx.run(`UPDATE send_log SET open_class = ? WHERE opened_at IS NOT NULL`, [unknown]);
	await tx.run(`UPDATE send_log SET click_class = ? WHERE clicked_at IS NOT NULL`, [unknown]);
	await tx.run(`UPDATE send_log SET bounce_reason = ? WHERE bounced_at IS NOT NULL`, [REASON_5XX]);
	const counts: Array<[number, string]> = [
		[METRIC.OPENS_UNIQUE + unknown, 'opened_at'],
		[METRIC.OPENS_TOTAL + unknown, 'opened_at'],
		[METRIC.CLICKS_UNIQUE + unknown, 'clicked_at'],
		[METRIC.CLICKS_TOTAL + unknown, 'clicked_at'],
		[METRIC.BOUNCED_RECIPIENTS, 'bounced_at'],
		[METRIC.BOUNCE_REASON_BASE + REASON_5XX, 'bounced_at'],
	];
	for (const [metric, column] of counts) {
		await tx.run(
			`INSERT INTO report_counts (campaign_id, metric, n)
			 SELECT campaign_id, ?, COUNT(*) FROM send_log WHERE ${column} IS NOT NULL GROUP BY campaign_id`,
			[metric],
		);
	}
	const one = (condition: string) => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
	await tx.run(
		`INSERT INTO report_domains (campaign_id, domain, sent, bounced, opened, clicked)
		 SELECT l.campaign_id, ${domainOf(d, 's.email_lower')}, ${one("l.state = 'sent'")}, ${one('l.bounced_at IS NOT NULL')},
		 ${one('l.opened_at IS NOT NULL')}, 0
		 FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id
		 WHERE l.state = 'sent' OR l.bounced_at IS NOT NULL OR l.opened_at IS NOT NULL
		 GROUP BY l.campaign_id, ${domainOf(d, 's.email_lower')}`,
	);
	const part = (column: string, o: number, b: number, u: number) =>
		`SELECT campaign_id, ${bucketOf(d, column)} AS bucket, ${o} AS o, ${b} AS b, ${u} AS u FROM send_log WHERE ${column} IS NOT NULL`;
	await tx.run(
		`INSERT INTO report_buckets (campaign_id, bucket, opens, clicks, bounces, unsubscribes)
		 SELECT campaign_id, bucket, SUM(o), 0, SUM(b), SUM(u) FROM (
		   ${part('opened_at', 1, 0, 0)} UNION ALL ${part('bounced_at', 0, 1, 0)} UNION ALL ${part('unsubscribed_at', 0, 0, 1)}
		 ) parts GROUP BY campaign_id, bucket`,
	);
}
