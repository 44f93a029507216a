/**
 * Migration 9 (campaign audiences) from schema 8 on both backends: a campaign made before it —
 * one list, the old filter, half sent — reads as its one list, its send log gets the address
 * keys, and it finishes without mailing anyone twice; a filtered one still honours its filter.
 */
import { createCampaign, getCampaign, runCampaign } from '../../lib/campaign';
import { LATEST_SCHEMA_VERSION } from '../../lib/store';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { smtpSettingsFor, startSmtpServer } from '../helpers/smtp';
import { BACKENDS, rollBackToSchemaVersion8, storeFixture, type StoreFixture } from '../helpers/stores';
import { actor, addSubscribers, address, receivedCounts, TEMPLATE } from '../unit/campaign/helpers';

jest.setTimeout(90_000);

describe.each(BACKENDS)('migration 9, campaign audiences (%s)', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;

	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
	});

	it('keeps a half-sent single-list campaign (its old log rows unkeyed) and a filtered one working after the migration', async () => {
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		await addSubscribers(store, listId, 30, { fields: (i) => ({ plan: i % 3 === 0 ? 'pro' : 'free' }) });
		const plain = await createCampaign(store, { name: 'Plain', listId, template: TEMPLATE }, actor);
		const filtered = await createCampaign(store, { name: 'Pro only', listId, filter: { field: { name: 'plan', value: 'pro' } }, template: TEMPLATE }, actor);

		// a slice of the plain campaign: 10 claimed, 4 sent, the other 6 put back
		const runs = store.campaignRuns;
		const now = Date.now();
		await runs.start(plain.id, { now, resume: false, actor });
		const claim = await runs.claim(plain.id, { owner: 'old', now, leaseMs: 60_000, size: 10, retryUnknown: false });
		const marked = await runs.markSending(plain.id, claim.ids.slice(0, 4), { owner: 'old', now, leaseMs: 60_000 });
		await runs.record(
			plain.id,
			marked.ready.map((r) => ({ subscriberId: r.id, state: 'sent', attempts: 1, messageId: null, response: '250 ok', responseCode: 250, error: null, bounce: null, email: r.email })),
			{ owner: 'old', now, actor },
		);
		await runs.releaseClaims(plain.id, { owner: 'old', now });
		const sentBefore = marked.ready.map((r) => r.email);

		await rollBackToSchemaVersion8(store);
		await store.close();
		store = await fixture.open();
		expect(await store.sql.get("SELECT value FROM bm_meta WHERE key = 'schema_version'")).toEqual({ value: String(LATEST_SCHEMA_VERSION) });
		expect(LATEST_SCHEMA_VERSION).toBe(10); // 10 changed no schema (segments.test.ts)

		const migrated = (await getCampaign(store, plain.id))!;
		expect(migrated.audience).toEqual({ listIds: [listId], segment: null, followUp: null, timeZone: null, frozen: null });
		expect(migrated).toMatchObject({ status: 'running', listId, totalRecipients: 30 });
		// rows written before keep no address key (one list: one row per address already)
		const keys = await store.sql.all('SELECT address_key FROM send_log WHERE campaign_id = ?', [plain.id]);
		expect(keys).toEqual(Array.from({ length: 10 }, () => ({ address_key: null })));

		const srv = await startSmtpServer({ keepRaw: false });
		try {
			const smtp = smtpSettingsFor(srv);
			expect(await runCampaign(store, plain.id, { smtp, batchSize: 7 })).toMatchObject({ outcome: 'finished', sentThisRun: 26 });
			const counts = receivedCounts(srv);
			expect(counts.size).toBe(26);
			for (const email of sentBefore) expect(counts.has(email.toLowerCase())).toBe(false);
			for (const n of counts.values()) expect(n).toBe(1);
			// one list: one row per address, no key needed (nor written)
			const keyed = await store.sql.get('SELECT COUNT(*) AS n FROM send_log WHERE campaign_id = ? AND address_key IS NOT NULL', [plain.id]);
			expect(Number(keyed!.n)).toBe(0);

			const before = srv.messages.length;
			expect(await runCampaign(store, filtered.id, { smtp })).toMatchObject({ outcome: 'finished', sentThisRun: 10 });
			const pro = srv.messages.slice(before).map((m) => m.to[0]).sort();
			expect(pro).toEqual(Array.from({ length: 10 }, (_, k) => address(k * 3)).sort());
			expect((await getCampaign(store, filtered.id))!.filter).toEqual({ field: { name: 'plan', value: 'pro' } });
		} finally {
			await srv.close();
		}
	});
});
