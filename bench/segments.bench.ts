/**
 * npm run bench:segments [rows] — the segment engine over a large store, on each backend: seeds
 * `rows` subscribers (default 1,000,000) over 3 lists with 10 custom fields and 20 past
 * campaigns (30 % opens) (bench/segmentsData.ts), then counts the 4-condition benchmark segment
 * (one custom-field comparison, one date window, one list exclusion, one engagement condition;
 * about 10 % of rows), and streams a campaign over it (bench/segmentStream.ts: the campaign's
 * recipient reader, sending stubbed, and its peak RSS over a plain one-list campaign's). Prints
 * one JSON line per backend:
 *   {"backend":"sqlite","rows":1000000,"matched":…,"matchedShare":…,"countMs":…,
 *    "streamRowsPerSec":…,"peakRssRatio":…,"seedSeconds":…,"stream":{…}}
 * Targets on the 2-core machine: count ≤ 1,000 ms on SQLite, ≤ 1,500 ms on PostgreSQL;
 * streamRowsPerSec ≥ 100,000; peakRssRatio ≤ 1.10. floorRowsPerSec is the most any recipient
 * reader could reach here, withoutRowMarksRowsPerSec what one whose claims and `sending` marks
 * wrote no send-log row would (bench/segmentStream.ts).
 * countMs is the best of three counts (the first warms the caches).
 *
 * BENCH_SEGMENTS_REUSE=1 keeps the seeded store for the next run instead of removing it (SQLite:
 * bench/.data/segments-<rows>/, PostgreSQL: schema bench_segments_<rows>) and reuses it when it
 * is there (seedSeconds is then 0); the stream's campaigns are removed from it afterwards. A
 * reused store keeps the indexes it was made with: remove it after changing the schema.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openStore, type StoreConfig } from '../lib/store/openStore';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import { PG_CONNECTION, storeFixture, type Backend } from '../test/helpers/stores';
import { AT, BENCH_SEGMENT, seedSegmentsBench, type SegmentsBenchData } from './segmentsData';
import { measureStream } from './segmentStream';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const backends = (process.argv[3] ?? 'sqlite,postgres').split(',') as Backend[];

const REUSE = process.env.BENCH_SEGMENTS_REUSE === '1';

/** The store to measure, and how to let go of it afterwards. */
async function benchStore(backend: Backend): Promise<{ store: SqlSubscriberStore; config: StoreConfig; release(): Promise<void> }> {
	if (!REUSE) {
		const fixture = storeFixture(backend);
		const store = await fixture.open();
		return { store, config: fixture.config, release: async () => (await store.close(), await fixture.cleanup()) };
	}
	const baseDir = path.join(__dirname, '.data', `segments-${ROWS}`);
	mkdirSync(baseDir, { recursive: true });
	const config: StoreConfig =
		backend === 'sqlite' ? { backend, file: 'bench.sqlite', baseDir } : { backend, ...PG_CONNECTION, schema: `bench_segments_${ROWS}` };
	const store = (await openStore(config)) as SqlSubscriberStore;
	return { store, config, release: () => store.close() };
}

/** The benchmark data already in a reused store, if it was seeded completely (it ends with ANALYZE). */
async function seeded(store: SqlSubscriberStore): Promise<SegmentsBenchData | null> {
	const lists = await store.sql.all<{ id: string | number }>('SELECT id FROM lists ORDER BY id');
	const campaigns = await store.sql.all<{ id: string | number }>("SELECT id FROM campaigns WHERE name LIKE 'Bench campaign %' ORDER BY id");
	if (lists.length !== 3 || campaigns.length !== 20) return null;
	const listIds = lists.map((list) => String(list.id));
	return { listIds, campaignIds: campaigns.map((c) => String(c.id)), segment: BENCH_SEGMENT(listIds), at: AT, rows: ROWS };
}

/**
 * A reused store is left as it was seeded: the stream's two campaigns (half a million send-log
 * rows) would otherwise pile up run after run and slow the next run's engagement lookups.
 */
async function removeStreamCampaigns(store: SqlSubscriberStore): Promise<void> {
	const streamed = "(SELECT id FROM campaigns WHERE name NOT LIKE 'Bench campaign %')";
	await store.sql.transaction(async (tx) => {
		for (const table of ['send_log', 'report_counts', 'report_links', 'report_domains', 'report_buckets', 'report_link_clickers', 'campaign_events', 'campaign_links', 'campaign_provider_stats', 'campaign_provider_pauses']) {
			await tx.run(`DELETE FROM ${table} WHERE campaign_id IN ${streamed}`);
		}
		await tx.run(`DELETE FROM campaigns WHERE id IN ${streamed}`);
	});
}

async function run(backend: Backend): Promise<Record<string, unknown>> {
	const { store, config, release } = await benchStore(backend);
	try {
		const seedStart = process.hrtime.bigint();
		const data = (REUSE ? await seeded(store) : null) ?? (await seedSegmentsBench(store, ROWS));
		const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
		const filter = { segment: { definition: data.segment, at: data.at } };
		const times: number[] = [];
		let matched = 0;
		for (let round = 0; round < 3; round++) {
			const start = process.hrtime.bigint();
			matched = await store.countSubscribers(filter);
			times.push(Number(process.hrtime.bigint() - start) / 1e6);
		}
		const stream = await measureStream(config, data);
		if (REUSE) await removeStreamCampaigns(store);
		return {
			backend,
			rows: ROWS,
			matched,
			matchedShare: Math.round((matched / ROWS) * 1000) / 1000,
			countMs: Math.round(Math.min(...times)),
			countMsRuns: times.map(Math.round),
			streamRowsPerSec: stream.streamRowsPerSec,
			peakRssRatio: stream.peakRssRatio,
			floorRowsPerSec: stream.floorRowsPerSec,
			withoutRowMarksRowsPerSec: stream.withoutRowMarksRowsPerSec,
			seedSeconds: Math.round(seedSeconds),
			stream,
		};
	} finally {
		await release();
	}
}

async function main() {
	for (const backend of backends) console.log(JSON.stringify(await run(backend)));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
