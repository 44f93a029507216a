/**
 * The Bulk Send node driven through execute() with the strict IExecuteFunctions mock, against a
 * real SMTP server (npm smtp-server on a free port) and a real SQLite store: item mode
 * (delivery, pairing, suppression, failures output, continue-on-fail, bounces, test send,
 * throttling, shared Redis limit), campaign mode (create, start in slices, status, recipients,
 * pause/cancel, failures) and the SMTP and Redis credential tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
	type ICredentialDataDecryptedObject,
	type ICredentialTestFunctions,
	type IDataObject,
	type INodeExecutionData,
} from 'n8n-workflow';

import { parseVerpAddress } from '../../lib/bounce';
import { openStore } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { BulkSend } from '../../nodes/BulkSend/BulkSend.node';
import { wallClockToUtc as inTimeZone } from '../../lib/campaign';
import { bulkMailRedisConnectionTest } from '../../nodes/BulkSend/methods/credentialTest';
import { bulkMailSmtpConnectionTest } from '../../nodes/BulkSend/methods/credentialTest';
import { ComposeMessage } from '../../nodes/ComposeMessage/ComposeMessage.node';
import { expectNodeError, runNode, type ExecuteMockOptions } from '../helpers/n8nMock';
import { REDIS, freePort } from '../helpers/services';
import { parseMessage, startSmtpServer, type ScriptAction, type TestSmtpServer } from '../helpers/smtp';

jest.setTimeout(60_000);

const SECRET = 'bulk-send-test-secret-0123456789abcdef';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
const actor = { type: 'test', id: 'bulk-send-node' };

let storeDir: string;
const previousStoreDir = process.env.BULK_MAIL_STORE_DIR;
let storeCounter = 0;
const servers: TestSmtpServer[] = [];

beforeAll(() => {
	storeDir = mkdtempSync(path.join(tmpdir(), 'bulk-send-node-'));
	process.env.BULK_MAIL_STORE_DIR = storeDir;
});

afterAll(async () => {
	await Promise.all(servers.map((server) => server.close()));
	if (previousStoreDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
	else process.env.BULK_MAIL_STORE_DIR = previousStoreDir;
	rmSync(storeDir, { recursive: true, force: true });
});

async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}) {
	const server = await startSmtpServer(options);
	servers.push(server);
	return server;
}

function smtpCredential(server: TestSmtpServer, extra: IDataObject = {}): ICredentialDataDecryptedObject {
	return {
		host: server.host,
		port: server.port,
		security: 'none',
		allowPlain: true,
		ehloName: 'sender.test',
		...extra,
	};
}

/** A fresh SQLite store file (in the store folder) with a list. */
async function newStore(): Promise<{ store: SqlSubscriberStore; file: string; listId: string }> {
	const file = `store-${++storeCounter}.sqlite`;
	const store = await openStore({ backend: 'sqlite', file, baseDir: storeDir });
	const list = await store.createList({ name: 'Newsletter' }, actor);
	return { store, file, listId: list.id };
}

function storeCredential(file: string): ICredentialDataDecryptedObject {
	return { backend: 'sqlite', file, publicBaseUrl: BASE_URL, signingSecret: SECRET };
}

async function addSubscriber(
	store: SqlSubscriberStore,
	listId: string,
	email: string,
	name: string,
	status: 'active' | 'pending' = 'active',
) {
	const result = await store.upsertSubscriber(listId, { email, name, status }, {}, actor);
	return result.subscriber!;
}

/** Messages as Compose Message makes them, for subscriber-like items. */
async function composedItems(
	people: Array<{ id?: string; email: string; name: string }>,
	file: string,
): Promise<INodeExecutionData[]> {
	const { output } = await runNode(new ComposeMessage(), {
		credentials: { bulkMailSubscriberStoreApi: storeCredential(file) },
		items: people.map((person) => ({ json: { ...person, fields: {} } })),
		parameters: {
			operation: 'compose',
			subject: 'News for {{ name }}',
			html: '<p>Hello {{ name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
			fromName: 'ACME News',
			fromEmail: 'news@example.com',
			campaignId: 'june',
		},
	});
	return output[0].map(({ json, binary }) => ({ json, ...(binary ? { binary } : {}) }));
}

/** A hand-built message item, as "any node" would make one. */
function plainItem(to: string, extra: IDataObject = {}): INodeExecutionData {
	return {
		json: { from: 'News <news@example.com>', to, subject: `Hi ${to}`, text: `Hello ${to}`, ...extra },
	};
}

/** The header section of a raw message, unfolded, with a leading newline. */
function headerBlock(raw: Buffer): string {
	const text = raw.toString('utf8');
	return `\n${text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ').replace(/\r\n/g, '\n')}`;
}

