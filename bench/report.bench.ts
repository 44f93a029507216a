/**
 * npm run bench:report — campaign reports (issue #18) on a 1,000,000-recipient campaign with
 * 3,000,000 events in the store, SQLite and then PostgreSQL.
 *
 * Per backend: a fresh store is seeded in bulk (SqlSubscriberStore.seedCampaignEvents: the
 * recipients, the send log, 3M events with their classes, every rollup rebuilt from the events by
 * SQL aggregation). Then, in this one process:
 *   - getReportMs: store.getCampaignReport (Asia/Tokyo, auto buckets, top 10 domains), median of 5;
 *   - htmlReportMs: lib/reports renderReportHtml of that report (SVG charts), median of 5;
 *   - peakRssMb: the process's peak resident set up to the end of the report runs (seeding
 *     included: it runs in this process); peakRssWithIngestMb adds the store-only ingestion loop
 *     that follows (it keeps every event it sent, to re-send some as duplicates);
 *   - ingestSlowdownPct: what the issue asks — the Bounce Webhook's batched ingestion in real n8n
 *     (bench:events' batched phase: requests of 48 signed SendGrid events) with the history
 *     recorded vs not, in the same run: bench/ingestHistory.bench.ts, two n8n instances side by
 *     side, one started with the history switched off, fed in alternating blocks;
 *   - storeIngestSlowdownPct: the store's share alone, stricter (no HTTP, signature or n8n work in
 *     the denominator): lib/webhook recordEvents into the big campaign, batches of 48 events
 *     (deliveries, opens, clicks, deferrals, bounces, complaints, unsubscribes, 10 % re-sent
 *     duplicates) with the history recorded vs switched off (store.setEventHistoryRecording),
 *     batch by batch in turn: (time with / time without − 1) × 100.
 * Targets: getReportMs ≤ 2000, htmlReportMs ≤ 3000, peakRssMb ≤ 300, ingestSlowdownPct ≤ 10.
 *
 * One JSON line per backend:
 *   {"backend":"sqlite"|"postgres","getReportMs":…,"htmlReportMs":…,"peakRssMb":…,"peakRssWithIngestMb":…,
 *    "ingestSlowdownPct":…,"storeIngestSlowdownPct":…,"webhook":{…bench/ingestHistory.bench.ts's line}}
 * `--scale=0.1` seeds a tenth (quick check); `--backend=sqlite|postgres` runs one; `--no-webhook`
 * skips the n8n part (ingestSlowdownPct is then null).
 */
import { spawnSync } from 'node:child_process';
import { createCampaign } from '../lib/campaign';
import type { NormalisedEvent } from '../lib/events';
import { renderReportHtml } from '../lib/reports';
import type { SqlExecutor } from '../lib/store';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import { recordEvents } from '../lib/webhook';
import { storeFixture, type Backend } from '../test/helpers/stores';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SCALE = Number(arg('scale') ?? 1);
const RECIPIENTS = Math.round(1_000_000 * SCALE);
const EVENTS = Math.round(3_000_000 * SCALE);
const BACKENDS: Backend[] = arg('backend') ? [arg('backend') as Backend] : ['sqlite', 'postgres'];
const BATCH = 48;
const BLOCKS = 10; // BLOCKS × batches per block batches in all, half with and half without history
const BATCHES_PER_BLOCK = Number(arg('batches') ?? 30);
const actor = { type: 'bench' };

const DOMAINS = [
	...Array<string>(30).fill('gmail.com'),
	...Array<string>(18).fill('yahoo.co.jp'),
	...Array<string>(10).fill('docomo.ne.jp'),
	...Array<string>(9).fill('icloud.com'),
	...Array<string>(6).fill('ezweb.ne.jp'),
	...Array<string>(6).fill('outlook.com'),
	...Array<string>(4).fill('softbank.ne.jp'),
	...Array.from({ length: 17 }, (_, i) => `company${i}.co.jp`),
];
const LINKS = Array.from({ length: 12 }, (_, i) => `https://shop.example.jp/items/${i}?utm_source=mail`);

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

