/**
 * The Bounce Webhook trigger inside a real n8n 2.40.7 (`n8n start`, workflow published), on its
 * real webhook URLs: generic HMAC events, a SendGrid-signed batch, forged requests, the
 * one-click unsubscribe, the open pixel and the click redirect — each updating the store, on
 * both store backends.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signGenericPayload } from '../../lib/events';
import { LinkSigner } from '../../lib/store/linkTokens';
import { openStore, type StoreConfig } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { BACKENDS, PG_CONNECTION, storeFixture, type Backend } from '../helpers/stores';
import { seedCampaign, seedList } from '../unit/webhook/helpers';
import { bounceWorkflow, executionCount, executionDataText, registerBounceWebhook, settledExecutions } from './bounceWebhookHelpers';
import { createN8nInstance, type N8nInstance } from './harness';

jest.setTimeout(300_000);

const GENERIC_SECRET = 'generic-secret-for-the-n8n-test';
const LINK_SECRET = 'link-signing-secret-for-n8n-test!';
const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
/** Per store backend: its own store credential and triggers, in one workflow of one n8n. */
const WORKFLOW_ID = 'wfBounce1';
const SETUPS = {
	sqlite: { credential: 'storeSqlite', generic: '3b7f0c52-9a55-4d4e-8f1e-0c2d6b1a7e01', sendgrid: '3b7f0c52-9a55-4d4e-8f1e-0c2d6b1a7e02' },
	postgres: { credential: 'storePg', generic: '3b7f0c52-9a55-4d4e-8f1e-0c2d6b1a7e03', sendgrid: '3b7f0c52-9a55-4d4e-8f1e-0c2d6b1a7e04' },
} as const;
/** A trigger whose store is down (PostgreSQL on a port nothing listens on). */
const DOWN = { credential: 'storeDown', generic: '3b7f0c52-9a55-4d4e-8f1e-0c2d6b1a7e05' } as const;

function genericPost(events: unknown[], secret = GENERIC_SECRET): RequestInit {
	const body = JSON.stringify({ events });
	return {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-bulk-mail-signature': signGenericPayload(secret, body) },
		body,
	};
}

function sendgridPost(records: unknown[]): RequestInit {
	const body = JSON.stringify(records);
	const timestamp = String(Math.floor(Date.now() / 1000));
	const signature = sign('sha256', Buffer.from(timestamp + body), { key: sendgridKeys.privateKey, dsaEncoding: 'der' });
	return {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'x-twilio-email-event-webhook-signature': signature.toString('base64'),
			'x-twilio-email-event-webhook-timestamp': timestamp,
		},
		body,
	};
}

/** Executions are saved a moment after the webhook answered. */
async function waitForExecutions(n8n: N8nInstance, workflowId: string, expected: number): Promise<number> {
	const deadline = Date.now() + 20_000;
	let seen = executionCount(n8n, workflowId);
	while (seen < expected && Date.now() < deadline) {
		await sleep(200);
		seen = executionCount(n8n, workflowId);
	}
	return seen;
}

// One n8n serves both backends (an n8n start costs more than everything tested here).
let n8n: N8nInstance;
const pgFixture = storeFixture('postgres');
const stores: Partial<Record<Backend, SqlSubscriberStore>> = {};

function storeConfig(backend: Backend): StoreConfig {
	return backend === 'sqlite'
		? { backend: 'sqlite', file: 'bounces.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') }
		: pgFixture.config;
}

beforeAll(async () => {
	n8n = await createN8nInstance({ dbType: 'sqlite' });
	registerBounceWebhook(n8n);
	const schema = (pgFixture.config as { schema: string }).schema;
	await n8n.importCredentials([
		{ id: SETUPS.sqlite.credential, name: SETUPS.sqlite.credential, type: 'bulkMailSubscriberStoreApi', data: { backend: 'sqlite', file: 'bounces.sqlite', signingSecret: LINK_SECRET } },
		{ id: SETUPS.postgres.credential, name: SETUPS.postgres.credential, type: 'bulkMailSubscriberStoreApi', data: { backend: 'postgres', ...PG_CONNECTION, ssl: 'disable', schema, signingSecret: LINK_SECRET } },
		{ id: DOWN.credential, name: DOWN.credential, type: 'bulkMailSubscriberStoreApi', data: { backend: 'postgres', ...PG_CONNECTION, port: 1, ssl: 'disable', schema: 'bm_down', signingSecret: LINK_SECRET } },
		{
			id: 'bounceCred1',
			name: 'bounceCred1',
			type: 'bulkMailBounceWebhookApi',
			data: {
				genericSecret: GENERIC_SECRET,
				sendgridPublicKey: sendgridKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
			},
		},
	]);
	// One workflow with every trigger: each n8n CLI call costs seconds.
	await n8n.importWorkflow(
		bounceWorkflow(WORKFLOW_ID, [
			...BACKENDS.flatMap((backend) => [
				{ name: `Generic Events ${backend}`, webhookId: SETUPS[backend].generic, provider: 'generic', storeCredential: SETUPS[backend].credential },
				{
					name: `SendGrid Events ${backend}`,
					webhookId: SETUPS[backend].sendgrid,
					provider: 'sendgrid',
					startFor: ['hard', 'complaint'],
					storeCredential: SETUPS[backend].credential,
				},
			]),
			{ name: 'Generic Events store down', webhookId: DOWN.generic, provider: 'generic', storeCredential: DOWN.credential },
		]),
	);
	await n8n.publish(WORKFLOW_ID);
	// The stores the n8n process will use, opened (and migrated) before it starts.
	for (const backend of BACKENDS) stores[backend] = await openStore(storeConfig(backend));
	await n8n.start();
	for (const backend of BACKENDS) {
		await n8n.waitForWebhook(`${SETUPS[backend].generic}/events`);
		await n8n.waitForWebhook(`${SETUPS[backend].sendgrid}/events`);
	}
	await n8n.waitForWebhook(`${DOWN.generic}/events`);
});