function bulkSend(options: ExecuteMockOptions) {
	return runNode(new BulkSend(), options);
}


describe('Bulk Send: Message → Send (item mode)', () => {
	test('delivers every item over one pool, one result per item, paired, in order', async () => {
		const server = await smtpServer();
		const { file } = await newStore();
		const people = [
			{ id: '1', email: 'ann@example.org', name: 'Ann' },
			{ id: '2', email: 'bob@example.org', name: 'Bob' },
			{ id: '3', email: 'chie@example.org', name: 'Chie' },
		];
		const items = await composedItems(people, file);
		const { output } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server) },
			items,
			parameters: { resource: 'message', operation: 'send', throttling: { maxConnections: 2 } },
		});
		expect(output).toHaveLength(2);
		expect(output[1]).toEqual([]);
		expect(output[0].map((entry) => entry.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		output[0].forEach((entry, index) => {
			expect(entry.json).toMatchObject({
				status: 'sent',
				to: people[index].email,
				subscriberId: people[index].id,
				campaignId: 'june',
				accepted: [people[index].email],
				rejected: [],
				attempts: 1,
			});
			expect(entry.json.messageId).toBe(items[index].json.messageId);
			expect(String(entry.json.response)).toMatch(/^250 /);
			expect(entry.json.error).toBeUndefined();
		});
		expect(server.messages.map((message) => message.to[0]).sort()).toEqual(
			people.map((person) => person.email).sort(),
		);
		// at most the two pooled connections were opened for three messages
		expect(server.stats.connections).toBeLessThanOrEqual(2);
		const received = server.byRecipient().get('bob@example.org')![0];
		const parsed = await parseMessage(received);
		expect(parsed.subject).toBe('News for Bob');
		const head = headerBlock(received.raw);
		expect(head).toContain(`\nList-Unsubscribe: <${BASE_URL}/unsubscribe?t=`);
		expect(head).toContain('\nList-Unsubscribe-Post: List-Unsubscribe=One-Click');
		expect(parsed.messageId).toBe(items[1].json.messageId);
	});

	test('with a store, suppressed and non-active addresses are never sent to', async () => {
		const server = await smtpServer();
		const { store, file, listId } = await newStore();
		const active = await addSubscriber(store, listId, 'active@example.org', 'Active');
		const gone = await addSubscriber(store, listId, 'gone@example.org', 'Gone');
		await store.setStatus(gone.id, 'unsubscribed', {}, actor);
		const pending = await addSubscriber(store, listId, 'pending@example.org', 'Pending', 'pending');
		await store.suppress('blocked@example.org', 'complaint', 'test', actor);
		const bounced = await addSubscriber(store, listId, 'bounced@example.org', 'B');
		await store.setStatus(bounced.id, 'bounced', {}, actor);
		await store.close();

		const items = [
			...(await composedItems(
				[
					{ id: active.id, email: active.email, name: 'Active' },
					{ id: gone.id, email: gone.email, name: 'Gone' },
					{ id: pending.id, email: pending.email, name: 'Pending' },
				],
				file,
			)),
			plainItem('blocked@example.org'),
			plainItem('bounced@example.org'),
			plainItem('stranger@example.org'),
		];
		const { output } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server), bulkMailSubscriberStoreApi: storeCredential(file) },
			items,
			parameters: { resource: 'message', operation: 'send' },
		});
		expect(output[1]).toEqual([]);
		const byIndex = Object.fromEntries(
			output[0].map((entry) => [(entry.pairedItem as { item: number }).item, entry.json]),
		);
		expect(byIndex[0]).toMatchObject({ status: 'sent', to: 'active@example.org' });
		expect(byIndex[1]).toMatchObject({ status: 'suppressed', reason: `Not sent: subscriber ${gone.id} is unsubscribed` });
		expect(byIndex[2]).toMatchObject({ status: 'suppressed', reason: `Not sent: subscriber ${pending.id} is pending` });
		expect(byIndex[3]).toMatchObject({
			status: 'suppressed',
			reason: "Not sent: the address is on the store's suppression list",
		});
		expect(byIndex[4]).toMatchObject({
			status: 'suppressed',
			reason: "Not sent: the address is bounced in list 'Newsletter'",
		});
		expect(byIndex[5]).toMatchObject({ status: 'sent', to: 'stranger@example.org' });
		expect(server.messages.map((message) => message.to[0]).sort()).toEqual([
			'active@example.org',
			'stranger@example.org',
		]);
	});

	test('refused recipients go to the Failures output, name their item and bounce in the store', async () => {
		const server = await smtpServer({
			script: ({ stage, address }): ScriptAction | undefined =>
				stage === 'rcpt' && address === 'nobody@example.org'
					? { reply: 550, message: '5.1.1 No such user' }
					: undefined,
		});
		const { store, file, listId } = await newStore();
		const ok = await addSubscriber(store, listId, 'ok@example.org', 'Ok');
		const nobody = await addSubscriber(store, listId, 'nobody@example.org', 'Nobody');
		await store.close();
		const items = await composedItems(
			[
				{ id: ok.id, email: ok.email, name: 'Ok' },
				{ id: nobody.id, email: nobody.email, name: 'Nobody' },
			],
			file,
		);
		const { output } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server), bulkMailSubscriberStoreApi: storeCredential(file) },
			items,
			parameters: { resource: 'message', operation: 'send' },
		});
		expect(output[0].map((entry) => entry.json.to)).toEqual(['ok@example.org']);
		expect(output[1]).toHaveLength(1);
		expect(output[1][0].pairedItem).toEqual({ item: 1 });
		expect(output[1][0].json).toMatchObject({
			status: 'failed',
			to: 'nobody@example.org',
			attempts: 1,
			errorKind: 'permanent',
			responseCode: 550,
			enhancedStatus: '5.1.1',
			bounce: 'hard',
		});
		expect(output[1][0].json.error).toMatch(/^Item 2: Refused \(RCPT TO\): "550 5\.1\.1 No such user"/);
		// the store's bounce policy (1 hard bounce) stopped the address
		const reopened = await openStore({ backend: 'sqlite', file, baseDir: storeDir });
		try {
			expect((await reopened.getSubscriber({ id: nobody.id }))?.status).toBe('bounced');
			expect((await reopened.getSubscriber({ id: ok.id }))?.status).toBe('active');
		} finally {
			await reopened.close();
		}
	});

	test('an item that is not a message fails the node before anything is sent', async () => {
		const server = await smtpServer();
		const error = await expectNodeError(
			bulkSend({
				credentials: { bulkMailSmtpApi: smtpCredential(server) },
				items: [
					plainItem('a@example.org'),
					{ json: { from: 'n@example.com', to: 'b@example.org', text: 'no subject' } },
				],
				parameters: { resource: 'message', operation: 'send' },
			}),
		);
		expect(error.message).toBe(
			"Item 2 is not a composed message: 'subject' is missing. Compose it with the Compose Message node.",
		);
		expect(error.description).toMatch(/Default From E-Mail/);
		expect(server.messages).toHaveLength(0);
	});

	test('continue on fail: bad items go to Failures as invalid, the others are sent', async () => {
		const server = await smtpServer();
		const { output } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server) },
			continueOnFail: true,
			items: [
				plainItem('a@example.org'),
				{ json: { to: 'not-an-address', subject: 'x', text: 'y', from: 'n@example.com' } },
				{ json: { to: 'c@example.org', subject: 'No sender', text: 'y' } },
			],
			parameters: {
				resource: 'message',
				operation: 'send',
				sendOptions: { defaultFromEmail: 'default@example.com', defaultFromName: 'Default' },
			},
		});
		expect(output[0].map((entry) => [entry.json.status, entry.json.to, entry.pairedItem])).toEqual([
			['sent', 'a@example.org', { item: 0 }],
			['sent', 'c@example.org', { item: 2 }],
		]);
		expect(output[1]).toHaveLength(1);
		expect(output[1][0]).toMatchObject({ pairedItem: { item: 1 }, json: { status: 'invalid', to: 'not-an-address' } });
		expect(output[1][0].json.error).toMatch(/^Item 2: /);
		const parsed = await parseMessage(server.byRecipient().get('c@example.org')![0]);
		expect(parsed.from?.value[0]).toEqual({ address: 'default@example.com', name: 'Default' });
	});

	test('SMTP authentication failure: a clear NodeOperationError naming the item, no password in it', async () => {
		const server = await smtpServer({ auth: { user: 'mailer', pass: 'right-password' } });
		const error = await expectNodeError(
			bulkSend({
				credentials: { bulkMailSmtpApi: smtpCredential(server, { user: 'mailer', password: 'wrong-password' }) },
				items: [plainItem('a@example.org'), plainItem('b@example.org')],
				parameters: { resource: 'message', operation: 'send' },
			}),
		);
		expect(error.message).toMatch(/^Item 1: Authentication failed for user "mailer".*535.*Nothing was sent\.$/);
		expect(JSON.stringify({ message: error.message, description: error.description })).not.toContain('wrong-password');
		expect(server.messages).toHaveLength(0);
	});

	test('with continue on fail, an authentication failure puts every item on Failures as skipped', async () => {
		const server = await smtpServer({ auth: { user: 'mailer', pass: 'right-password' } });
		const { output, mock } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server, { user: 'mailer', password: 'nope' }) },
			continueOnFail: true,
			items: [plainItem('a@example.org'), plainItem('b@example.org')],
			parameters: { resource: 'message', operation: 'send' },
		});
		expect(output[0]).toEqual([]);
		expect(output[1].map((entry) => [entry.json.status, entry.pairedItem])).toEqual([
			['skipped', { item: 0 }],
			['skipped', { item: 1 }],
		]);
		expect(String(output[1][0].json.error)).toMatch(/^Item 1: .*Authentication failed/);
		expect(mock.hints.map((hint) => hint.message).join('\n')).toMatch(/Stopped: Authentication failed/);
	});

	test('a plain connection needs the explicit opt-in', async () => {
		const server = await smtpServer();
		const error = await expectNodeError(
			bulkSend({
				credentials: { bulkMailSmtpApi: smtpCredential(server, { allowPlain: false }) },
				items: [plainItem('a@example.org')],
				parameters: { resource: 'message', operation: 'send' },
			}),
		);
		expect(error.message).toMatch(/^Item 1: .*'Allow Unencrypted Connection' is off/);
		expect(server.stats.connections).toBe(0);
	});

	test('throttling: messages per second are spaced out', async () => {
		const server = await smtpServer();
		const addresses = Array.from({ length: 6 }, (_, i) => `t${i}@example.org`);
		const started = Date.now();
		const { output } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server) },
			items: addresses.map((address) => plainItem(address)),
			parameters: { resource: 'message', operation: 'send', throttling: { perSecond: 5 } },
		});
		expect(output[0]).toHaveLength(6);
		// 6 sends at 5/s: the sixth starts at least a second after the first
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		const times = server.messages.map((message) => message.receivedAt).sort((a, b) => a - b);
		// arrival times also carry connection set-up and scheduling noise
		expect(times[5] - times[0]).toBeGreaterThanOrEqual(700);
	});

	test('a bad throttling setting fails before anything is sent, naming the item', async () => {
		const server = await smtpServer();
		const error = await expectNodeError(
			bulkSend({
				credentials: { bulkMailSmtpApi: smtpCredential(server) },
				items: [plainItem('a@example.org')],
				parameters: {
					resource: 'message',
					operation: 'send',
					domainLimits: { rules: [{ domains: 'not a domain', perSecond: 1 }] },
				},
			}),
		);
		expect(error.message).toBe('Item 1: Domain limit 1: "not a domain" is not a domain name.');
		expect(server.stats.connections).toBe(0);
	});

	test('share the rate limit through Redis: the Redis credential is used and sending works', async () => {
		const server = await smtpServer();
		const { output, mock } = await bulkSend({
			credentials: {
				bulkMailSmtpApi: smtpCredential(server),
				bulkMailRedisApi: { host: REDIS.host, port: REDIS.port, db: 0 },
			},
			items: [plainItem('r1@example.org'), plainItem('r2@example.org')],
			parameters: {
				resource: 'message',
				operation: 'send',
				throttling: { perSecond: 50 },
				shareRateLimit: true,
				rateLimitKey: `bulk-send-node-test-${process.pid}`,
			},
		});
		expect(output[0].map((entry) => entry.json.status)).toEqual(['sent', 'sent']);
		expect(mock.credentialsRead).toContain('bulkMailRedisApi');
	});

	test('an unreachable Redis fails the run before anything is sent', async () => {
		const server = await smtpServer();
		const port = await freePort();
		await expectNodeError(
			bulkSend({
				credentials: {
					bulkMailSmtpApi: smtpCredential(server),
					bulkMailRedisApi: { host: '127.0.0.1', port, db: 0 },
				},
				items: [plainItem('r1@example.org')],
				parameters: { resource: 'message', operation: 'send', throttling: { perSecond: 10 }, shareRateLimit: true },
			}),
		).then((error) => expect(error.message).toMatch(/^Item 1: Cannot reach Redis at 127\.0\.0\.1:\d+/));
		expect(server.messages).toHaveLength(0);
	});
});

