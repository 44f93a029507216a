/**
 * SQLite's reads on worker threads (SqlDriver `allInParallel`) and the count that uses them
 * (lib/store subscribers.ts countInParts): each part on a read-only connection of its own, off
 * n8n's thread, reading only what is committed; a count whose parts fail is counted on the
 * store's own connection instead.
 */
import { countSubscribers } from '../../lib/store/subscribers';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { storeFixture, type StoreFixture } from '../helpers/stores';

jest.setTimeout(60_000);

const actor = { type: 'test' };
const SPLIT = { fromRows: 1, maxParts: 2 };
/** How many of p0 … p299 hold "p2" (the search is a substring test on the address and name). */
const COUNT_P2 = Array.from({ length: 300 }, (_, i) => `p${i}@example.com`).filter((email) => email.includes('p2')).length;

describe('SQLite reads on worker threads', () => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let listId: string;

	beforeAll(async () => {
		fixture = storeFixture('sqlite');
		store = await fixture.open();
		listId = (await store.createList({ name: 'News' }, actor)).id;
		const rows = Array.from({ length: 300 }, (_, i) => ({ email: `p${i}@example.com`, fields: { score: i, city: i % 3 === 0 ? 'Tokyo' : 'Osaka' } }));
		await store.bulkUpsert(listId, rows, {}, actor);
	});

	afterAll(async () => {
		await store?.close();
		await fixture?.cleanup();
	});

	it('runs a statement once per parameter set, each on its own connection, with the same answer as the store connection', async () => {
		const sql = 'SELECT COUNT(*) AS n, MIN(id) AS lo FROM subscribers WHERE id >= ? AND id <= ?';
		const sets = [[1, 100], [101, 250], [251, 1000]];
		const answers = await store.sql.allInParallel!(sql, sets);
		const own = [];
		for (const set of sets) own.push(await store.sql.all(sql, set));
		expect(answers).toEqual(own.map((rows) => rows.map((row) => ({ ...row }))));
		expect(answers!.map((rows) => rows[0].n)).toEqual([100, 150, 50]);
	});

	it('reads only what is committed, and reports SQLite errors with their text', async () => {
		const count = 'SELECT COUNT(*) AS n FROM subscribers WHERE name = ?';
		await store.sql.transaction(async (tx) => {
			await tx.run("UPDATE subscribers SET name = 'Uncommitted' WHERE email = 'p0@example.com'");
			// the worker's connection starts now, while this write is not committed
			expect(await store.sql.allInParallel!(count, [['Uncommitted']])).toEqual([[{ n: 0 }]]);
		});
		expect(await store.sql.allInParallel!(count, [['Uncommitted']])).toEqual([[{ n: 1 }]]);
		await expect(store.sql.allInParallel!('SELECT nope FROM subscribers', [[]])).rejects.toThrow('no such column: nope');
		// read-only: a write is refused
		await expect(store.sql.allInParallel!("UPDATE subscribers SET name = 'x'", [[]])).rejects.toThrow(/readonly/);
		expect(await store.sql.get("SELECT COUNT(*) AS n FROM subscribers WHERE name = 'x'")).toEqual({ n: 0 });
	});

	it('counts a filter in parts with the answer of one connection, and on that connection when a part fails', async () => {
		const filters = [
			{ search: 'p2' },
			{ listId, field: { name: 'city', value: 'Tokyo' } },
			{ segment: { definition: { conditions: [{ customField: 'score', type: 'number', operator: 'between', value: [10, 59] }] } } },
			{ segment: { definition: { match: 'any', conditions: [{ customField: 'city', operator: 'equals', value: 'osaka' }, { field: 'email', operator: 'startsWith', value: 'P1' }] } } },
		];
		// Osaka: 200; Tokyo (every third) whose address starts with p1: p12, p15, p18, p102 … p198
		const expected = [COUNT_P2, 100, 50, 200 + 3 + 33];
		const parallel = jest.spyOn(store.sql as Required<typeof store.sql>, 'allInParallel');
		try {
			for (const [index, filter] of filters.entries()) {
				expect(await countSubscribers(store.sql, filter, SPLIT)).toBe(expected[index]);
				expect(await countSubscribers(store.sql, filter, { fromRows: Infinity, maxParts: 2 })).toBe(expected[index]);
			}
			expect(parallel).toHaveBeenCalledTimes(filters.length);
			// by list and status only: an index range, counted on the store's connection
			expect(await countSubscribers(store.sql, { listId, status: 'active' }, SPLIT)).toBe(300);
			expect(parallel).toHaveBeenCalledTimes(filters.length);
			parallel.mockRejectedValue(new Error('worker threads unavailable'));
			expect(await countSubscribers(store.sql, filters[1], SPLIT)).toBe(100);
			expect(parallel).toHaveBeenCalledTimes(filters.length + 1);
		} finally {
			parallel.mockRestore();
		}
	});

	it('leaves the store thread free while the parts run', async () => {
		let ticks = 0;
		const timer = setInterval(() => (ticks += 1), 1);
		try {
			// a statement slow enough to measure: a recursive count of 3 million steps in each part
			const slow = 'WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT COUNT(*) AS n FROM n';
			const started = Date.now();
			const answers = await store.sql.allInParallel!(slow, [[1, 3_000_000], [1, 3_000_000]]);
			expect(answers).toEqual([[{ n: 3_000_000 }], [{ n: 3_000_000 }]]);
			// the timer kept firing while the statements ran (on the store's own thread it could not)
			expect(ticks).toBeGreaterThan((Date.now() - started) / 10);
		} finally {
			clearInterval(timer);
		}
	});
});