afterAll(async () => {
	for (const store of Object.values(stores)) await store?.close();
	await n8n?.cleanup();
	await pgFixture.cleanup();
});

describe.each(BACKENDS)('Bounce Webhook trigger in real n8n (%s store)', (backend: Backend) => {
	let store: SqlSubscriberStore;
	let ids: Record<string, string>;
	let campaignId: string;
	const { generic: GENERIC_HOOK, sendgrid: SENDGRID_HOOK } = SETUPS[backend];
	const signer = new LinkSigner(LINK_SECRET);
	const url = (hook: string, endpoint: string) => n8n.webhookUrl(`${hook}/${endpoint}`);

	beforeAll(async () => {
		store = stores[backend]!;
		const emails = ['ann@example.com', 'bob@example.com', 'cho@example.com', 'dan@example.com', 'eve@example.com'];
		const seeded = await seedList(store, emails);
		ids = seeded.ids;
		campaignId = await seedCampaign(store, seeded.listId, Object.values(ids));
	});

	test('generic HMAC events: recorded once, forged ones refused; only chosen kinds start executions', async () => {
		const before = await settledExecutions(n8n, WORKFLOW_ID);
		const events = [
			{ id: 'g-hard-1', type: 'hard', email: 'ann@example.com', status: '5.1.1', diagnostic: 'mailbox unknown' },
			{ id: 'g-open-1', type: 'open', email: 'bob@example.com' },
		];
		const response = await fetch(url(GENERIC_HOOK, 'events'), genericPost(events));
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ ok: true, received: 2, recorded: 2, duplicates: 0 });
		expect(await store.getSubscriber({ id: ids['ann@example.com'] })).toMatchObject({ status: 'bounced', hardBounces: 1 });
		const audit = await store.getAuditLog({ entityId: ids['ann@example.com'], action: 'delivery.hard' }, { limit: 5 });
		expect(audit.items).toHaveLength(1);
		expect(audit.items[0].actor).toMatchObject({ type: 'webhook', id: WORKFLOW_ID, name: expect.stringContaining(`Generic Events ${backend}`) });

		// One execution for the hard bounce (the open is recorded, not started).
		expect(await waitForExecutions(n8n, WORKFLOW_ID, before + 1)).toBe(before + 1);
		const data = executionDataText(n8n, WORKFLOW_ID);
		expect(data).toContain('g-hard-1');
		expect(data).not.toContain('g-open-1');

		// The provider retries: acknowledged, nothing counted, no new execution.
		const retry = await fetch(url(GENERIC_HOOK, 'events'), genericPost(events));
		expect(await retry.json()).toMatchObject({ recorded: 0, duplicates: 2 });
		expect((await store.getSubscriber({ id: ids['ann@example.com'] }))!.hardBounces).toBe(1);

		const forged = await fetch(url(GENERIC_HOOK, 'events'), genericPost([{ id: 'g-forged', type: 'complaint', email: 'cho@example.com' }], 'wrong-secret-of-some-length'));
		expect(forged.status).toBe(401);
		expect(((await forged.json()) as { ok: boolean }).ok).toBe(false);
		// Signed JSON of the wrong shape: our 400. (JSON that does not parse at all is answered
		// 422 by n8n before the trigger runs.)
		const wrongShape = JSON.stringify({ events: 'not a list' });
		const malformed = await fetch(url(GENERIC_HOOK, 'events'), {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-bulk-mail-signature': signGenericPayload(GENERIC_SECRET, wrongShape) },
			body: wrongShape,
		});
		expect(malformed.status).toBe(400);
		expect(((await malformed.json()) as { error: string }).error).toMatch(/"events" must be an array/);
		const notJson = await fetch(url(GENERIC_HOOK, 'events'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"events": [' });
		expect(notJson.status).toBe(422);
		expect((await store.getSubscriber({ id: ids['cho@example.com'] }))!.status).toBe('active');
		expect(await settledExecutions(n8n, WORKFLOW_ID)).toBe(before + 1);
	});

	test('a SendGrid-signed batch updates the store and the campaign', async () => {
		const ts = Math.floor(Date.now() / 1000);
		const tag = (email: string) => ({ 'X-Bulk-Mail-Campaign': campaignId, 'X-Bulk-Mail-Subscriber': ids[email] });
		const records = [
			{ email: 'cho@example.com', timestamp: ts, event: 'spamreport', sg_event_id: 'sg-c1', ...tag('cho@example.com') },
			{ email: 'dan@example.com', timestamp: ts, event: 'bounce', type: 'bounce', status: '5.1.1', reason: '550 5.1.1 unknown', sg_event_id: 'sg-b1', ...tag('dan@example.com') },
			{ email: 'eve@example.com', timestamp: ts, event: 'delivered', sg_event_id: 'sg-d1', ...tag('eve@example.com') },
			{ email: 'eve@example.com', timestamp: ts, event: 'open', sg_event_id: 'sg-o1', ...tag('eve@example.com') },
			{ email: 'eve@example.com', timestamp: ts, event: 'open', sg_event_id: 'sg-o1', ...tag('eve@example.com') },
			{ email: 'nobody@example.com', timestamp: ts, event: 'bounce', type: 'bounce', status: '5.1.1', sg_event_id: 'sg-b2' },
		];
		const response = await fetch(url(SENDGRID_HOOK, 'events'), sendgridPost(records));
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ received: 6, recorded: 5, duplicates: 1, unknownRecipients: 1 });
		expect((await store.getSubscriber({ id: ids['cho@example.com'] }))!.status).toBe('complained');
		expect((await store.getSubscriber({ id: ids['dan@example.com'] }))!.status).toBe('bounced');
		expect(await store.isSuppressed('cho@example.com')).toBe(true);
		const campaign = await store.sql.get('SELECT complained, bounced, delivered, opened FROM campaigns WHERE id = ?', [campaignId]);
		expect(Object.fromEntries(Object.entries(campaign!).map(([k, v]) => [k, Number(v)]))).toEqual({
			complained: 1,
			bounced: 1,
			delivered: 1,
			opened: 1,
		});
		const unsigned = await fetch(url(SENDGRID_HOOK, 'events'), { ...sendgridPost(records), headers: { 'content-type': 'application/json' } });
		expect(unsigned.status).toBe(401);
	});

	test('one-click unsubscribe, the confirmation page, the open pixel and the click redirect', async () => {
		const bob = ids['bob@example.com'];
		const unsubscribeToken = signer.sign('unsubscribe', { subscriberId: bob, campaignId });
		const page = await fetch(`${url(GENERIC_HOOK, 'unsubscribe')}?t=${unsubscribeToken}`);
		expect(page.status).toBe(200);
		expect(page.headers.get('content-type')).toMatch(/^text\/html/);
		expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
		const html = await page.text();
		expect(html).toContain('bob@example.com');
		expect(html).toContain('<form method="post"');
		expect((await store.getSubscriber({ id: bob }))!.status).toBe('active');

		const tampered = await fetch(`${url(GENERIC_HOOK, 'unsubscribe')}?t=${unsubscribeToken.slice(0, -4)}AAAA`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'List-Unsubscribe=One-Click',
		});
		expect(tampered.status).toBe(403);
		expect((await store.getSubscriber({ id: bob }))!.status).toBe('active');

		const oneClick = await fetch(`${url(GENERIC_HOOK, 'unsubscribe')}?t=${unsubscribeToken}`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'List-Unsubscribe=One-Click',
		});
		expect(oneClick.status).toBe(200);
		expect(await oneClick.text()).toContain('You are unsubscribed');
		expect((await store.getSubscriber({ id: bob }))!.status).toBe('unsubscribed');

		const eve = ids['eve@example.com'];
		const pixel = await fetch(`${url(GENERIC_HOOK, 'open')}?t=${signer.sign('open', { subscriberId: eve, campaignId })}`);
		expect(pixel.status).toBe(200);
		expect(pixel.headers.get('content-type')).toBe('image/gif');
		expect(Buffer.from(await pixel.arrayBuffer()).subarray(0, 6).toString()).toBe('GIF89a');

		const target = 'https://shop.example.net/offer?id=7';
		const click = await fetch(`${url(GENERIC_HOOK, 'click')}?t=${signer.sign('click', { subscriberId: eve, campaignId, url: target })}`, {
			redirect: 'manual',
		});
		expect(click.status).toBe(302);
		expect(click.headers.get('location')).toBe(target);
		const forgedClick = await fetch(`${url(GENERIC_HOOK, 'click')}?t=${new LinkSigner('x'.repeat(32)).sign('click', { subscriberId: eve, url: 'https://evil.example/' })}`, {
			redirect: 'manual',
		});
		expect(forgedClick.status).toBe(403);
		expect(forgedClick.headers.get('location')).toBeNull();

		const counters = await store.sql.get('SELECT unsubscribed, opened, clicked FROM campaigns WHERE id = ?', [campaignId]);
		expect(Object.fromEntries(Object.entries(counters!).map(([k, v]) => [k, Number(v)]))).toEqual({
			unsubscribed: 1,
			opened: 1,
			clicked: 1,
		});
	});

	test("events whose report history the store refuses are still recorded, and n8n's log says what the report lacks", async () => {
		// The store refuses the history's rows (as a full disk or a revoked grant would).
		const refuse =
			backend === 'postgres'
				? `CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'history refused by the test'; END $$;
				   CREATE TRIGGER refuse_history BEFORE INSERT ON campaign_events FOR EACH ROW EXECUTE FUNCTION refuse_history()`
				: "CREATE TRIGGER refuse_history BEFORE INSERT ON campaign_events BEGIN SELECT RAISE(ABORT, 'history refused by the test'); END";
		const historyOfDan = async () =>
			Number((await store.sql.get('SELECT COUNT(*) AS n FROM campaign_events WHERE campaign_id = ? AND subscriber_id = ?', [campaignId, ids['dan@example.com']]))?.n);
		const historyBefore = await historyOfDan();
		await store.sql.exec(refuse);
		try {
			const response = await fetch(url(GENERIC_HOOK, 'events'), genericPost([{ id: 'g-open-history', type: 'open', email: 'dan@example.com', campaignId }]));
			expect(response.status).toBe(200);
			expect(await response.json()).toMatchObject({ ok: true, recorded: 1 });
			expect(await store.sql.get('SELECT opened_at FROM send_log WHERE campaign_id = ? AND subscriber_id = ?', [campaignId, ids['dan@example.com']])).toMatchObject({
				opened_at: expect.any(String),
			});
			// The trigger answers first and logs after: wait for the line.
			const warning = /Bounce Webhook: events request: recorded and counted 1 event\(s\), but the campaign report's event history of them could not be written.*history refused by the test/;
			const deadline = Date.now() + 15_000;
			while (!warning.test(n8n.logs()) && Date.now() < deadline) await sleep(100);
			expect(n8n.logs()).toMatch(warning);
			expect(await historyOfDan()).toBe(historyBefore);
		} finally {
			await store.sql.exec(backend === 'postgres' ? 'DROP TRIGGER refuse_history ON campaign_events; DROP FUNCTION refuse_history()' : 'DROP TRIGGER refuse_history');
		}
	});
});

