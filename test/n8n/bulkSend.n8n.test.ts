/**
 * Bulk Send inside a real n8n 2.40.7, installed the way n8n's community installer does it,
 * against an SMTP server started in this jest process (n8n connects to 127.0.0.1:<port> with
 * security "none" and the explicit plain opt-in):
 * 1. Subscriber List → Compose Message → Bulk Send (item mode): what arrived, headers included;
 *    an unsubscribed subscriber is suppressed by the store credential.
 * 2. A campaign created by one workflow and sent in slices by repeated `n8n execute` runs of
 *    another (a message cap per run), until finished: every recipient receives exactly one.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { openStore } from '../../lib/store/openStore';
import { parseMessage, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { createN8nInstance, type N8nInstance, type WorkflowInput, type WorkflowNode } from './harness';

jest.setTimeout(300_000);

const PACKAGE = 'n8n-nodes-bulk-mail';
const BULK_SEND = `${PACKAGE}.bulkSend`;
const SECRET = 'n8n-e2e-signing-secret-0123456789abcdef';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
const STORE_FILE = 'bulk-send-e2e.sqlite';
const actor = { type: 'test', id: 'bulk-send-n8n' };
/** The first campaign of the test's store (the item-mode test creates none). */
const CAMPAIGN_ID = '1';

/** What this test needs from the package manifest (the package may not list them yet). */
const NEEDED = {
	nodes: [
		'dist/nodes/SubscriberList/SubscriberList.node.js',
		'dist/nodes/ComposeMessage/ComposeMessage.node.js',
		'dist/nodes/BulkSend/BulkSend.node.js',
	],
	credentials: [
		'dist/credentials/SubscriberStoreApi.credentials.js',
		'dist/credentials/SmtpApi.credentials.js',
		'dist/credentials/RedisLimiterApi.credentials.js',
	],
};

/**
 * Until package.json lists Bulk Send and its credentials, add them to the installed copy's
 * manifest (the built files are in the packed dist/). A no-op once the package lists them.
 */