describe('Bulk Send: Message → Test Send', () => {
	test('sends the first item to the proof addresses, marked as a proof, without the recipient’s headers', async () => {
		const server = await smtpServer();
		const { file } = await newStore();
		const items = await composedItems([{ id: '7', email: 'real@example.org', name: 'Real' }], file);
		const { output, mock } = await bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server) },
			items,
			parameters: { resource: 'message', operation: 'testSend', proofRecipients: 'ed@example.com, qa@example.com' },
		});
		expect(output[0].map((entry) => [entry.json.status, entry.json.to, entry.json.proof])).toEqual([
			['sent', 'ed@example.com', true],
			['sent', 'qa@example.com', true],
		]);
		expect(server.byRecipient().has('real@example.org')).toBe(false);
		const parsed = await parseMessage(server.byRecipient().get('qa@example.com')![0]);
		expect(parsed.subject).toBe('[TEST] News for Real');
		expect(parsed.headers.get('x-bulk-mail-proof')).toBe('1');
		expect(parsed.headers.has('list-unsubscribe')).toBe(false);
		expect(parsed.headers.has('x-bulk-mail-subscriber')).toBe(false);
		expect(parsed.messageId).not.toBe(items[0].json.messageId);
		expect(mock.hints.map((hint) => hint.message).join('\n')).toMatch(/composed for subscriber 7/);
	});

	test('more than ten proof recipients is refused', async () => {
		const server = await smtpServer();
		const addresses = Array.from({ length: 11 }, (_, i) => `p${i}@example.com`).join(',');
		const error = await expectNodeError(
			bulkSend({
				credentials: { bulkMailSmtpApi: smtpCredential(server) },
				items: [plainItem('a@example.org')],
				parameters: { resource: 'message', operation: 'testSend', proofRecipients: addresses },
			}),
		);
		expect(error.message).toBe('Item 1: 11 proof recipients given; a test send goes to at most 10');
	});
});

