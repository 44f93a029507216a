import { Client as PgClient } from 'pg';
import { createCampaign, recordCampaignEvent } from '../../lib/campaign';
import { markEventOnce, type LogResult } from '../../lib/store';
import { openStore } from '../../lib/store/openStore';
import { estimatedCampaignRows } from '../../lib/store/planStatistics';
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

/** The statements `run` sends to PostgreSQL whose text matches `pattern`, with their parameters. */
async function statementsOf(pattern: RegExp, run: () => Promise<unknown>): Promise<Array<{ text: string; values: unknown[] }>> {
	const seen: Array<{ text: string; values: unknown[] }> = [];
	const query = PgClient.prototype.query as (...args: unknown[]) => unknown;
	const spy = jest.spyOn(PgClient.prototype, 'query').mockImplementation(function (this: PgClient, ...args: unknown[]) {
		if (typeof args[0] === 'string' && pattern.test(args[0])) seen.push({ text: args[0], values: args[1] as unknown[] });
		return query.apply(this, args);
	} as never);
	try {
		await run();
	} finally {
		spy.mockRestore();
	}
	return seen;
}

/** The plan PostgreSQL picks for a statement now, as EXPLAIN prints it. */
async function planOf(store: SqlSubscriberStore, statement: { text: string; values: unknown[] }): Promise<string> {
	const plan = await store.sql.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text.replace(/\$(\d+)/g, '?')}`, statement.values);
	return plan.map((row) => row['QUERY PLAN']).join('\n');
}

describe('PostgreSQL plans while the statistics are stale', () => {
	const fixture = storeFixture('postgres');
	const actor = { type: 'test' };
	let store: SqlSubscriberStore;

	beforeAll(async () => {
		store = await fixture.open();
		// no autovacuum ANALYZE may refresh the statistics behind the tests' backs
		await store.sql.exec('ALTER TABLE subscribers SET (autovacuum_enabled = false)');
		await store.sql.exec('ALTER TABLE send_log SET (autovacuum_enabled = false)');
	});

	afterAll(async () => {
		await store.close();
		await fixture.cleanup();
	});

	// A list that grew inside one import has statistics that say it is tiny; a plan chosen from
	// them that hashes the whole list made every batch slower than the last (imports went quadratic).
	it('probes the unique index per key in a bulk upsert', async () => {
		const list = await store.createList({ name: 'Grown' }, actor);
		const emails = (from: number, count: number) =>
			Array.from({ length: count }, (_, index) => ({ email: `user${from + index}@example.com` }));
		for (let batch = 0; batch < 10; batch++) {
			await store.bulkUpsert(list.id, emails(batch * 3000, 3000), {}, actor);
		}
		const lookups = await statementsOf(/FROM unnest\(\$1::text\[\]\) AS k\(key\)/, async () => {
			const result = await store.bulkUpsert(list.id, emails(29_000, 2000), {}, actor);
			expect(result).toMatchObject({ created: 1000, unchanged: 1000 });
		});
		expect(lookups).toHaveLength(1);
		const text = await planOf(store, lookups[0]);
		expect(text).toMatch(/Nested Loop/);
		expect(text).toMatch(/Index Scan using subscribers_list_id_email_key_key/);
		expect(text).not.toMatch(/Hash Join|Seq Scan on subscribers|Bitmap/);
	});

	/** A one-list campaign run to the end as the runner runs it, every send a success (no SMTP). */
	async function sendToList(listId: string, name: string): Promise<string> {
		const campaign = await createCampaign(store, { name, listId, template: { subject: 'Hi', text: 'Hello', from: 'news@example.com' } }, actor);
		const runs = store.campaignRuns;
		const now = Date.now();
		const lease = { owner: `run-${name}`, now, leaseMs: 60_000 };
		expect((await runs.start(campaign.id, { now, resume: false, actor })).run).toBe(true);
		for (;;) {
			const claim = await runs.claim(campaign.id, { ...lease, size: 500, retryUnknown: false });
			const marked = await runs.markSending(campaign.id, claim.ids, lease);
			const sent: LogResult[] = marked.ready.map((r) => ({
				subscriberId: r.id, state: 'sent', attempts: 1, messageId: null, response: '250 OK', responseCode: 250, error: null, bounce: null, email: r.email,
			}));
			await runs.record(campaign.id, sent, { ...lease, actor });
			if (claim.exhausted) break;
		}
		const ended = await runs.end(campaign.id, { now, pauseReason: null, lastError: null, actor });
		expect(ended.campaign).toMatchObject({ status: 'finished', counters: expect.objectContaining({ sent: 3000 }) });
		return campaign.id;
	}

	// Statistics taken before a campaign existed estimate it at one row. Recording one reader's
	// open then read the campaign's rows through the state index (its first column is the
	// campaign) and filtered them: a walk of the whole campaign for each open.
	it('refreshes the send log\'s statistics when a run ends, so an open is recorded through the primary key', async () => {
		const list = await store.createList({ name: 'Readers' }, actor);
		await store.bulkUpsert(list.id, Array.from({ length: 3000 }, (_, i) => ({ email: `reader${i}@example.com` })), {}, actor);
		const spring = await sendToList(list.id, 'Spring');
		await store.sql.exec('ANALYZE send_log'); // statistics that know only the first campaign
		expect(await estimatedCampaignRows(store.sql, spring)).toBeGreaterThan(1000);

		const summer = await sendToList(list.id, 'Summer');
		expect(await estimatedCampaignRows(store.sql, summer)).toBeGreaterThan(1000);

		const [reader] = await store.sql.all<{ subscriber_id: string }>('SELECT subscriber_id FROM send_log WHERE campaign_id = ? ORDER BY subscriber_id DESC LIMIT 1', [summer]);
		const [open] = await statementsOf(/^UPDATE send_log SET opened_at/, () =>
			recordCampaignEvent(store, { campaignId: summer, subscriberId: String(reader.subscriber_id), type: 'opened' }),
		);
		const one = await planOf(store, open);
		expect(one).toMatch(/Index Scan using send_log_pkey/);
		expect(one).not.toMatch(/send_log_state/);
		const readers = await store.sql.all<{ subscriber_id: string }>('SELECT subscriber_id FROM send_log WHERE campaign_id = ? AND opened_at IS NULL ORDER BY subscriber_id LIMIT 3', [summer]);
		const [clicks] = await statementsOf(/^UPDATE send_log SET clicked_at/, () =>
			store.transaction((tx) => markEventOnce(tx, summer, 'clicked', readers.map((r) => String(r.subscriber_id)), new Date().toISOString())),
		);
		expect(await planOf(store, clicks)).toMatch(/Index (Only )?Scan using send_log_pkey[^\n]*\n\s*Index Cond: \(\(campaign_id = '?\d+'?(::bigint)?\) AND \(subscriber_id = ANY/);
	});
});
