import { EventConfigError, signGenericPayload } from '../../../lib/events';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { EVENT_ID_RETENTION_MS, forgetOldEventIds, handleEventsRequest, recordEvents, type HandlerResult } from '../../../lib/webhook';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import {
	campaignRow,
	count,
	GENERIC_SECRET,
	genericRequest,
	jsonPost,
	nowSeconds,
	SENDGRID_PUBLIC_KEY,
	seedCampaign,
	seedList,
	sendgridRequest,
} from './helpers';

jest.setTimeout(30_000);

const generic = { secret: GENERIC_SECRET };

function body(result: HandlerResult): Record<string, unknown> {
	return JSON.parse(String(result.response.body));
}

describe.each(BACKENDS)('events endpoint (%s store)', (backend) => {
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

	async function auditCount(action: string): Promise<number> {
		return count(store, 'SELECT COUNT(*) AS n FROM audit_log WHERE action = ?', [action]);
	}

	test('a signed hard bounce is recorded once; the same event again changes nothing', async () => {
		const { ids } = await seedList(store, ['ann@example.com', 'bob@example.com']);
		const event = { id: 'evt-1', type: 'hard', email: 'ann@example.com', status: '5.1.1', diagnostic: 'no such user' };

		const first = await handleEventsRequest(store, 'generic', genericRequest([event]), generic);
		expect(first.response.status).toBe(200);
		expect(body(first)).toMatchObject({ ok: true, received: 1, recorded: 1, duplicates: 0, unknownRecipients: 0 });
		expect(first.events).toHaveLength(1);
		expect(first.events[0]).toMatchObject({
			provider: 'generic',
			eventId: 'evt-1',
			recipient: 'ann@example.com',
			kind: 'hard',
			smtpStatus: '5.1.1',
			duplicate: false,
			unknownRecipient: false,
			statusAfter: 'bounced',
			subscribers: [{ id: ids['ann@example.com'], status: 'bounced', changed: true }],
		});
		const bounced = await store.getSubscriber({ id: ids['ann@example.com'] });
		expect(bounced).toMatchObject({ status: 'bounced', hardBounces: 1, lastError: '5.1.1 no such user' });
		expect(await auditCount('delivery.hard')).toBe(1);

		// The provider retries (a new signature over the same event): acknowledged, not counted.
		const again = await handleEventsRequest(store, 'generic', genericRequest([event]), generic);
		expect(again.response.status).toBe(200);
		expect(body(again)).toMatchObject({ recorded: 0, duplicates: 1 });
		expect(again.events[0].duplicate).toBe(true);
		expect((await store.getSubscriber({ id: ids['ann@example.com'] }))!.hardBounces).toBe(1);
		expect(await auditCount('delivery.hard')).toBe(1);
		expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.status).toBe('active');
	});

	test('a subscriber id in the payload only counts for its own address (returned-mail headers can be forged)', async () => {
		const { listId, ids } = await seedList(store, ['ann@example.com', 'bob@example.com']);
		const campaignId = await seedCampaign(store, listId, [ids['ann@example.com'], ids['bob@example.com']]);
		// Names Ann's row but is about Bob's address: Bob bounces, Ann is left alone.
		const event = {
			id: 'evt-forged-id',
			type: 'hard',
			email: 'bob@example.com',
			subscriberId: ids['ann@example.com'],
			campaignId,
			status: '5.1.1',
		};
		const result = await handleEventsRequest(store, 'generic', genericRequest([event]), generic);
		expect(result.response.status).toBe(200);
		expect(result.events[0].subscribers).toEqual([
			expect.objectContaining({ id: ids['bob@example.com'], status: 'bounced', changed: true }),
		]);
		expect((await store.getSubscriber({ id: ids['ann@example.com'] }))!).toMatchObject({ status: 'active', hardBounces: 0 });
		expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.status).toBe('bounced');
		expect(await campaignRow(store, campaignId)).toMatchObject({ bounced: 1 });
		const bounceLog = await store.sql.all(
			"SELECT subscriber_id FROM send_log WHERE campaign_id = ? AND bounced_at IS NOT NULL ORDER BY subscriber_id",
			[campaignId],
		);
		expect(bounceLog.map((row) => String(row.subscriber_id))).toEqual([ids['bob@example.com']]);
	});

	test("a batch whose report history cannot be written is still recorded and answered 200, and the failure is reported for the log", async () => {
		const { listId, ids } = await seedList(store, ['ann@example.com', 'bob@example.com']);
		const campaignId = await seedCampaign(store, listId, [ids['ann@example.com'], ids['bob@example.com']]);
		// The store itself refuses the history's rows (as a full disk or a revoked grant would).
		if (backend === 'postgres') {
			await store.sql.exec(`CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'history refused by the test'; END $$;
				CREATE TRIGGER refuse_history BEFORE INSERT ON campaign_events FOR EACH ROW EXECUTE FUNCTION refuse_history()`);
		} else {
			await store.sql.exec("CREATE TRIGGER refuse_history BEFORE INSERT ON campaign_events BEGIN SELECT RAISE(ABORT, 'history refused by the test'); END");
		}
		const failures: Array<{ message: string; events: number }> = [];
		const events = ['ann@example.com', 'bob@example.com'].map((email, i) => ({ id: `open-${i}`, type: 'open', email, campaignId }));
		const result = await handleEventsRequest(store, 'generic', genericRequest(events), generic, {
			onHistoryFailure: (error, n) => failures.push({ message: error.message, events: n }),
		});

		expect(result.response.status).toBe(200);
		expect(body(result)).toMatchObject({ recorded: 2, duplicates: 0 });
		expect(await campaignRow(store, campaignId)).toMatchObject({ opened: 2 });
		expect(failures).toEqual([{ message: expect.stringContaining('history refused by the test'), events: 2 }]);
		expect(result.warning).toMatch(/recorded and counted 2 event\(s\), but the campaign report's event history .* history refused by the test/);
		expect(await count(store, 'SELECT COUNT(*) AS n FROM campaign_events WHERE campaign_id = ?', [campaignId])).toBe(0);

		// A history that can be written again: no warning.
		await store.sql.exec('DROP TRIGGER refuse_history' + (backend === 'postgres' ? ' ON campaign_events' : ''));
		const next = await handleEventsRequest(store, 'generic', genericRequest([{ id: 'open-3', type: 'open', email: 'ann@example.com', campaignId }]), generic);
		expect(next.warning).toBeUndefined();
		expect(await count(store, 'SELECT COUNT(*) AS n FROM campaign_events WHERE campaign_id = ?', [campaignId])).toBe(1);
	});

	test('forged, tampered, stale and unsigned requests are refused with nothing recorded', async () => {
		const { ids } = await seedList(store, ['ann@example.com']);
		const events = [{ id: 'evt-x', type: 'complaint', email: 'ann@example.com' }];
		const payload = JSON.stringify({ events });
		const tamperedBody = payload.replace('complaint', 'hard');
		const cases: Array<[string, ReturnType<typeof jsonPost>, number]> = [
			['forged (wrong secret)', genericRequest(events, 'someone-elses-secret'), 401],
			['tampered body', jsonPost(tamperedBody, { 'X-Bulk-Mail-Signature': signGenericPayload(GENERIC_SECRET, payload) }), 401],
			['stale timestamp', jsonPost(payload, { 'X-Bulk-Mail-Signature': signGenericPayload(GENERIC_SECRET, payload, nowSeconds() - 3600) }), 401],
			['unsigned', jsonPost(payload), 401],
			['not a POST', { method: 'GET', headers: {}, rawBody: Buffer.from(payload) }, 405],
		];
		for (const [name, request, status] of cases) {
			const result = await handleEventsRequest(store, 'generic', request, generic);
			expect({ name, status: result.response.status }).toEqual({ name, status });
			expect(result.events).toEqual([]);
			expect(result.rejected?.status).toBe(status);
			expect(body(result).ok).toBe(false);
		}
		expect((await store.getSubscriber({ id: ids['ann@example.com'] }))!.status).toBe('active');
		expect(await count(store, 'SELECT COUNT(*) AS n FROM processed_events')).toBe(0);
		expect(await auditCount('delivery.complaint')).toBe(0);
	});

	test('malformed payloads get 400 and oversize bodies 413', async () => {
		const notJson = '{"events": [';
		const malformed = await handleEventsRequest(
			store,
			'generic',
			jsonPost(notJson, { 'X-Bulk-Mail-Signature': signGenericPayload(GENERIC_SECRET, notJson) }),
			generic,
		);
		expect(malformed.response.status).toBe(400);
		expect(body(malformed).error).toMatch(/not valid JSON/);

		const noRecipient = await handleEventsRequest(store, 'generic', genericRequest([{ id: 'e', type: 'hard' }]), generic);
		expect(noRecipient.response.status).toBe(400);

		const big = genericRequest([{ id: 'big', type: 'hard', email: 'a@example.com', diagnostic: 'x'.repeat(5000) }]);
		const tooLarge = await handleEventsRequest(store, 'generic', big, { ...generic, maxBodyBytes: 1024 });
		expect(tooLarge.response.status).toBe(413);
		expect(await count(store, 'SELECT COUNT(*) AS n FROM processed_events')).toBe(0);
	});

	test('unknown recipients are acknowledged and reported; a complaint still suppresses the address', async () => {
		await seedList(store, ['ann@example.com']);
		const result = await handleEventsRequest(
			store,
			'generic',
			genericRequest([
				{ id: 'u1', type: 'hard', email: 'stranger@example.com' },
				{ id: 'u2', type: 'complaint', email: 'angry@example.com' },
			]),
			generic,
		);
		expect(result.response.status).toBe(200);
		expect(body(result)).toMatchObject({ recorded: 2, unknownRecipients: 2 });
		expect(result.events.map((event) => event.unknownRecipient)).toEqual([true, true]);
		expect(result.events[1].suppressed).toBe(true);
		expect(await store.isSuppressed('angry@example.com')).toBe(true);
	});

	test('a SendGrid batch: bounces, complaints and opens counted on the campaign, duplicates inside the batch ignored', async () => {
		const emails = ['r1@example.com', 'r2@example.com', 'r3@example.com', 'r4@example.com'];
		const { listId, ids } = await seedList(store, emails);
		const campaignId = await seedCampaign(store, listId, Object.values(ids));
		const ts = nowSeconds();
		const tag = (email: string) => ({ 'X-Bulk-Mail-Campaign': campaignId, 'X-Bulk-Mail-Subscriber': ids[email] });
		const records = [
			{ email: 'r1@example.com', timestamp: ts, event: 'delivered', sg_event_id: 'd1', ...tag('r1@example.com') },
			{ email: 'r2@example.com', timestamp: ts, event: 'delivered', sg_event_id: 'd2', ...tag('r2@example.com') },
			{ email: 'r1@example.com', timestamp: ts, event: 'open', sg_event_id: 'o1', ...tag('r1@example.com') },
			{ email: 'r1@example.com', timestamp: ts, event: 'open', sg_event_id: 'o1', ...tag('r1@example.com') },
			{ email: 'r1@example.com', timestamp: ts, event: 'open', sg_event_id: 'o2', ...tag('r1@example.com') },
			{ email: 'r2@example.com', timestamp: ts, event: 'click', url: 'https://example.net/', sg_event_id: 'c1', ...tag('r2@example.com') },
			{ email: 'r3@example.com', timestamp: ts, event: 'bounce', type: 'bounce', status: '5.1.1', reason: '550 5.1.1 unknown', sg_event_id: 'b1', ...tag('r3@example.com') },
			// no subscriber id: the campaign recipient is found by address
			{ email: 'R4@Example.com', timestamp: ts, event: 'spamreport', sg_event_id: 's1', 'X-Bulk-Mail-Campaign': campaignId },
			{ email: 'r4@example.com', timestamp: ts, event: 'processed', sg_event_id: 'p1' },
		];
		const result = await handleEventsRequest(store, 'sendgrid', sendgridRequest(records), { publicKey: SENDGRID_PUBLIC_KEY });
		expect(result.response.status).toBe(200);
		expect(body(result)).toMatchObject({ received: 8, recorded: 7, duplicates: 1, ignored: 1 });
		expect(result.events.filter((event) => event.duplicate).map((event) => event.eventId)).toEqual(['o1']);

		const row = await campaignRow(store, campaignId);
		expect(row).toMatchObject({ delivered: 2, opened: 2, clicked: 1, bounced: 1, complained: 1 });
		expect((await store.getSubscriber({ id: ids['r3@example.com'] }))!.status).toBe('bounced');
		expect((await store.getSubscriber({ id: ids['r4@example.com'] }))!.status).toBe('complained');
		expect(result.events.find((event) => event.eventId === 's1')).toMatchObject({ campaignCounted: true, subscriberId: null });
		// o2 was a second open of r1: a new provider event, but the campaign counts opens once per recipient
		expect(result.events.find((event) => event.eventId === 'o2')).toMatchObject({ duplicate: false, campaignCounted: false });

		// SendGrid retries the whole batch: nothing is counted twice.
		const retry = await handleEventsRequest(store, 'sendgrid', sendgridRequest(records), { publicKey: SENDGRID_PUBLIC_KEY });
		expect(body(retry)).toMatchObject({ received: 8, recorded: 0, duplicates: 8 });
		expect(await campaignRow(store, campaignId)).toMatchObject({ delivered: 2, opened: 2, clicked: 1, bounced: 1, complained: 1 });
	});

	test('a campaign is paused, audited, once its complaint rate reaches the threshold after the minimum sample', async () => {
		const emails = Array.from({ length: 4 }, (_, i) => `c${i}@example.com`);
		const { listId, ids } = await seedList(store, emails);
		const campaignId = await seedCampaign(store, listId, Object.values(ids), { sent: 200, delivered: 200 });
		const complaintPause = { threshold: 0.01, minSample: 100 };
		const complaint = (i: number) => ({
			id: `cp-${i}`,
			type: 'complaint',
			email: emails[i],
			campaignId,
			subscriberId: ids[emails[i]],
		});

		const first = await handleEventsRequest(store, 'generic', genericRequest([complaint(0)]), generic, { complaintPause });
		expect(first.events[0]).toMatchObject({ campaignCounted: true, campaignPaused: false });
		expect((await campaignRow(store, campaignId)).status).toBe('running');

		const second = await handleEventsRequest(store, 'generic', genericRequest([complaint(1)]), generic, { complaintPause });
		expect(second.events[0]).toMatchObject({ campaignCounted: true, campaignPaused: true });
		const paused = await campaignRow(store, campaignId);
		expect(paused).toMatchObject({ status: 'paused', complained: 2 });
		expect(String(paused.pause_reason)).toMatch(/Complaint rate 1\.00% \(2 of 200 delivered\) reached the 1\.00% limit/);
		const audit = await store.getAuditLog({ entityId: campaignId, action: 'campaign.pause' }, { limit: 5 });
		expect(audit.items).toHaveLength(1);
		expect(audit.items[0].details).toMatchObject({ from: 'running', complained: 2, base: 200 });

		// Below the minimum sample nothing is judged, whatever the rate.
		const small = await seedCampaign(store, listId, [ids[emails[2]]], { sent: 10, delivered: 10 });
		const smallResult = await handleEventsRequest(
			store,
			'generic',
			genericRequest([{ ...complaint(2), id: 'cp-small', campaignId: small }]),
			generic,
			{ complaintPause },
		);
		expect(smallResult.events[0]).toMatchObject({ campaignCounted: true, campaignPaused: false });
		expect((await campaignRow(store, small)).status).toBe('running');
	});

	test('delivered/open events without a campaign are still deduplicated on their event id', async () => {
		await seedList(store, ['ann@example.com']);
		const events = [{ id: 'dl-1', type: 'delivered', email: 'ann@example.com' }];
		const first = await recordEvents(store, [
			{ provider: 'generic', eventId: 'dl-1', messageId: null, recipient: 'ann@example.com', kind: 'delivered', smtpStatus: null, diagnostic: null, occurredAt: new Date().toISOString(), campaignId: null, subscriberId: null },
		]);
		expect(first[0].duplicate).toBe(false);
		const second = await handleEventsRequest(store, 'generic', genericRequest(events), generic);
		expect(second.events[0].duplicate).toBe(true);
	});

	test('event ids are forgotten after the retention period, at most once an hour, and recent ones still deduplicate', async () => {
		await seedList(store, ['ann@example.com']);
		const day = 24 * 60 * 60 * 1000;
		const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
		const minute = 60 * 1000;
		for (const [id, age] of [
			['generic:old-1', EVENT_ID_RETENTION_MS + day],
			['generic:old-2', EVENT_ID_RETENTION_MS + 2 * day],
			['generic:edge', EVENT_ID_RETENTION_MS - 10 * minute],
			['generic:recent', EVENT_ID_RETENTION_MS - day],
		] as const) {
			await store.sql.run('INSERT INTO processed_events (event_id, processed_at) VALUES (?, ?)', [id, ago(age)]);
		}
		const ids = async () =>
			(await store.sql.all('SELECT event_id FROM processed_events ORDER BY event_id')).map((r) => r.event_id);

		// the first request to this store prunes once it has recorded
		const now = Date.now();
		const result = await handleEventsRequest(
			store,
			'generic',
			genericRequest([{ id: 'recent', type: 'delivered', email: 'ann@example.com' }]),
			generic,
		);
		expect(result.events[0].duplicate).toBe(true);
		expect(await ids()).toEqual(['generic:edge', 'generic:recent']);

		// "edge" passes the retention 10 minutes later, but is deleted only an hour after the last pruning
		await forgetOldEventIds(store, now + 30 * minute);
		expect(await ids()).toEqual(['generic:edge', 'generic:recent']);
		await forgetOldEventIds(store, now + 61 * minute);
		expect(await ids()).toEqual(['generic:recent']);
	});

	test('a large batch (more ids than one statement takes) is deduplicated and counted exactly once', async () => {
		const emails = Array.from({ length: 450 }, (_, i) => `bulk${i}@example.com`);
		const { listId, ids } = await seedList(store, emails);
		const campaignId = await seedCampaign(store, listId, Object.values(ids));
		const at = new Date().toISOString();
		const event = (i: number, kind: 'delivered' | 'open') => ({
			provider: 'sendgrid' as const,
			eventId: `bulk-${kind}-${i}`,
			messageId: null,
			recipient: emails[i % 450],
			kind,
			smtpStatus: null,
			diagnostic: null,
			occurredAt: at,
			campaignId,
			subscriberId: ids[emails[i % 450]],
		});
		// 450 deliveries, 450 opens, and 100 events sent twice in the same batch
		const batch = [
			...emails.map((_, i) => event(i, 'delivered')),
			...emails.map((_, i) => event(i, 'open')),
			...Array.from({ length: 100 }, (_, i) => event(i * 4, 'delivered')),
		];
		const recorded = await recordEvents(store, batch);
		expect(recorded.filter((r) => !r.duplicate)).toHaveLength(900);
		expect(recorded.slice(900).every((r) => r.duplicate && !r.campaignCounted)).toBe(true);
		expect(recorded.filter((r) => r.campaignCounted)).toHaveLength(900);
		expect(await campaignRow(store, campaignId)).toMatchObject({ delivered: 450, opened: 450 });
		const again = await recordEvents(store, batch);
		expect(again.every((r) => r.duplicate)).toBe(true);
		expect(await campaignRow(store, campaignId)).toMatchObject({ delivered: 450, opened: 450 });
	});

	test('a store that cannot be opened answers 503 so the provider retries; missing secrets are a configuration error', async () => {
		const unavailable = await handleEventsRequest(
			() => Promise.reject(new Error('connect ECONNREFUSED postgres://user:pw@db:5432/x')),
			'generic',
			genericRequest([{ id: 'x', type: 'hard', email: 'a@example.com' }]),
			generic,
		);
		expect(unavailable.response.status).toBe(503);
		expect(unavailable.rejected?.reason).not.toContain('pw@');
		await expect(
			handleEventsRequest(store, 'generic', genericRequest([{ id: 'x', type: 'hard', email: 'a@example.com' }]), { secret: '' }),
		).rejects.toBeInstanceOf(EventConfigError);
	});
});