describe('Bulk Send: Campaign (SQLite store)', () => {
	const TEMPLATE = {
		subject: 'June news for {{ name }}',
		html: '<p>Hello {{ name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
		fromName: 'ACME News',
		fromEmail: 'news@example.com',
	};

	async function seeded(count: number) {
		const { store, file, listId } = await newStore();
		for (let i = 0; i < count; i++) await addSubscriber(store, listId, `reader${i}@example.org`, `Reader ${i}`);
		return { store, file, listId };
	}

	function campaignRun(
		server: TestSmtpServer,
		file: string,
		parameters: IDataObject,
		extra: Partial<ExecuteMockOptions> = {},
	) {
		return bulkSend({
			credentials: { bulkMailSmtpApi: smtpCredential(server), bulkMailSubscriberStoreApi: storeCredential(file) },
			...extra,
			parameters: { resource: 'campaign', ...parameters },
		});
	}

	test('create, start (one summary item), status, recipients; a second start sends nothing', async () => {
		const server = await smtpServer();
		const { store, file, listId } = await seeded(5);
		const gone = await addSubscriber(store, listId, 'gone@example.org', 'Gone');
		await store.setStatus(gone.id, 'unsubscribed', {}, actor);
		await store.close();

		const created = await campaignRun(server, file, {
			operation: 'create',
			campaignName: 'June',
			list: 'Newsletter',
			...TEMPLATE,
			throttling: { perSecond: 100 },
		});
		const campaign = created.output[0][0].json;
		expect(campaign).toMatchObject({ name: 'June', status: 'draft', listId });
		expect((campaign.sender as IDataObject).limiter).toMatchObject({ perSecond: 100 });
		expect(JSON.stringify(campaign)).not.toContain(SECRET);
		const id = String(campaign.id);

		const started = await campaignRun(server, file, { operation: 'start', campaignId: id });
		expect(started.output[0]).toHaveLength(1);
		expect(started.output[1]).toEqual([]);
		expect(started.output[0][0].pairedItem).toEqual({ item: 0 });
		expect(started.output[0][0].json).toMatchObject({
			campaignId: id,
			status: 'finished',
			outcome: 'finished',
			sentThisRun: 5,
			failedThisRun: 0,
			remaining: 0,
			limits: '100/s',
		});
		expect(server.messages).toHaveLength(5);
		expect(new Set(server.messages.map((message) => message.to[0])).size).toBe(5);
		expect(server.byRecipient().has('gone@example.org')).toBe(false);
		const parsed = await parseMessage(server.messages[0]);
		expect(parsed.subject).toMatch(/^June news for Reader \d$/);
		expect(headerBlock(server.messages[0].raw)).toContain(`\nList-Unsubscribe: <${BASE_URL}/unsubscribe?t=`);
		expect(parsed.headers.get('x-bulk-mail-campaign')).toBe(id);

		const status = await campaignRun(server, file, { operation: 'getStatus', campaignId: id });
		expect(status.output[0][0].json).toMatchObject({
			id,
			status: 'finished',
			counters: expect.objectContaining({ sent: 5, failed: 0 }),
			remaining: 0,
			progressPct: 100,
		});

		const recipients = await campaignRun(server, file, {
			operation: 'getRecipients',
			campaignId: id,
			states: ['sent'],
			limit: 3,
		});
		expect(recipients.output[0]).toHaveLength(3);
		expect(recipients.output[0][0].json).toMatchObject({ state: 'sent', email: 'reader0@example.org' });
		const cursor = String(recipients.output[0][0].json.nextCursor);
		const rest = await campaignRun(server, file, {
			operation: 'getRecipients',
			campaignId: id,
			states: ['sent'],
			limit: 3,
			cursor,
		});
		expect(rest.output[0].map((entry) => entry.json.email)).toEqual(['reader3@example.org', 'reader4@example.org']);
		expect(rest.output[0][1].json.nextCursor).toBeNull();

		const again = await campaignRun(server, file, { operation: 'start', campaignId: id });
		expect(again.output[0][0].json).toMatchObject({ outcome: 'finished', sentThisRun: 0 });
		expect(server.messages).toHaveLength(5);
	});

	test('Max Messages per Run sends in slices; every recipient gets exactly one message', async () => {
		const server = await smtpServer();
		const { store, file } = await seeded(7);
		await store.close();
		const created = await campaignRun(server, file, { operation: 'create', campaignName: 'Sliced', list: 'Newsletter', ...TEMPLATE });
		const id = String(created.output[0][0].json.id);
		const slices: IDataObject[] = [];
		for (let run = 0; run < 6; run++) {
			const { output } = await campaignRun(server, file, {
				operation: 'start',
				campaignId: id,
				runOptions: { maxMessages: 3, batchSize: 2 },
			});
			slices.push(output[0][0].json);
			if (output[0][0].json.status === 'finished') break;
		}
		expect(slices.map((slice) => slice.sentThisRun)).toEqual([3, 3, 1]);
		expect(slices[0]).toMatchObject({ outcome: 'stopped', remaining: 4 });
		expect(slices[0].message).toBe('Handed the maximum of 3 messages for this run to the server; the next run continues.');
		expect(slices[2]).toMatchObject({ outcome: 'finished', status: 'finished', remaining: 0 });
		const counts = [...server.byRecipient().values()].map((messages) => messages.length);
		expect(counts).toHaveLength(7);
		expect(counts.every((count) => count === 1)).toBe(true);
	});

	test('Bounce Domain (VERP): each message leaves with its own signed return path; a bad domain fails before sending', async () => {
		const server = await smtpServer();
		const { store, file } = await seeded(2);
		await store.close();
		const created = await campaignRun(server, file, { operation: 'create', campaignName: 'V', list: 'Newsletter', ...TEMPLATE });
		const id = String(created.output[0][0].json.id);
		await expect(
			campaignRun(server, file, { operation: 'start', campaignId: id, runOptions: { bounceDomain: 'bounces@example.com' } }),
		).rejects.toThrow(/not a bounce domain/);
		expect(server.messages).toHaveLength(0);
		const run = await campaignRun(server, file, { operation: 'start', campaignId: id, runOptions: { bounceDomain: 'Bounce.Example.com' } });
		expect(run.output[0][0].json).toMatchObject({ outcome: 'finished', sentThisRun: 2 });
		const returnPaths = server.messages.map((message) => parseVerpAddress(message.from, SECRET));
		expect(returnPaths.map((ids) => ids?.campaignId)).toEqual([id, id]);
		expect(new Set(returnPaths.map((ids) => ids?.subscriberId)).size).toBe(2);
		expect(server.messages.every((message) => message.from.endsWith('@bounce.example.com'))).toBe(true);
	});

	test('failures come out on the second output; pause holds until resumed; cancel ends it', async () => {
		const server = await smtpServer({
			script: ({ stage, address }): ScriptAction | undefined =>
				stage === 'rcpt' && address === 'reader1@example.org' ? { reply: 550, message: '5.1.1 Unknown user' } : undefined,
		});
		const { store, file } = await seeded(3);
		await store.close();
		const created = await campaignRun(server, file, { operation: 'create', campaignName: 'F', list: 'Newsletter', ...TEMPLATE });
		const id = String(created.output[0][0].json.id);

		const paused = await campaignRun(server, file, { operation: 'pause', campaignId: id, pauseReason: 'Checking' });
		expect(paused.output[0][0].json).toMatchObject({ status: 'paused', pauseReason: 'Checking' });
		const held = await campaignRun(server, file, { operation: 'start', campaignId: id });
		expect(held.output[0][0].json).toMatchObject({ outcome: 'not-runnable', sentThisRun: 0 });
		expect(server.messages).toHaveLength(0);

		const resumed = await campaignRun(server, file, {
			operation: 'start',
			campaignId: id,
			runOptions: { resumePaused: true },
		});
		expect(resumed.output[0][0].json).toMatchObject({ outcome: 'finished', sentThisRun: 2, failedThisRun: 1 });
		expect(resumed.output[1]).toHaveLength(1);
		expect(resumed.output[1][0]).toMatchObject({
			pairedItem: { item: 0 },
			json: { campaignId: id, email: 'reader1@example.org', state: 'failed', responseCode: 550, bounce: 'hard' },
		});

		const cancelled = await campaignRun(server, file, { operation: 'create', campaignName: 'C', list: 'Newsletter', ...TEMPLATE });
		const cancelId = String(cancelled.output[0][0].json.id);
		const result = await campaignRun(server, file, { operation: 'cancel', campaignId: cancelId });
		expect(result.output[0][0].json).toMatchObject({ id: cancelId, status: 'cancelled' });
	});

	test('a send-at time in the workflow’s zone schedules the campaign; runs before it send nothing', async () => {
		const server = await smtpServer();
		const { store, file } = await seeded(2);
		await store.close();
		const created = await campaignRun(server, file, {
			operation: 'create',
			campaignName: 'Later',
			list: 'Newsletter',
			...TEMPLATE,
			sendAt: '2099-01-01T09:00:00',
		});
		// the mock's workflow time zone is UTC
		expect(created.output[0][0].json).toMatchObject({ status: 'scheduled', sendAt: '2099-01-01T09:00:00.000Z' });
		const run = await campaignRun(server, file, { operation: 'start', campaignId: String(created.output[0][0].json.id) });
		expect(run.output[0][0].json).toMatchObject({ outcome: 'not-due', sentThisRun: 0, status: 'scheduled' });
		expect(server.messages).toHaveLength(0);
		expect(inTimeZone('2026-06-01T09:00:00', 'Asia/Tokyo')).toBe('2026-06-01T00:00:00.000Z');
		expect(inTimeZone('2026-07-01T09:00', 'Europe/Berlin')).toBe('2026-07-01T07:00:00.000Z');
		expect(inTimeZone('2026-06-01T09:00:00+02:00', 'Asia/Tokyo')).toBe('2026-06-01T09:00:00+02:00');
	});

	test('campaign test send: a proof per address, outside the campaign counters', async () => {
		const server = await smtpServer();
		const { store, file } = await seeded(2);
		await store.close();
		const created = await campaignRun(server, file, { operation: 'create', campaignName: 'P', list: 'Newsletter', ...TEMPLATE });
		const id = String(created.output[0][0].json.id);
		const { output } = await campaignRun(server, file, {
			operation: 'testSend',
			campaignId: id,
			proofRecipients: 'editor@example.com',
		});
		expect(output[0].map((entry) => [entry.json.status, entry.json.to])).toEqual([['sent', 'editor@example.com']]);
		const parsed = await parseMessage(server.messages[0]);
		expect(parsed.subject).toBe('[TEST] June news for');
		expect(parsed.headers.get('x-bulk-mail-proof')).toBe('1');
		const status = await campaignRun(server, file, { operation: 'getStatus', campaignId: id });
		expect(status.output[0][0].json).toMatchObject({ status: 'draft', counters: expect.objectContaining({ sent: 0 }) });
	});

	test('campaign errors name the item; continue on fail turns them into items', async () => {
		const server = await smtpServer();
		const { store, file } = await seeded(1);
		await store.close();
		const items = [{ json: { id: '999' } }, { json: { id: 'abc' } }];
		const error = await expectNodeError(
			campaignRun(server, file, { operation: 'getStatus', campaignId: '={{ $json.id }}' }, { items }),
		);
		expect(error.message).toBe("Item 1: There is no campaign with id '999'");
		const { output } = await campaignRun(
			server,
			file,
			{ operation: 'getStatus', campaignId: '={{ $json.id }}' },
			{ items, continueOnFail: true },
		);
		expect(output[0].map((entry) => [entry.json.error, entry.pairedItem])).toEqual([
			["Item 1: There is no campaign with id '999'", { item: 0 }],
			[expect.stringMatching(/^Item 2: /), { item: 1 }],
		]);
	});

	test('campaign operations without a store credential say what is missing', async () => {
		const server = await smtpServer();
		const error = await expectNodeError(
			bulkSend({
				credentials: { bulkMailSmtpApi: smtpCredential(server) },
				parameters: { resource: 'campaign', operation: 'getStatus', campaignId: '1' },
			}),
		);
		expect(error.message).toBe(
			'Item 1: Campaigns and their send log live in the subscriber store: select a Bulk Mail Subscriber Store credential on this node',
		);
	});

	test('a template that cannot compile is refused at Create, naming the problem', async () => {
		const server = await smtpServer();
		const { store, file } = await seeded(1);
		await store.close();
		const error = await expectNodeError(
			campaignRun(server, file, {
				operation: 'create',
				campaignName: 'Broken',
				list: 'Newsletter',
				...TEMPLATE,
				subject: 'Hello {{ name ',
			}),
		);
		expect(error.message).toMatch(/^Item 1: The campaign template is not valid: /);
	});
});