describe('Bounce Webhook trigger in real n8n with its store down', () => {
	const signer = new LinkSigner(LINK_SECRET);
	const url = (endpoint: string) => n8n.webhookUrl(`${DOWN.generic}/${endpoint}`);

	it('still redirects a reader’s click and serves the pixel; events and unsubscribes get 503 to be retried', async () => {
		const target = 'https://shop.example.net/offer?id=8';
		const click = await fetch(`${url('click')}?t=${signer.sign('click', { subscriberId: '7', campaignId: '3', url: target })}`, { redirect: 'manual' });
		expect(click.status).toBe(302);
		expect(click.headers.get('location')).toBe(target);
		const pixel = await fetch(`${url('open')}?t=${signer.sign('open', { subscriberId: '7', campaignId: '3' })}`);
		expect(pixel.status).toBe(200);
		expect(Buffer.from(await pixel.arrayBuffer()).subarray(0, 6).toString()).toBe('GIF89a');
		// nothing a sender or reader would take as done
		const events = await fetch(url('events'), genericPost([{ id: 'down-1', type: 'hard', email: 'ann@example.com', status: '5.1.1' }]));
		expect(events.status).toBe(503);
		const unsubscribe = await fetch(`${url('unsubscribe')}?t=${signer.sign('unsubscribe', { subscriberId: '7', campaignId: '3' })}`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'List-Unsubscribe=One-Click',
		});
		expect(unsubscribe.status).toBe(503);
		expect(n8n.logs()).toMatch(/answered a click request without recording it/);
	});
});