async function timed<T>(work: () => Promise<T> | T): Promise<[number, T]> {
	const start = process.hrtime.bigint();
	const result = await work();
	return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

let eventSeq = 0;
function batchOf(campaignId: string, firstId: number, recipients: number, sent: NormalisedEvent[]): NormalisedEvent[] {
	const events: NormalisedEvent[] = [];
	for (let n = 0; n < BATCH; n++) {
		eventSeq++;
		if (eventSeq % 10 === 0 && sent.length) {
			events.push(sent[(eventSeq * 31) % sent.length]);
			continue;
		}
		const index = (eventSeq * 2654435761) % recipients;
		const subscriberId = String(firstId + index);
		const roll = eventSeq % 200;
		const base = {
			provider: 'sendgrid' as const,
			eventId: `bench-${eventSeq}`,
			messageId: `msg-${subscriberId}`,
			recipient: `r${index}@${DOMAINS[index % DOMAINS.length]}`,
			smtpStatus: null,
			diagnostic: null,
			occurredAt: new Date().toISOString(),
			campaignId,
			subscriberId,
		};
		const raw = { useragent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)', ip: '203.0.113.9', sg_machine_open: false };
		let event: NormalisedEvent;
		if (roll < 120) event = { ...base, kind: 'delivered' };
		else if (roll < 160) event = { ...base, kind: 'open', raw };
		else if (roll < 176) event = { ...base, kind: 'click', url: LINKS[eventSeq % LINKS.length], raw };
		else if (roll < 184) event = { ...base, kind: 'deferred', smtpStatus: '4.7.0' };
		else if (roll < 190) event = { ...base, kind: 'soft', reason: 'expired', smtpStatus: '4.4.2', diagnostic: '421 4.4.2 timeout' };
		else if (roll < 196) event = { ...base, kind: 'hard', reason: 'userunknown', smtpStatus: '5.1.1', diagnostic: '550 5.1.1 no such user' };
		else if (roll < 199) event = { ...base, kind: 'complaint', reason: 'feedback' };
		else event = { ...base, kind: 'unsubscribe' };
		sent.push(event);
		events.push(event);
	}
	return events;
}

async function ingestSlowdown(store: SqlSubscriberStore, campaignId: string, firstId: number): Promise<{ pct: number; withMs: number; withoutMs: number; events: number }> {
	const sent: NormalisedEvent[] = [];
	const totals = { with: 0, without: 0 };
	// the time spent inside the history's own recording, to tell its cost from the machine's noise
	let insideMs = 0;
	const record = store.recordCampaignHistoryIn.bind(store);
	const stats = new Map<string, [number, number]>();
	store.recordCampaignHistoryIn = async (tx, events) => {
		const traced = process.env.BENCH_TRACE ? traceSql(tx, stats) : tx;
		const [ms, result] = await timed(() => record(traced, events));
		insideMs += ms;
		return result;
	};
	// warm-up: statement caches and the pages of the touched tables
	for (let i = 0; i < 5; i++) await recordEvents(store, batchOf(campaignId, firstId, RECIPIENTS, sent), { actor, complaintPause: false });
	// batch by batch, with and without in turn (pairs in alternating order): the load of a shared
	// machine drifts over seconds, and so hits both sides alike
	for (let pair = 0; pair < (BLOCKS * BATCHES_PER_BLOCK) / 2; pair++) {
		for (const withHistory of pair % 2 ? [true, false] : [false, true]) {
			store.setEventHistoryRecording(withHistory);
			const batch = batchOf(campaignId, firstId, RECIPIENTS, sent);
			const [ms] = await timed(() => recordEvents(store, batch, { actor, complaintPause: false }));
			totals[withHistory ? 'with' : 'without'] += ms;
		}
	}
	store.setEventHistoryRecording(true);
	process.stderr.write(`[bench:report] time inside the history recording: ${Math.round(insideMs)} ms\n`);
	for (const [sql, [n, ms]] of stats) process.stderr.write(`  ${n} × ${sql}: ${Math.round(ms)} ms\n`);
	return {
		pct: Math.round((totals.with / totals.without - 1) * 1000) / 10,
		withMs: Math.round(totals.with),
		withoutMs: Math.round(totals.without),
		events: (BLOCKS / 2) * BATCHES_PER_BLOCK * BATCH,
	};
}

/** BENCH_TRACE=1: time per statement inside the history recording. */
function traceSql(tx: SqlExecutor, stats: Map<string, [number, number]>): SqlExecutor {
	const wrap =
		<R>(call: (sql: string, params?: unknown[]) => Promise<R>) =>
		async (sql: string, params?: unknown[]): Promise<R> => {
			const [ms, result] = await timed(() => call(sql, params));
			const key = sql.replace(/\s+/g, ' ').slice(0, 60);
			const entry = stats.get(key) ?? [0, 0];
			entry[0]++;
			entry[1] += ms;
			stats.set(key, entry);
			return result;
		};
	return {
		dialect: tx.dialect,
		all: wrap((sql, params) => tx.all(sql, params)) as SqlExecutor['all'],
		get: wrap((sql, params) => tx.get(sql, params)) as SqlExecutor['get'],
		run: wrap((sql, params) => tx.run(sql, params)),
		exec: (sql) => tx.exec(sql),
	};
}

async function runBackend(backend: Backend): Promise<void> {
	const fixture = storeFixture(backend);
	const store = await fixture.open();
	try {
		const list = await store.createList({ name: 'Bench recipients' }, actor);
		const campaign = await createCampaign(
			store,
			{ name: 'Bench campaign / ベンチ', listId: list.id, template: { subject: 'Hi', html: '<p>Hi</p>', from: 'news@sender.example' } },
			actor,
		);
		const [seedMs] = await timed(() =>
			store.seedCampaignEvents({
				listId: list.id,
				campaignId: campaign.id,
				recipients: RECIPIENTS,
				events: EVENTS,
				domains: DOMAINS,
				links: LINKS,
				startedAt: Date.now() - 40 * 3_600_000,
				spanHours: 40,
			}),
		);
		const events = Number((await store.sql.get('SELECT COUNT(*) AS n FROM campaign_events'))?.n);
		process.stderr.write(`[bench:report] ${backend}: seeded ${RECIPIENTS} recipients, ${events} events in ${Math.round(seedMs / 1000)} s\n`);
		const first = Number((await store.sql.get('SELECT MIN(id) AS id FROM subscribers WHERE list_id = ?', [list.id]))?.id);
		const reportRuns: number[] = [];
		const htmlRuns: number[] = [];
		let html = '';
		for (let run = 0; run < 5; run++) {
			const [reportMs, report] = await timed(() => store.getCampaignReport(campaign.id, { timeZone: 'Asia/Tokyo', bucket: 'auto', topDomains: 10 }));
			reportRuns.push(reportMs);
			const [htmlMs, page] = await timed(() => renderReportHtml(report, { language: run % 2 ? 'ja' : 'en' }));
			htmlRuns.push(htmlMs);
			html = page;
		}
		// the report's figure: seeding, Get Report and the HTML rendering (the ingestion loop below
		// keeps every event it sent, for re-sending duplicates: its memory is the benchmark's own)
		const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
		const ingest = await ingestSlowdown(store, campaign.id, first);
		process.stderr.write(
			`[bench:report] ${backend}: report runs ${reportRuns.map(Math.round).join('/')} ms, html runs ${htmlRuns.map(Math.round).join('/')} ms ` +
				`(${Math.round(html.length / 1024)} KiB); ingestion of ${ingest.events} events each way: ${ingest.withMs} ms with history, ${ingest.withoutMs} ms without\n`,
		);
		const webhook = process.argv.includes('--no-webhook') ? null : webhookIngestion(backend);
		process.stdout.write(
			JSON.stringify({
				backend,
				getReportMs: Math.round(median(reportRuns)),
				htmlReportMs: Math.round(median(htmlRuns)),
				peakRssMb,
				peakRssWithIngestMb: Math.round(process.resourceUsage().maxRSS / 1024),
				ingestSlowdownPct: webhook ? webhook.ingestSlowdownPct : null,
				storeIngestSlowdownPct: ingest.pct,
				webhook,
			}) + '\n',
		);
	} finally {
		await store.close();
		await fixture.cleanup();
	}
}

/** bench/ingestHistory.bench.ts on this backend (its own processes: this one's peak RSS stays its own). */
function webhookIngestion(backend: Backend): { ingestSlowdownPct: number } & Record<string, unknown> {
	const result = spawnSync(process.execPath, [...process.execArgv, 'bench/ingestHistory.bench.ts', `--store=${backend}`], {
		stdio: ['ignore', 'pipe', 'inherit'],
		encoding: 'utf8',
	});
	if (result.status !== 0) throw new Error(`the webhook ingestion run failed (exit ${String(result.status)})`);
	return JSON.parse(result.stdout.trim().split('\n').pop()!) as { ingestSlowdownPct: number };
}

/** Each backend in a process of its own, so its peak RSS is its own. */
async function main(): Promise<void> {
	if (process.argv.includes('--child')) return runBackend(BACKENDS[0]);
	for (const backend of BACKENDS) {
		const args = [...process.execArgv, process.argv[1], ...process.argv.slice(2).filter((a) => !a.startsWith('--backend=')), `--backend=${backend}`, '--child'];
		const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
		if (result.status !== 0) throw new Error(`the ${backend} run failed (exit ${String(result.status)})`);
	}
}

main().catch((error) => {
	process.stderr.write(`[bench:report] FAILED: ${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
