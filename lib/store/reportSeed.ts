/**
 * Bulk seeding of a synthetic campaign and its history, for the report benchmark: recipients,
 * send log and events written by set-based SQL (a million recipients and three million events
 * in well under a minute), then every rollup rebuilt from those events by the same aggregations
 * the recording path keeps incrementally. No classification runs (events carry ready-made
 * classes). Not for production data.
 */
import type { SqlDriver, SqlExecutor } from './driver';
import { CLASS_CODES, METRIC, REASON_4XX, signalCode, STORED_BUCKET_SECONDS, typeCode } from './reportCodes';
import { urlKey } from './reportHistory';
import { domainOf } from './reportSchema';

export interface SeedEventsInput {
	/** An empty list of this store: the recipients are created in it. */
	listId: string;
	/** A draft campaign of that list: it becomes a finished campaign with the seeded history. */
	campaignId: string;
	recipients: number;
	events: number;
	/** Receiving domains, repeated to weight them (recipient i gets domains[i % length]). */
	domains: string[];
	/** Template links clicked (click i goes to links[(i / 7) % length]). */
	links: string[];
	/** When the campaign started (ms) and over how many hours its events spread. */
	startedAt: number;
	spanHours: number;
}

/** Rows 0…n-1 as `i`, for INSERT … SELECT. */
function series(d: SqlDriver['dialect']): string {
	return d === 'postgres' ? 'SELECT generate_series(0, ? - 1)::bigint AS i' : 'SELECT value AS i FROM generate_series(0, ? - 1)';
}

/**
 * The synthetic store: recipients, the send log, the events, then the rollups. Long because it is
 * one script of bulk statements whose order matters (each reads what the one before wrote).
 */
