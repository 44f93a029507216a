/**
 * Subscriber List → Bounce → Review Old Bounces through the node (strict n8n mock, real SQLite
 * store): lists the subscribers bounced under the old rules by a block of our mail, changes
 * nothing until Reactivate Listed is on, and names a missing list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { openStore, type SqlSubscriberStore } from '../../lib/store';
import { SubscriberList } from '../../nodes/SubscriberList/SubscriberList.node';
import { runNode } from '../helpers/n8nMock';

jest.setTimeout(60_000);

const actor = { type: 'test', id: 'bounce-review-node' };
const FILE = 'review.sqlite';
const credential: ICredentialDataDecryptedObject = { backend: 'sqlite', file: FILE, signingSecret: 'review-node-secret-0123456789' };
let storeDir: string;
let store: SqlSubscriberStore;
const previousStoreDir = process.env.BULK_MAIL_STORE_DIR;

beforeAll(async () => {
	storeDir = mkdtempSync(path.join(tmpdir(), 'bounce-review-'));
	process.env.BULK_MAIL_STORE_DIR = storeDir;
	store = await openStore({ backend: 'sqlite', file: FILE, baseDir: storeDir });
	const list = await store.createList({ name: 'News' }, actor);
	const add = async (email: string, diagnostic: string) => {
		const s = (await store.upsertSubscriber(list.id, { email }, {}, actor)).subscriber!;
		await store.applyDeliveryEvent({ type: 'hard', subscriberId: s.id, diagnostic }, actor);
		// as the old rules stored it: no reason kept
		await store.sql.run('UPDATE subscribers SET last_bounce_kind = NULL, last_bounce_reason = NULL WHERE id = ?', [s.id]);
	};
	await add('blocked@example.com', '550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus');
	await add('gone@example.com', '550 5.1.1 User unknown');
});

afterAll(async () => {
	await store.close();
	if (previousStoreDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
	else process.env.BULK_MAIL_STORE_DIR = previousStoreDir;
	rmSync(storeDir, { recursive: true, force: true });
});

const review = async (options: IDataObject) =>
	runNode(new SubscriberList(), {
		credentials: { bulkMailSubscriberStoreApi: credential },
		items: [{ json: {} }],
		parameters: { resource: 'bounce', operation: 'reexamine', reexamineOptions: options },
	});

test('lists old-rule bounces that were blocks, and reactivates them only when asked', async () => {
	const listed = await review({ list: 'News' });
	expect(listed.output[0].map((item) => item.json)).toEqual([
		{ examined: 2, reactivated: 0, more: false, listed: 1 },
		expect.objectContaining({ email: 'blocked@example.com', kind: 'sender', reason: 'blocked', reactivated: false }),
	]);
	expect(listed.output[0][1].pairedItem).toEqual({ item: 0 });
	expect((await store.getSubscriber({ listId: (await store.getList('News'))!.id, email: 'blocked@example.com' }))?.status).toBe('bounced');

	const done = await review({ reactivate: true });
	expect(done.output[0][0].json).toMatchObject({ reactivated: 1 });
	const news = (await store.getList('News'))!.id;
	expect((await store.getSubscriber({ listId: news, email: 'blocked@example.com' }))?.status).toBe('active');
	expect((await store.getSubscriber({ listId: news, email: 'gone@example.com' }))?.status).toBe('bounced');

	await expect(review({ list: 'Nope' })).rejects.toThrow(/There is no list named or numbered 'Nope'/);
});
