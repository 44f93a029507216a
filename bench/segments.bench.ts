/**
 * npm run bench:segments [rows] — the segment engine over a large store, on each backend: seeds
 * `rows` subscribers (default 1,000,000) over 3 lists with 10 custom fields and 20 past
 * campaigns (30 % opens) (bench/segmentsData.ts), then counts the 4-condition benchmark segment
 * (one custom-field comparison, one date window, one list exclusion, one engagement condition;
 * about 10 % of rows). Prints one JSON line per backend:
 *   {"backend":"sqlite","rows":1000000,"matched":…,"matchedShare":…,"countMs":…,"seedSeconds":…}
 * Targets on the 2-core machine: count ≤ 1,000 ms on SQLite, ≤ 1,500 ms on PostgreSQL.
 * countMs is the best of three counts (the first warms the caches).
 */
import { storeFixture, type Backend } from '../test/helpers/stores';
import { seedSegmentsBench } from './segmentsData';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const backends = (process.argv[3] ?? 'sqlite,postgres').split(',') as Backend[];

async function run(backend: Backend): Promise<Record<string, unknown>> {
	const fixture = storeFixture(backend);
	const store = await fixture.open();
	try {
		const seedStart = process.hrtime.bigint();
		const data = await seedSegmentsBench(store, ROWS);
		const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
		const filter = { segment: { definition: data.segment, at: data.at } };
		const times: number[] = [];
		let matched = 0;
		for (let round = 0; round < 3; round++) {
			const start = process.hrtime.bigint();
			matched = await store.countSubscribers(filter);
			times.push(Number(process.hrtime.bigint() - start) / 1e6);
		}
		return {
			backend,
			rows: ROWS,
			matched,
			matchedShare: Math.round((matched / ROWS) * 1000) / 1000,
			countMs: Math.round(Math.min(...times)),
			countMsRuns: times.map(Math.round),
			seedSeconds: Math.round(seedSeconds),
		};
	} finally {
		await store.close();
		await fixture.cleanup();
	}
}

async function main() {
	for (const backend of backends) console.log(JSON.stringify(await run(backend)));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
