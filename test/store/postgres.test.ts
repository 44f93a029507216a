import { Client as PgClient } from 'pg';
import { openStore } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { PG_CONNECTION, storeFixture } from '../helpers/stores';
import { storeContract } from './contract';

storeContract('postgres');

describe('PostgreSQL store connection errors', () => {
	it('says when the server refuses the connection', async () => {
		await expect(
			openStore({ backend: 'postgres', ...PG_CONNECTION, port: 1, connectTimeoutMs: 2000 }),
		).rejects.toThrow(/refused the connection/);
	});

	it('says when the database does not exist, without the password', async () => {
		const attempt = openStore({ backend: 'postgres', ...PG_CONNECTION, database: 'no_such_db_bm', password: 's3cret-pw' });
		await expect(attempt).rejects.toThrow(/database 'no_such_db_bm' does not exist/);
		await expect(attempt).rejects.not.toThrow(/s3cret-pw/);
	});

	it('refuses a schema name that is not a plain identifier', async () => {
		await expect(openStore({ backend: 'postgres', ...PG_CONNECTION, schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(/schema name/);
	});
});

describe('PostgreSQL bulk upsert plan', () => {
	const fixture = storeFixture('postgres');
	let store: SqlSubscriberStore;

	beforeAll(async () => {
		store = await fixture.open();
	});

	afterAll(async () => {
		await store.close();
		await fixture.cleanup();
	});

	// A list that grew inside one import has statistics that say it is tiny; a plan chosen from
	// them that hashes the whole list made every batch slower than the last (imports went quadratic).
	it('probes the unique index per key while the statistics are stale', async () => {
		const actor = { type: 'test' };
		const list = await store.createList({ name: 'Grown' }, actor);
		// No autovacuum ANALYZE may refresh the statistics behind the test's back.
		await store.sql.exec('ALTER TABLE subscribers SET (autovacuum_enabled = false)');
		const emails = (from: number, count: number) =>
			Array.from({ length: count }, (_, index) => ({ email: `user${from + index}@example.com` }));
		for (let batch = 0; batch < 10; batch++) {
			await store.bulkUpsert(list.id, emails(batch * 3000, 3000), {}, actor);
		}

		const lookups: Array<{ text: string; values: unknown[] }> = [];
		const query = PgClient.prototype.query as (...args: unknown[]) => unknown;
		const spy = jest.spyOn(PgClient.prototype, 'query').mockImplementation(function (
			this: PgClient,
			...args: unknown[]
		) {
			if (typeof args[0] === 'string' && /FROM unnest\(\$1::text\[\]\) AS k\(key\)/.test(args[0])) {
				lookups.push({ text: args[0], values: args[1] as unknown[] });
			}
			return query.apply(this, args);
		} as never);
		try {
			const result = await store.bulkUpsert(list.id, emails(29_000, 2000), {}, actor);
			expect(result).toMatchObject({ created: 1000, unchanged: 1000 });
		} finally {
			spy.mockRestore();
		}
		expect(lookups).toHaveLength(1);

		const plan = await store.sql.all<{ 'QUERY PLAN': string }>(
			`EXPLAIN ${lookups[0].text.replace(/\$(\d+)/g, '?')}`,
			lookups[0].values,
		);
		const text = plan.map((row) => row['QUERY PLAN']).join('\n');
		expect(text).toMatch(/Nested Loop/);
		expect(text).toMatch(/Index Scan using subscribers_list_id_email_key_key/);
		expect(text).not.toMatch(/Hash Join|Seq Scan on subscribers|Bitmap/);
	});
});
