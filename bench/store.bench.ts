/**
 * npm run bench:store — 200,000 upserts in batches and a full paged read, on each backend, each
 * into a fresh store. Prints one JSON line per backend:
 *   {"backend":"sqlite","rows":200000,"upsertsPerSec":...,"getManyRowsPerSec":...}
 * Targets on the 2-core machine: SQLite ≥ 50,000 upserts/s, PostgreSQL ≥ 20,000 upserts/s.
 */
import { storeFixture, type Backend } from '../test/helpers/stores';

const ROWS = Number(process.argv[2] ?? 200_000);
const BATCH = 5_000;
const PAGE = 5_000;
const actor = { type: 'bench' };

function row(i: number) {
	return {
		email: `user${i}@example${i % 97}.com`,
		name: `User ${i}`,
		fields: { city: ['Osaka', 'Tokyo', 'Kyoto'][i % 3], plan: i % 2 ? 'gold' : 'free', score: i % 100 },
	};
}

async function run(backend: Backend): Promise<Record<string, unknown>> {
	const fixture = storeFixture(backend);
	const store = await fixture.open();
	try {
		const list = await store.createList({ name: 'bench' }, actor);
		let created = 0;
		const startUpsert = process.hrtime.bigint();
		for (let offset = 0; offset < ROWS; offset += BATCH) {
			const batch = Array.from({ length: Math.min(BATCH, ROWS - offset) }, (_, k) => row(offset + k));
			created += (await store.bulkUpsert(list.id, batch, {}, actor)).created;
		}
		const upsertSeconds = Number(process.hrtime.bigint() - startUpsert) / 1e9;
		if (created !== ROWS) throw new Error(`expected ${ROWS} created, got ${created}`);

		// A second pass over a tenth of the rows with changed fields: the update path.
		const startUpdate = process.hrtime.bigint();
		const updateRows = Math.floor(ROWS / 10);
		let updated = 0;
		for (let offset = 0; offset < updateRows; offset += BATCH) {
			const batch = Array.from({ length: Math.min(BATCH, updateRows - offset) }, (_, k) => ({
				...row(offset + k),
				fields: { plan: 'platinum' },
			}));
			updated += (await store.bulkUpsert(list.id, batch, {}, actor)).updated;
		}
		const updateSeconds = Number(process.hrtime.bigint() - startUpdate) / 1e9;
		if (updated !== updateRows) throw new Error(`expected ${updateRows} updated, got ${updated}`);

		const startRead = process.hrtime.bigint();
		let read = 0;
		let cursor: string | null = null;
		do {
			const page = await store.getSubscribers({ listId: list.id }, { limit: PAGE, cursor });
			read += page.items.length;
			cursor = page.next;
		} while (cursor);
		const readSeconds = Number(process.hrtime.bigint() - startRead) / 1e9;
		if (read !== ROWS) throw new Error(`expected to read ${ROWS}, got ${read}`);

		return {
			backend,
			rows: ROWS,
			upsertsPerSec: Math.round(ROWS / upsertSeconds),
			updatesPerSec: Math.round(updateRows / updateSeconds),
			getManyRowsPerSec: Math.round(read / readSeconds),
			batch: BATCH,
			peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
		};
	} finally {
		await store.close();
		await fixture.cleanup();
	}
}

async function main() {
	for (const backend of ['sqlite', 'postgres'] as Backend[]) {
		console.log(JSON.stringify(await run(backend)));
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
