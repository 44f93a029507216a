/**
 * Double opt-in through the nodes (strict n8n mock, real SQLite store, real SMTP server):
 * Subscriber List Create or Update with Require Confirmation → Send Confirmation → Bulk Send.
 * Bulk Send delivers the sealed confirmation to the pending subscriber once, and nothing else:
 * not the same mark on another message, not the same item twice; a re-send over the limit is a
 * per-item result; Purge Unconfirmed removes only unconfirmed pending rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { LinkSigner } from '../../lib/store/linkTokens';
import { openStore } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { handleConfirm } from '../../lib/webhook';
import { BulkSend } from '../../nodes/BulkSend/BulkSend.node';
import { SubscriberList } from '../../nodes/SubscriberList/SubscriberList.node';
import { perItem, runNode } from '../helpers/n8nMock';
import { parseMessage, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';

jest.setTimeout(60_000);

const SECRET = 'optin-node-test-secret-0123456789';
const BASE_URL = 'https://n8n.example.com/webhook/optin';
const actor = { type: 'test', id: 'optin-nodes' };

let storeDir: string;
let server: TestSmtpServer;
let store: SqlSubscriberStore;
const previousStoreDir = process.env.BULK_MAIL_STORE_DIR;
const FILE = 'optin.sqlite';
const storeCredential: ICredentialDataDecryptedObject = { backend: 'sqlite', file: FILE, publicBaseUrl: BASE_URL, signingSecret: SECRET };
const smtpCredential = (): ICredentialDataDecryptedObject => ({
	host: server.host,
	port: server.port,
	security: 'none',
	allowPlain: true,
	ehloName: 'sender.test',
});

beforeAll(async () => {
	storeDir = mkdtempSync(path.join(tmpdir(), 'optin-nodes-'));
	process.env.BULK_MAIL_STORE_DIR = storeDir;
	server = await startSmtpServer();
	store = await openStore({ backend: 'sqlite', file: FILE, baseDir: storeDir });
	await store.createList({ name: 'Weekly <News>' }, actor);
});

afterAll(async () => {
	await store.close();
	await server.close();
	if (previousStoreDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
	else process.env.BULK_MAIL_STORE_DIR = previousStoreDir;
	rmSync(storeDir, { recursive: true, force: true });
});

async function signUp(emails: string[]): Promise<IDataObject[]> {
	const { output } = await runNode(new SubscriberList(), {
		credentials: { bulkMailSubscriberStoreApi: storeCredential },
		items: emails.map((email) => ({ json: { email } })),
		parameters: {
			resource: 'subscriber',
			operation: 'upsert',
			list: 'Weekly <News>',
			email: perItem((_, item) => item?.json.email),
			name: 'Reader',
			upsertOptions: { requireConfirmation: true, source: 'signup-form' },
		},
	});
	return output[0].map((item) => item.json);
}

async function sendConfirmation(items: INodeExecutionData[], options: IDataObject = {}, extra: IDataObject = {}) {
	const { output } = await runNode(new SubscriberList(), {
		credentials: { bulkMailSubscriberStoreApi: storeCredential },
		items,
		parameters: {
			resource: 'subscriber',
			operation: 'sendConfirmation',
			confirmSubscriberId: perItem((_, item) => item?.json.id),
			fromEmail: 'news@example.com',
			fromName: 'ACME News',
			confirmationOptions: options,
			...extra,
		},
	});
	return output[0];
}

async function bulkSend(items: INodeExecutionData[]) {
	const { output } = await runNode(new BulkSend(), {
		credentials: { bulkMailSmtpApi: smtpCredential(), bulkMailSubscriberStoreApi: storeCredential },
		items,
		parameters: { resource: 'message', operation: 'send' },
	});
	return output;
}

test('sign-up → Send Confirmation → Bulk Send: the pending subscriber gets the confirmation once, nothing else', async () => {
	const [ann, bob] = await signUp(['ann@example.org', 'bob@example.org']);
	expect(ann).toMatchObject({ outcome: 'created', status: 'pending', source: 'signup-form' });
	const before = server.messages.length;

	const confirmations = await sendConfirmation([{ json: ann }, { json: bob }]);
	expect(confirmations).toHaveLength(2);
	expect(confirmations[0].pairedItem).toEqual({ item: 0 });
	const first = confirmations[0].json;
	expect(first).toMatchObject({
		status: 'ready',
		to: { address: 'ann@example.org' },
		subject: 'Please confirm your subscription to Weekly <News>',
		subscriberId: ann.id,
		confirmation: { subscriberId: ann.id, nonce: expect.any(String), seal: expect.any(String) },
	});

	// The same mark on another message for Bob, and a plain message to Bob: never sent.
	const forged: INodeExecutionData = {
		json: { ...confirmations[1].json, html: '<p>Buy our stuff</p>', text: 'Buy our stuff' },
	};
	const plain: INodeExecutionData = { json: { ...confirmations[1].json, confirmation: undefined } };
	const [results, failures] = await bulkSend([{ json: first }, forged, plain]);
	expect(failures).toEqual([]);
	const byItem = Object.fromEntries(results.map((entry) => [(entry.pairedItem as { item: number }).item, entry.json]));
	expect(byItem[0]).toMatchObject({ status: 'sent', to: 'ann@example.org' });
	expect(byItem[1]).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/pending and the item is not its confirmation message/) });
	expect(byItem[2]).toMatchObject({ status: 'suppressed', reason: `Not sent: subscriber ${bob.id} is pending` });
	const arrived = server.messages.slice(before);
	expect(arrived.map((message) => message.to[0])).toEqual(['ann@example.org']);

	// The confirm link in the mail works (a POST), the same item is not sent twice.
	const parsed = await parseMessage(arrived[0]);
	const url = /https:\/\/n8n\.example\.com\/webhook\/optin\/confirm\?t=[\w.-]+/.exec(String(parsed.text))![0];
	const again = await bulkSend([{ json: first }]);
	expect(again[0][0].json).toMatchObject({ status: 'suppressed', reason: expect.stringMatching(/sent already/) });
	const confirmed = await handleConfirm(store, new LinkSigner(SECRET), {
		method: 'POST',
		headers: {},
		query: { t: new URL(url).searchParams.get('t')! },
	});
	expect(confirmed.optin?.outcome).toBe('confirmed');
	expect((await store.getSubscriber({ id: String(ann.id) }))!.status).toBe('active');
	expect(server.messages.length).toBe(before + 1);
});

test('a re-send over the limit, an active or an opted-out subscriber are per-item results', async () => {
	const [cho] = await signUp(['cho@example.org']);
	const ok = await sendConfirmation([{ json: cho }], {}, { confirmationTemplate: 'ja' });
	expect(ok[0].json).toMatchObject({ status: 'ready', subject: '【Weekly <News>】購読登録の確認をお願いします' });
	const refused = await sendConfirmation([{ json: cho }]);
	expect(refused[0].json).toMatchObject({
		status: 'refused',
		subscriberId: cho.id,
		reason: 'Not sent: a confirmation mail was sent to this address less than 10 minutes ago',
		retryAfter: expect.any(String),
	});
	const [active] = await signUp(['ann@example.org']); // confirmed above: stays active
	expect(active).toMatchObject({ status: 'active', statusKept: 'active' });
	const results = await sendConfirmation([{ json: active }]);
	expect(results[0].json).toMatchObject({ status: 'already-confirmed' });
	const unsubscribed = await store.setStatus(String(cho.id), 'unsubscribed', {}, actor);
	const notPending = await sendConfirmation([{ json: { id: unsubscribed.id } }]);
	expect(notPending[0].json).toMatchObject({ status: 'not-pending', subscriberStatus: 'unsubscribed' });
});

test('Purge Unconfirmed removes only stale pending subscribers', async () => {
	const [dan, eve] = await signUp(['dan@example.org', 'eve@example.org']);
	const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
	await store.sql.run('UPDATE subscribers SET updated_at = ? WHERE id = ?', [old, dan.id]);
	const { output } = await runNode(new SubscriberList(), {
		credentials: { bulkMailSubscriberStoreApi: storeCredential },
		parameters: { resource: 'subscriber', operation: 'purgeUnconfirmed', purgeAfterDays: 7 },
	});
	expect(output[0][0].json).toMatchObject({ purged: 1, olderThanDays: 7 });
	expect(await store.getSubscriber({ id: String(dan.id) })).toBeNull();
	expect((await store.getSubscriber({ id: String(eve.id) }))!.status).toBe('pending');
	expect(await store.countSubscribers({ status: 'active' })).toBeGreaterThan(0);
});