function registerBulkSend(n8n: N8nInstance): void {
	const packageDir = path.join(n8n.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE);
	const manifestPath = path.join(packageDir, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
	for (const kind of ['nodes', 'credentials'] as const) {
		for (const file of NEEDED[kind]) {
			if (!existsSync(path.join(packageDir, file))) {
				throw new Error(`${file} is not in the installed package: run npm run build`);
			}
			if (!manifest.n8n[kind].includes(file)) manifest.n8n[kind].push(file);
		}
	}
	writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
}

const credentials = {
	bulkMailSmtpApi: { id: 'smtpCred1', name: 'Local SMTP' },
	bulkMailSubscriberStoreApi: { id: 'storeCred1', name: 'Store' },
};

function node(
	id: string,
	name: string,
	type: string,
	x: number,
	parameters: Record<string, unknown>,
	extra: Partial<WorkflowNode> = {},
): WorkflowNode {
	return { id, name, type, typeVersion: type.startsWith('n8n-nodes-base.set') ? 3.4 : 1, position: [x, 0], parameters, ...extra };
}

const trigger = node('t', 'Start', 'n8n-nodes-base.manualTrigger', 0, {});

function chain(names: string[]): Record<string, unknown> {
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

function itemModeWorkflow(id: string): WorkflowInput {
	return {
		id,
		name: 'Subscriber List → Compose Message → Bulk Send',
		nodes: [
			trigger,
			node('a', 'Read Subscribers', `${PACKAGE}.subscriberList`, 200, {
				resource: 'subscriber',
				operation: 'getMany',
				returnAll: true,
				filters: { list: 'Newsletter' },
			}, { credentials: { bulkMailSubscriberStoreApi: credentials.bulkMailSubscriberStoreApi } }),
			node('b', 'Compose', `${PACKAGE}.composeMessage`, 400, {
				operation: 'compose',
				subject: 'June news for {{ name }}',
				html: '<p>Hello {{ name }} in {{ fields.city | default: "your town" }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
				fromName: 'ACME News',
				fromEmail: 'news@example.com',
				campaignId: 'june-e2e',
			}, { credentials: { bulkMailSubscriberStoreApi: credentials.bulkMailSubscriberStoreApi } }),
			node('c', 'Bulk Send', BULK_SEND, 600, {
				resource: 'message',
				operation: 'send',
				throttling: { perSecond: 50, maxConnections: 2 },
			}, { credentials }),
		],
		connections: chain(['Start', 'Read Subscribers', 'Compose', 'Bulk Send']),
		settings: {},
	};
}

function createCampaignWorkflow(id: string): WorkflowInput {
	return {
		id,
		name: 'Create campaign',
		nodes: [
			trigger,
			node('a', 'Create Campaign', BULK_SEND, 200, {
				resource: 'campaign',
				operation: 'create',
				campaignName: 'Sliced e2e',
				list: 'Campaign list',
				subject: 'Campaign for {{ name }}',
				html: '<p>Hi {{ name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
				fromName: 'ACME News',
				fromEmail: 'news@example.com',
			}, { credentials }),
		],
		connections: chain(['Start', 'Create Campaign']),
		settings: {},
	};
}

function runCampaignWorkflow(id: string, campaignId: string): WorkflowInput {
	return {
		id,
		name: 'Run campaign slice',
		nodes: [
			trigger,
			node('a', 'Send Slice', BULK_SEND, 200, {
				resource: 'campaign',
				operation: 'start',
				campaignId,
				runOptions: { maxMessages: 4, batchSize: 3, timeBudget: 60 },
			}, { credentials }),
		],
		connections: chain(['Start', 'Send Slice']),
		settings: {},
	};
}

describe('Bulk Send in real n8n', () => {
	let n8n: N8nInstance;
	let smtp: TestSmtpServer;
	let storeDir: string;

	beforeAll(async () => {
		smtp = await startSmtpServer();
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		registerBulkSend(n8n);
		storeDir = path.join(n8n.userFolder, '.n8n', 'bulk-mail');
		await n8n.importCredentials([
			{
				id: 'smtpCred1',
				name: 'Local SMTP',
				type: 'bulkMailSmtpApi',
				data: { host: smtp.host, port: smtp.port, security: 'none', allowPlain: true, ehloName: 'n8n.test' },
			},
			{
				id: 'storeCred1',
				name: 'Store',
				type: 'bulkMailSubscriberStoreApi',
				data: { backend: 'sqlite', file: STORE_FILE, publicBaseUrl: BASE_URL, signingSecret: SECRET },
			},
		]);
		// one import for all workflows: every n8n CLI command boots n8n
		await n8n.importWorkflow([
			itemModeWorkflow('wfBulkItems1'),
			createCampaignWorkflow('wfCampCreate1'),
			runCampaignWorkflow('wfCampRun1', CAMPAIGN_ID),
		]);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await smtp?.close();
	});

	it('Subscriber List → Compose Message → Bulk Send delivers one message per active subscriber', async () => {
		const store = await openStore({ backend: 'sqlite', file: STORE_FILE, baseDir: storeDir });
		const people = [
			{ email: 'ann@example.org', name: 'Ann', fields: { city: 'Osaka' } },
			{ email: 'bob@example.org', name: 'Bob', fields: { city: 'Kyoto' } },
			{ email: 'chie@example.org', name: 'Chie', fields: {} },
			{ email: 'dan@example.org', name: 'Dan', fields: {} },
		];
		let danId: string;
		try {
			const list = await store.createList({ name: 'Newsletter' }, actor);
			for (const person of people) await store.upsertSubscriber(list.id, person, {}, actor);
			const dan = await store.getSubscriber({ listId: list.id, email: 'dan@example.org' });
			danId = dan!.id;
			await store.setStatus(danId, 'unsubscribed', {}, actor);
		} finally {
			await store.close();
		}

		const result = await n8n.execute('wfBulkItems1');
		expect(n8n.logs()).not.toMatch(/Failed to load package/);

		const sent = result.json('Bulk Send', { output: 0 });
		expect(result.json('Bulk Send', { output: 1 })).toEqual([]);
		expect(sent.map((entry) => [entry.to, entry.status])).toEqual([
			['ann@example.org', 'sent'],
			['bob@example.org', 'sent'],
			['chie@example.org', 'sent'],
			['dan@example.org', 'suppressed'],
		]);
		expect(sent[3].reason).toBe(`Not sent: subscriber ${danId!} is unsubscribed`);
		const pairs = result.items('Bulk Send', { output: 0 }).map((entry) => entry.pairedItem);
		expect(pairs).toEqual([0, 1, 2, 3].map((item) => ({ item })));

		// what arrived: exactly one message per active subscriber, with the one-click headers
		const byRecipient = smtp.byRecipient();
		expect([...byRecipient.keys()].sort()).toEqual(['ann@example.org', 'bob@example.org', 'chie@example.org']);
		for (const messages of byRecipient.values()) expect(messages).toHaveLength(1);
		const raw = byRecipient.get('ann@example.org')![0].raw;
		const head = `\r\n${raw.toString('utf8').split('\r\n\r\n')[0].replace(/\r\n[ \t]+/g, ' ')}`;
		expect(head).toMatch(new RegExp(`\\r\\nList-Unsubscribe: <${BASE_URL.replace(/[./]/g, '\\$&')}/unsubscribe\\?t=[^>]+>`));
		expect(head).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click');
		expect(head).toContain('\r\nX-Bulk-Mail-Campaign: june-e2e');
		// built by lib/compose/rawMessage and handed to the pool prebuilt, as in the engine
		expect(head).toMatch(/\r\nContent-Type: multipart\/alternative; boundary="=_bm_/);
		const parsed = await parseMessage(byRecipient.get('ann@example.org')![0]);
		expect(parsed.subject).toBe('June news for Ann');
		expect(parsed.from?.value[0]).toEqual({ address: 'news@example.com', name: 'ACME News' });
		expect(parsed.html).toContain('Hello Ann in Osaka');
		expect(parsed.messageId).toBe(sent[0].messageId);
		expect(byRecipient.get('ann@example.org')![0].from).toBe('news@example.com');
	});

	it('a campaign sent in slices by repeated executions reaches every recipient exactly once', async () => {
		const recipients = Array.from({ length: 10 }, (_, i) => `slice${i}@example.org`);
		const store = await openStore({ backend: 'sqlite', file: STORE_FILE, baseDir: storeDir });
		try {
			const list = await store.createList({ name: 'Campaign list' }, actor);
			for (const [i, email] of recipients.entries()) {
				await store.upsertSubscriber(list.id, { email, name: `Reader ${i}` }, {}, actor);
			}
		} finally {
			await store.close();
		}
		const before = smtp.messages.length;

		const created = await n8n.execute('wfCampCreate1');
		const campaign = created.json('Create Campaign')[0];
		// the slice workflow was imported up front with the store's first campaign id
		expect(campaign).toMatchObject({ id: CAMPAIGN_ID, name: 'Sliced e2e', status: 'draft' });
		const campaignId = String(campaign.id);

		const slices: Array<Record<string, unknown>> = [];
		for (let run = 0; run < 5; run++) {
			const result = await n8n.execute('wfCampRun1');
			const summary = result.json('Send Slice', { output: 0 });
			expect(summary).toHaveLength(1);
			expect(result.json('Send Slice', { output: 1 })).toEqual([]);
			slices.push(summary[0]);
			if (summary[0].status === 'finished') break;
		}
		expect(slices.map((slice) => slice.sentThisRun)).toEqual([4, 4, 2]);
		expect(slices.map((slice) => slice.remaining)).toEqual([6, 2, 0]);
		expect(slices[2]).toMatchObject({ outcome: 'finished', status: 'finished' });

		const campaignMessages = smtp.messages.slice(before);
		expect(campaignMessages).toHaveLength(10);
		const counts = new Map<string, number>();
		for (const message of campaignMessages) counts.set(message.to[0], (counts.get(message.to[0]) ?? 0) + 1);
		expect([...counts.keys()].sort()).toEqual([...recipients].sort());
		expect([...counts.values()].every((count) => count === 1)).toBe(true);
		const parsed = await parseMessage(campaignMessages[0]);
		expect(parsed.subject).toMatch(/^Campaign for Reader \d$/);
		expect(parsed.headers.get('x-bulk-mail-campaign')).toBe(campaignId);
	});
});