export async function seedCampaignEvents(driver: SqlDriver, input: SeedEventsInput): Promise<void> {
	const d = driver.dialect;
	const started = new Date(input.startedAt).toISOString();
	const startS = Math.floor(input.startedAt / 1000);
	const span = Math.max(1, Math.round(input.spanHours * 3600));
	const pick = (array: string) => (d === 'postgres' ? `(${array}::text[])[1 + (i % ?)]` : `json_extract(${array}, '$[' || CAST(i % ? AS INTEGER) || ']')`);
	const list = (values: string[]) => (d === 'postgres' ? values : JSON.stringify(values));
	const seriesSql = await sqliteSeries(driver);
	// SQLite: a bigger page cache while seeding (one transaction of hundreds of MB), back afterwards
	const cache = d === 'sqlite' ? Object.values((await driver.get('PRAGMA cache_size')) ?? {})[0] : null;
	if (d === 'sqlite') await driver.exec('PRAGMA cache_size = -16384');
	await driver.transaction(async (tx) => {
		await tx.run(
			`INSERT INTO subscribers (list_id, email, email_key, email_lower, status, created_at, updated_at)
			 SELECT ?, e, e, e, 'active', ?, ? FROM (SELECT 'r' || i || '@' || ${pick('?')} AS e FROM (${seriesSql(d)}) s) t`,
			[input.listId, started, started, list(input.domains), input.domains.length, input.recipients],
		);
		await tx.run(
			`INSERT INTO send_log (campaign_id, subscriber_id, state, attempts, updated_at)
			 SELECT ?, id, 'sent', 1, ? FROM subscribers WHERE list_id = ?`,
			[input.campaignId, started, input.listId],
		);
		const first = Number((await tx.get('SELECT MIN(id) AS id FROM subscribers WHERE list_id = ?', [input.listId]))?.id ?? 0);
		for (let index = 0; index < input.links.length; index++) {
			await tx.run('INSERT INTO campaign_links (campaign_id, link_id, url_key, url) VALUES (?, ?, ?, ?)', [
				input.campaignId,
				index + 1,
				urlKey(input.links[index]),
				input.links[index],
			]);
		}
		// per 100 events: 33 deliveries, 41 opens, 18 clicks, 5 bounces, 2 unsubscribes, 1 complaint
		const kind = `CASE WHEN i % 100 < 33 THEN ${typeCode('delivered')} WHEN i % 100 < 73 OR i % 100 = 99 THEN ${typeCode('open')}
			WHEN i % 100 < 91 THEN ${typeCode('click')} WHEN i % 100 < 96 THEN ${typeCode('bounce')}
			WHEN i % 100 < 98 THEN ${typeCode('unsubscribe')} ELSE ${typeCode('complaint')} END`;
		const cls = `CASE WHEN (i / 100) % 10 < 6 THEN ${CLASS_CODES.human} WHEN (i / 100) % 10 < 9 THEN ${CLASS_CODES.unknown} ELSE ${CLASS_CODES.machine} END`;
		const signal = `CASE WHEN (i / 100) % 10 < 6 THEN ${signalCode('default')} WHEN (i / 100) % 10 < 9 THEN ${signalCode('apple-proxy')} ELSE ${signalCode('fast-fetch')} END`;
		await tx.run(
			`INSERT INTO campaign_events (campaign_id, subscriber_id, at, type, class, signal, reason, link_id)
			 SELECT ?, ? + (i * 7919) % ?, ? + ${d === 'postgres' ? '(i * ?::bigint) / ?::bigint' : 'CAST((i * ?) / ? AS INTEGER)'}, k,
			   CASE WHEN k IN (1, 2) THEN c ELSE 0 END, CASE WHEN k IN (1, 2) THEN sg ELSE 0 END,
			   CASE WHEN k = 3 THEN (CASE WHEN i % 3 = 0 THEN ${REASON_4XX} ELSE 1 + (i % 7) END) END,
			   CASE WHEN k = 2 THEN 1 + (i / 7) % ? END
			 FROM (SELECT i, ${kind} AS k, ${cls} AS c, ${signal} AS sg FROM (${seriesSql(d)}) s) t`,
			// in time order: the (campaign, time) index grows at its end instead of at random pages
			[input.campaignId, first, input.recipients, startS, span, input.events, input.links.length, input.events],
		);
		await rebuildRollups(tx, input.campaignId);
		await tx.run(
			`UPDATE campaigns SET status = 'finished', total_recipients = ?, sent = ?, started_at = ?, finished_at = ?,
			 opened = (SELECT COUNT(*) FROM send_log WHERE campaign_id = ? AND open_class IS NOT NULL),
			 clicked = (SELECT COUNT(*) FROM send_log WHERE campaign_id = ? AND click_class IS NOT NULL),
			 bounced = (SELECT COUNT(*) FROM send_log WHERE campaign_id = ? AND bounce_reason IS NOT NULL),
			 unsubscribed = (SELECT COUNT(DISTINCT subscriber_id) FROM campaign_events WHERE campaign_id = ? AND type = ?),
			 complained = (SELECT COUNT(DISTINCT subscriber_id) FROM campaign_events WHERE campaign_id = ? AND type = ?)
			 WHERE id = ?`,
			[
				input.recipients,
				input.recipients,
				started,
				new Date(input.startedAt + 3_600_000).toISOString(),
				...[input.campaignId, input.campaignId, input.campaignId],
				input.campaignId,
				typeCode('unsubscribe'),
				input.campaignId,
				typeCode('complaint'),
				input.campaignId,
			],
		);
	});
	if (d === 'sqlite') await driver.exec(`PRAGMA cache_size = ${Number(cache ?? -2000)}`);
	// PostgreSQL plans by statistics: a store this size would have been analysed by autovacuum long ago
	if (d === 'postgres') {
		for (const table of ['subscribers', 'send_log', 'campaign_events', 'report_link_clickers', 'campaign_links']) await driver.exec(`ANALYZE ${table}`);
	}
}

/** SQLite has no generate_series table function in every build: a recursive CTE does the same. */
async function sqliteSeries(driver: SqlDriver): Promise<(d: SqlDriver['dialect']) => string> {
	if (driver.dialect === 'postgres') return series;
	try {
		await driver.get('SELECT value FROM generate_series(0, 1)');
		return series;
	} catch {
		return () => 'WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1) SELECT i FROM n';
	}
}