describe('Bulk Send description', () => {
	test('two outputs, not an AI tool, every credential tested by a method of the node', () => {
		const nodeType = new BulkSend();
		const { description } = nodeType;
		expect(description).toMatchObject({ name: 'bulkSend', version: 1, outputNames: ['Results', 'Failures'] });
		expect(description.outputs).toHaveLength(2);
		expect(description.usableAsTool).toBeUndefined();
		expect(description.credentials!.map((credential) => [credential.name, credential.required])).toEqual([
			['bulkMailSmtpApi', true],
			['bulkMailSubscriberStoreApi', false],
			['bulkMailRedisApi', true],
		]);
		for (const credential of description.credentials!) {
			expect(Object.keys(nodeType.methods.credentialTest)).toContain(credential.testedBy);
		}
		// the Redis credential only appears (and is only required) with a shared rate limit
		expect(description.credentials![2].displayOptions).toEqual({ show: { shareRateLimit: [true] } });
	});
});

describe('credential tests', () => {
	const testFunctions = {} as ICredentialTestFunctions;
	const smtpTest = (data: ICredentialDataDecryptedObject) =>
		bulkMailSmtpConnectionTest.call(testFunctions, { id: '1', name: 'SMTP', type: 'bulkMailSmtpApi', data });
	const redisTest = (data: ICredentialDataDecryptedObject) =>
		bulkMailRedisConnectionTest.call(testFunctions, { id: '2', name: 'Redis', type: 'bulkMailRedisApi', data });

	test('SMTP: connects and logs in; wrong password, refused port, TLS and plain opt-in give clear reasons', async () => {
		const server = await smtpServer({ auth: { user: 'mailer', pass: 'secret-pass' } });
		const ok = await smtpTest({ ...smtpCredential(server), user: 'mailer', password: 'secret-pass' });
		expect(ok.status).toBe('OK');
		expect(ok.message).toMatch(/^Connected to 127\.0\.0\.1:\d+ without TLS, authenticated as "mailer"\. Note: Security is "none"/);

		const wrong = await smtpTest({ ...smtpCredential(server), user: 'mailer', password: 'bad-pass' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/^Authentication failed for user "mailer"/);
		expect(wrong.message).not.toContain('bad-pass');

		const refused = await smtpTest({ host: '127.0.0.1', port: await freePort(), security: 'none', allowPlain: true });
		expect(refused).toMatchObject({ status: 'Error', message: expect.stringMatching(/^Connection refused by 127\.0\.0\.1:\d+/) });

		const notAllowed = await smtpTest({ ...smtpCredential(server), allowPlain: false });
		expect(notAllowed).toMatchObject({ status: 'Error', message: expect.stringContaining("'Allow Unencrypted Connection' is off") });

		const unknownHost = await smtpTest({ host: 'no-such-host.invalid', port: 587, security: 'starttls' });
		expect(unknownHost.status).toBe('Error');
		expect(unknownHost.message).toMatch(/no-such-host\.invalid/);
	});

	test('SMTP over TLS: an untrusted certificate fails unless self-signed certificates are allowed', async () => {
		const server = await smtpServer({ security: 'tls' });
		const base = { host: server.host, port: server.port, security: 'tls', minTlsVersion: 'TLSv1.2' };
		const strict = await smtpTest(base);
		expect(strict.status).toBe('Error');
		expect(strict.message).toMatch(/^TLS handshake failed with 127\.0\.0\.1:\d+: the server certificate/);
		const relaxed = await smtpTest({ ...base, allowSelfSigned: true });
		expect(relaxed.status).toBe('OK');
		expect(relaxed.message).toMatch(/over TLS \(TLS\)\. Note: Certificate verification is off/);
	});

	test('Redis: PING answered; a refused port is reported', async () => {
		expect(await redisTest({ host: REDIS.host, port: REDIS.port, db: 0 })).toEqual({
			status: 'OK',
			message: `Connected to Redis at ${REDIS.host}:${REDIS.port} (PING answered).`,
		});
		const port = await freePort();
		expect(await redisTest({ host: '127.0.0.1', port, db: 0 })).toEqual({
			status: 'Error',
			message: `Connection refused by 127.0.0.1:${port}: nothing accepts connections there (check host and port).`,
		});
	});
});
