/**
 * Campaign audiences (#19) on both backends: several lists with one message per person (the
 * first list's row used, its unsubscribe link leaving that list only), no duplicate across
 * concurrent runners and a run that died, and a segment frozen at the start.
 */
import { createCampaign, getCampaign, recordCampaignEvent, runCampaign, type Campaign } from '../../../lib/campaign';
import { LinkSigner } from '../../../lib/store/linkTokens';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { handleUnsubscribe } from '../../../lib/webhook';
import { smtpServersClosedAfterEach, smtpSettingsFor } from '../../helpers/smtp';
import { BACKENDS, storePerTest } from '../../helpers/stores';
import { actor, address, idOf, logStates, receivedCounts } from './helpers';

jest.setTimeout(90_000);

const SECRET = 'audience-test-secret-of-32-chars!';
const DAY = 24 * 60 * 60 * 1000;
const TEMPLATE = {
	subject: 'Hello {{ name }}',
	html: '<p>Your plan: {{ fields.plan }}</p>',
	from: 'News <news@sender.example>',
};

function oneClick(token: string) {
	return {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		rawBody: Buffer.from('List-Unsubscribe=One-Click'),
		query: { t: token },
	};
}

describe.each(BACKENDS)('campaign audiences on %s', (backend) => {
	const server = smtpServersClosedAfterEach({ keepRaw: true });
	const opened = storePerTest(backend);
	let store: SqlSubscriberStore;
	beforeEach(() => {
		store = opened.store;
	});

	const newList = async (name: string) => (await store.createList({ name }, actor)).id;
	const upsert = async (listId: string, rows: Array<{ email: string; plan: string; city?: string; status?: 'active' | 'unsubscribed' }>) => {
		await store.bulkUpsert(
			listId,
			rows.map((r) => ({ email: r.email, name: r.email.split('@')[0], status: r.status, fields: { plan: r.plan, city: r.city ?? 'Osaka' } })),
			{},
			actor,
		);
	};
	const logRow = async (campaignId: string, email: string) =>
		store.sql.get(
			'SELECT l.subscriber_id, l.address_key, s.list_id FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id WHERE l.campaign_id = ? AND s.email = ?',
			[campaignId, email],
		);

	it('mails an address on two lists once, made with its row on the first list; its one-click unsubscribe leaves that list only', async () => {
		const customers = await newList('Customers');
		const newsletter = await newList('Newsletter');
		const shared = [0, 1, 2, 3, 4].map((i) => address(i, 'shared'));
		await upsert(customers, [
			...shared.map((email, i) => ({ email, plan: 'customer-plan', status: i === 4 ? ('unsubscribed' as const) : undefined })),
			...[0, 1, 2].map((i) => ({ email: address(i, 'onlyc'), plan: 'customer-plan' })),
		]);
		await upsert(newsletter, [
			...shared.map((email, i) => ({ email, plan: 'newsletter-plan', city: i === 0 ? 'Tokyo' : 'Osaka' })),
			...[0, 1, 2].map((i) => ({ email: address(i, 'onlyn'), plan: 'newsletter-plan' })),
		]);
		await store.suppress(address(2, 'onlyn'), 'manual', 'test', actor);

		const srv = await server();
		const campaign = await createCampaign(
			store,
			{ name: 'Both lists', listIds: [customers, newsletter], template: TEMPLATE, composeOptions: { baseUrl: 'https://mail.example.com' } },
			actor,
		);
		expect(campaign.listId).toBe(customers);
		expect(campaign.audience).toMatchObject({ listIds: [customers, newsletter], segment: null, followUp: null, frozen: null });
		const summary = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv), batchSize: 3, composeSecret: SECRET });
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 10, skippedThisRun: 1 });
		const counts = receivedCounts(srv);
		expect([...counts.keys()].sort()).toEqual(
			[...shared, ...[0, 1, 2].map((i) => address(i, 'onlyc')), address(0, 'onlyn'), address(1, 'onlyn')].sort(),
		);
		for (const n of counts.values()) expect(n).toBe(1);
		const body = (email: string) => srv.messages.find((m) => m.to[0] === email)!.raw.toString('utf8');
		expect(body(shared[0])).toContain('customer-plan');
		// its Customers row is unsubscribed: the Newsletter row is the one used
		expect(body(shared[4])).toContain('newsletter-plan');
		expect(Number((await logRow(campaign.id, shared[0]))!.list_id)).toBe(Number(customers));
		expect(Number((await logRow(campaign.id, shared[4]))!.list_id)).toBe(Number(newsletter));
		expect((await getCampaign(store, campaign.id))!.totalRecipients).toBe(11);

		// the one-click unsubscribe of the message leaves the list of the row used, nothing else
		const token = /unsubscribe\?t=([A-Za-z0-9_.-]+)/.exec(body(shared[1]))![1];
		const result = await handleUnsubscribe(store, new LinkSigner(SECRET), oneClick(token));
		expect(result.events[0]).toMatchObject({ statusAfter: 'unsubscribed', campaignCounted: true });
		expect((await store.getSubscriber({ listId: customers, email: shared[1] }))!.status).toBe('unsubscribed');
		expect((await store.getSubscriber({ listId: newsletter, email: shared[1] }))!.status).toBe('active');

		// a segment is evaluated per row: the address qualifies by its Newsletter row (Tokyo)
		// and is mailed with its Customers row
		const tokyo = await createCampaign(
			store,
			{
				name: 'Tokyo',
				listIds: [customers, newsletter],
				segment: { definition: { conditions: [{ customField: 'city', operator: 'equals', value: 'tokyo' }] } },
				template: TEMPLATE,
			},
			actor,
		);
		const srv2 = await server();
		await runCampaign(store, tokyo.id, { smtp: smtpSettingsFor(srv2) });
		expect(srv2.messages.map((m) => m.to[0])).toEqual([shared[0]]);
		expect(srv2.messages[0].raw.toString('utf8')).toContain('customer-plan');

		// the other order: the Newsletter row is used
		const reversed = await createCampaign(store, { name: 'Reversed', listIds: [newsletter, customers], template: TEMPLATE }, actor);
		const srv3 = await server();
		await runCampaign(store, reversed.id, { smtp: smtpSettingsFor(srv3) });
		expect(srv3.messages.find((m) => m.to[0] === shared[0])!.raw.toString('utf8')).toContain('newsletter-plan');
		expect(receivedCounts(srv3).size).toBe(10);
	});

	it('never mails a person twice across concurrent runners and a run that died with claims and sends in flight', async () => {
		const a = await newList('A');
		const b = await newList('B');
		const both = Array.from({ length: 40 }, (_, i) => address(i, 'both'));
		await upsert(a, [...both.map((email) => ({ email, plan: 'a' })), ...Array.from({ length: 20 }, (_, i) => ({ email: address(i, 'a'), plan: 'a' }))]);
		await upsert(b, [...both.map((email) => ({ email, plan: 'b' })), ...Array.from({ length: 20 }, (_, i) => ({ email: address(i, 'b'), plan: 'b' }))]);
		// B's rows of the shared addresses first in id order too: interleave by re-adding some to A
		const campaign = await createCampaign(store, { name: 'Race', listIds: [b, a], template: TEMPLATE }, actor);

		// a run that claims, marks five `sending` and dies (its leases lapse)
		const now = Date.now();
		const runs = store.campaignRuns;
		expect((await runs.start(campaign.id, { now, resume: false, actor })).run).toBe(true);
		const dead = await runs.claim(campaign.id, { owner: 'dead', now, leaseMs: 1, size: 15, retryUnknown: false });
		expect(dead.ids).toHaveLength(15);
		const marked = await runs.markSending(campaign.id, dead.ids.slice(0, 5), { owner: 'dead', now, leaseMs: 1 });
		expect(marked.ready).toHaveLength(5);
		await new Promise((resolve) => setTimeout(resolve, 20));

		const srv = await server();
		const smtp = smtpSettingsFor(srv, { pool: { maxConnections: 2 } });
		const summaries = await Promise.all([1, 2, 3].map(() => runCampaign(store, campaign.id, { smtp, batchSize: 7 })));
		expect(summaries.filter((s) => s.finishedThisRun)).toHaveLength(1);
		const counts = receivedCounts(srv);
		for (const n of counts.values()) expect(n).toBe(1);
		// 80 people: 5 left unknown by the dead run (never mailed again), 75 mailed once
		expect(counts.size).toBe(75);
		expect(await logStates(store, campaign.id)).toEqual({ sent: 75, unknown: 5 });
		const perAddress = await store.sql.all(
			'SELECT address_key, COUNT(*) AS n FROM send_log WHERE campaign_id = ? GROUP BY address_key HAVING COUNT(*) > 1',
			[campaign.id],
		);
		expect(perAddress).toEqual([]);
		// the log holds a salted hash of the address, never the address; the store itself refuses
		// a second row of an address in one campaign
		const used = await store.sql.get('SELECT address_key FROM send_log WHERE campaign_id = ? AND subscriber_id = ?', [
			campaign.id,
			await idOf(store, b, both[0]),
		]);
		expect(String(used!.address_key)).toMatch(/^[0-9a-f]{32}$/);
		const other = await idOf(store, a, both[0]);
		await expect(
			store.sql.run(
				"INSERT INTO send_log (campaign_id, subscriber_id, address_key, state, attempts, updated_at) VALUES (?, ?, ?, 'queued', 0, ?)",
				[campaign.id, other, used!.address_key, new Date().toISOString()],
			),
		).rejects.toThrow(/unique|UNIQUE/);
	});

	it('freezes the segment at the start: a later edit of the saved segment, time passing and later opens change nobody', async () => {
		const listId = await newList('Buyers');
		const t0 = Date.now();
		// reader i last ordered 3i+1 days before the start; even readers live in Tokyo
		await store.bulkUpsert(
			listId,
			Array.from({ length: 20 }, (_, i) => ({
				email: address(i),
				name: `Reader ${i}`,
				fields: { city: i % 2 === 0 ? 'Tokyo' : 'Osaka', lastOrder: new Date(t0 - (3 * i + 1) * DAY).toISOString() },
			})),
			{},
			actor,
		);
		// an earlier campaign: reader 0 opened it before the start, reader 2 opens it after
		const earlier = await createCampaign(store, { name: 'Earlier', listId, template: TEMPLATE }, actor);
		const srv = await server();
		await runCampaign(store, earlier.id, { smtp: smtpSettingsFor(srv) });
		await recordCampaignEvent(store, {
			campaignId: earlier.id,
			subscriberId: await idOf(store, listId, address(0)),
			type: 'opened',
			occurredAt: new Date(t0 - DAY).toISOString(),
		});
		const definition = {
			conditions: [
				{ customField: 'city', operator: 'equals', value: 'Tokyo' },
				{ customField: 'lastOrder', type: 'date', operator: 'withinLastDays', value: 30 },
				{ campaign: earlier.id, operator: 'notOpened' },
			],
		};
		const saved = await store.createSegment({ name: 'Recent Tokyo buyers', definition }, actor);
		const campaign = await createCampaign(store, { name: 'Frozen', listId, segment: { segmentId: saved.id }, template: TEMPLATE }, actor);
		expect(campaign.audience.segment).toEqual({ segmentId: saved.id, name: 'Recent Tokyo buyers', definition: null });

		const runs = store.campaignRuns;
		expect((await runs.start(campaign.id, { now: t0, resume: false, actor })).run).toBe(true);
		const started: Campaign = (await getCampaign(store, campaign.id))!;
		expect(started.audience.frozen).toEqual({ at: new Date(t0).toISOString(), definition, timeZone: 'UTC' });
		// readers 2, 4, 6, 8 (3i+1 ≤ 30, Tokyo, not opened before the start)
		expect(started.totalRecipients).toBe(4);
		const first = await runs.claim(campaign.id, { owner: 'r1', now: t0, leaseMs: 100 * DAY, size: 2, retryUnknown: false });

		// mid-run: the saved segment now matches everyone, reader 2 opens the earlier campaign,
		// and the next slice runs 40 days later (a live "last 30 days" would match no one)
		await store.sql.run('UPDATE segments SET definition = ? WHERE id = ?', [JSON.stringify({ conditions: [] }), saved.id]);
		await recordCampaignEvent(store, {
			campaignId: earlier.id,
			subscriberId: await idOf(store, listId, address(2)),
			type: 'opened',
			occurredAt: new Date(t0 + 60_000).toISOString(),
		});
		const later = t0 + 40 * DAY;
		const rest = await runs.claim(campaign.id, { owner: 'r2', now: later, leaseMs: 60_000, size: 100, retryUnknown: false });
		const claimed = [...first.ids, ...rest.ids];
		const expected = await Promise.all([2, 4, 6, 8].map((i) => idOf(store, listId, address(i))));
		expect(claimed.sort()).toEqual(expected.sort());
		expect(rest.exhausted).toBe(true);
		expect((await getCampaign(store, campaign.id))!.audience.frozen!.definition).toEqual(definition);
	});

	it('writes the audience to the send log at the start: one queued row per person; later rows, later matches and unsubscribes change nothing or are skipped', async () => {
		const a = await newList('A');
		const b = await newList('B');
		await upsert(a, [0, 1, 2, 3, 4, 5].map((i) => ({ email: address(i), plan: 'a', city: i % 2 ? 'Osaka' : 'Tokyo' })));
		await upsert(b, [0, 1, 6].map((i) => ({ email: address(i), plan: 'b', city: i === 1 ? 'Tokyo' : 'Osaka' })));
		const segment = { definition: { conditions: [{ customField: 'city', operator: 'equals', value: 'tokyo' }] } };
		const campaign = await createCampaign(store, { name: 'Materialised', listIds: [b, a], segment, template: TEMPLATE }, actor);
		const runs = store.campaignRuns;
		expect((await runs.start(campaign.id, { now: Date.now(), resume: false, actor })).run).toBe(true);

		// Tokyo rows: A's 0, 2, 4 and B's 1 — people 0, 1, 2, 4, each once; people on B use B's row
		const queued = await store.sql.all('SELECT subscriber_id, state, address_key FROM send_log WHERE campaign_id = ? ORDER BY subscriber_id', [campaign.id]);
		const expected = [await idOf(store, a, address(2)), await idOf(store, a, address(4)), await idOf(store, b, address(0)), await idOf(store, b, address(1))];
		expect(queued.map((row) => String(row.subscriber_id)).sort()).toEqual(expected.sort());
		expect(new Set(queued.map((row) => row.state))).toEqual(new Set(['queued']));
		expect(new Set(queued.map((row) => row.address_key)).size).toBe(4);
		for (const row of queued) expect(String(row.address_key)).toMatch(/^[0-9a-f]{32}$/);
		const started = (await getCampaign(store, campaign.id))!;
		expect(started.totalRecipients).toBe(4);

		// after the start: a new Tokyo reader, an Osaka reader moving to Tokyo, a recipient unsubscribing
		await upsert(a, [{ email: address(7), plan: 'a', city: 'Tokyo' }, { email: address(3), plan: 'a', city: 'Tokyo' }]);
		await store.setStatus(await idOf(store, a, address(4)), 'unsubscribed', {}, actor);
		const srv = await server();
		await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) });
		expect([...receivedCounts(srv).keys()].sort()).toEqual([address(0), address(1), address(2)].sort());
		expect(await logStates(store, campaign.id)).toEqual({ sent: 3, skipped: 1 });
	});

	it('refuses an audience it cannot use, naming the problem', async () => {
		const listId = await newList('Readers');
		const attempt = (extra: Record<string, unknown>) =>
			createCampaign(store, { name: 'Bad', template: TEMPLATE, ...extra } as never, actor);
		await expect(attempt({})).rejects.toThrow('The campaign needs an audience');
		await expect(attempt({ listIds: [listId, '999'] })).rejects.toThrow("There is no list '999'");
		await expect(attempt({ listId, segment: { segmentId: 'nope' } })).rejects.toThrow("There is no segment 'nope'");
		await expect(
			attempt({ listId, segment: { definition: { conditions: [{ customField: 'n', type: 'number', operator: 'between', value: [1] }] } } }),
		).rejects.toThrow("The campaign segment is not valid: conditions[0]: operator 'between' needs two values");
		await expect(attempt({ listId, segment: { definition: '{"conditions": [' } })).rejects.toThrow(/not valid JSON/);
		await expect(attempt({ listId, timeZone: 'Mars/Olympus' })).rejects.toThrow(/time zone/);
		// a saved segment deleted before the start: the start says so
		const saved = await store.createSegment({ name: 'Gone', definition: { conditions: [] } }, actor);
		const campaign = await attempt({ listId, segment: { segmentId: saved.id } });
		await store.deleteSegment(saved.id, actor);
		const srv = await server();
		await expect(runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) })).rejects.toThrow(/segment \(id \d+, 'Gone'\) no longer exists/);
	});
});