/** Every rollup of the campaign rebuilt from its events and the send log (seeding; the recording path keeps them incrementally). */
async function rebuildRollups(tx: SqlExecutor, campaignId: string): Promise<void> {
	const d = tx.dialect;
	const c = campaignId;
	for (const table of ['report_counts', 'report_links', 'report_domains', 'report_buckets', 'report_link_clickers']) {
		await tx.run(`DELETE FROM ${table} WHERE campaign_id = ?`, [c]);
	}
	const mark = async (column: string, aggregate: string, type: string) =>
		tx.run(
			`UPDATE send_log SET ${column} = a.v FROM (SELECT subscriber_id, ${aggregate} AS v FROM campaign_events
			 WHERE campaign_id = ? AND type = ? GROUP BY subscriber_id) a WHERE send_log.campaign_id = ? AND send_log.subscriber_id = a.subscriber_id`,
			[c, typeCode(type as 'open'), c],
		);
	await mark('open_class', 'MIN(class)', 'open');
	await mark('click_class', 'MIN(class)', 'click');
	await mark('bounce_reason', 'MAX(reason)', 'bounce');
	await tx.run(
		`INSERT INTO report_counts (campaign_id, metric, n)
		 SELECT ?, CASE WHEN type = 1 THEN ${METRIC.OPENS_TOTAL} ELSE ${METRIC.CLICKS_TOTAL} END + class, COUNT(*)
		 FROM campaign_events WHERE campaign_id = ? AND type IN (1, 2) GROUP BY type, class`,
		[c, c],
	);
	for (const [base, column] of [
		[METRIC.OPENS_UNIQUE, 'open_class'],
		[METRIC.CLICKS_UNIQUE, 'click_class'],
		[METRIC.BOUNCE_REASON_BASE, 'bounce_reason'],
	] as const) {
		await tx.run(
			`INSERT INTO report_counts (campaign_id, metric, n) SELECT ?, ${base} + ${column}, COUNT(*)
			 FROM send_log WHERE campaign_id = ? AND ${column} IS NOT NULL GROUP BY ${column}`,
			[c, c],
		);
	}
	await tx.run(
		`INSERT INTO report_counts (campaign_id, metric, n) SELECT ?, ${METRIC.BOUNCED_RECIPIENTS}, COUNT(*) FROM send_log WHERE campaign_id = ? AND bounce_reason IS NOT NULL`,
		[c, c],
	);
	await tx.run(
		`INSERT INTO report_link_clickers (campaign_id, subscriber_id, link_id, class, last_at)
		 SELECT ?, subscriber_id, link_id, MIN(class), MAX(at) FROM campaign_events WHERE campaign_id = ? AND type = 2 GROUP BY subscriber_id, link_id`,
		[c, c],
	);
	await tx.run(
		`INSERT INTO report_links (campaign_id, link_id, class, total, uniq)
		 SELECT ?, link_id, class, COUNT(*), 0 FROM campaign_events WHERE campaign_id = ? AND type = 2 GROUP BY link_id, class`,
		[c, c],
	);
	await tx.run(
		`INSERT INTO report_links (campaign_id, link_id, class, total, uniq)
		 SELECT ?, link_id, class, 0, COUNT(*) FROM report_link_clickers WHERE campaign_id = ? GROUP BY link_id, class
		 ON CONFLICT (campaign_id, link_id, class) DO UPDATE SET uniq = excluded.uniq`,
		[c, c],
	);
	const one = (condition: string) => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
	await tx.run(
		`INSERT INTO report_domains (campaign_id, domain, sent, bounced, opened, clicked)
		 SELECT ?, ${domainOf(d, 's.email_lower')}, ${one("l.state = 'sent'")}, ${one('l.bounce_reason IS NOT NULL')},
		 ${one(`l.open_class IN (${CLASS_CODES.human}, ${CLASS_CODES.unknown})`)}, ${one(`l.click_class = ${CLASS_CODES.human}`)}
		 FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id WHERE l.campaign_id = ? GROUP BY ${domainOf(d, 's.email_lower')}`,
		[c, c],
	);
	await tx.run(
		`INSERT INTO report_buckets (campaign_id, bucket, opens, clicks, bounces, unsubscribes)
		 SELECT ?, (at / ${STORED_BUCKET_SECONDS}) * ${STORED_BUCKET_SECONDS},
		 ${one(`type = 1 AND class <> ${CLASS_CODES.machine}`)}, ${one(`type = 2 AND class = ${CLASS_CODES.human}`)},
		 ${one('type = 3')}, ${one('type = 5')}
		 FROM campaign_events WHERE campaign_id = ? GROUP BY (at / ${STORED_BUCKET_SECONDS}) * ${STORED_BUCKET_SECONDS}`,
		[c, c],
	);
}
