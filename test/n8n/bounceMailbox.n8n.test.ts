/**
 * Bounces from a real mailbox, end to end, with nothing simulated:
 * - a campaign goes out from a real n8n 2.40.7 (Bulk Send, campaign mode, VERP on) through a
 *   private Postfix, which accepts every recipient and bounces the dead ones *afterwards*
 *   (Dovecot LMTP: unknown user 550 5.1.1; a mailbox over quota 552 5.2.2);
 * - Postfix delivers the bounces to the VERP return paths, i.e. into a private Dovecot mailbox;
 * - the example workflow examples/bounce-mailbox.json (Bounce Mailbox Trigger), published in
 *   `n8n start`, reads them over IMAP/TLS, classifies them and records them in the store;
 * - a copy of a processed bounce put back into the inbox, and a message that is not mail, are
 *   read by a second poll: nothing is recorded twice, the junk goes to Unreadable.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { openStore, type SqlSubscriberStore, type StoreConfig } from '../../lib/store';
import {
	BOUNCE_DOMAIN,
	FULL_USER,
	GOOD_USERS,
	RECIPIENT_DOMAIN,
	appendMessage,
	folderMessages,
	startMailServers,
	waitForFolders,
	type MailServers,
} from '../helpers/mailServers';
import { executionCount, executionDataText } from './bounceWebhookHelpers';
import { EXAMPLE_FILES, loadExample } from './exampleWorkflows';
import { createN8nInstance, type N8nInstance, type WorkflowInput, type WorkflowNode } from './harness';

jest.setTimeout(600_000);

const SIGNING_SECRET = 'bounce-mailbox-e2e-signing-secret-0123';
const LIST = 'Mailbox bounce test';
const FOLDERS = ['INBOX', 'Processed', 'Unreadable'];
const DEAD = ['gone.one', 'gone.two'].map((user) => `${user}@${RECIPIENT_DOMAIN}`);
const FULL = `${FULL_USER}@${RECIPIENT_DOMAIN}`;
const GOOD = GOOD_USERS.map((user) => `${user}@${RECIPIENT_DOMAIN}`);
const CREDENTIALS = {
	store: { id: 'bulkMailStore001', name: 'Subscriber Store (embedded SQLite)' },
	smtp: { id: 'bulkMailSmtp0001', name: 'Local SMTP (localhost:1025, plain)' },
	mailbox: { id: 'bulkMailMailbox1', name: 'Bounce Mailbox (IMAP)' },
};
/** Long enough that the over-quota mailbox (1 KB) cannot take it. */
const HTML = `<p>Hello {{ name }},</p>${'<p>This month in the garden: tomatoes, beans and a great deal of rain.</p>'.repeat(20)}<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>`;

function node(id: string, name: string, type: string, x: number, parameters: Record<string, unknown>): WorkflowNode {
	return {
		id,
		name,
		type,
		typeVersion: 1,
		position: [x, 0],
		parameters,
		credentials: {
			bulkMailSmtpApi: CREDENTIALS.smtp,
			bulkMailSubscriberStoreApi: CREDENTIALS.store,
		},
	};
}

function campaignWorkflow(): WorkflowInput {
	return {
		id: 'wfMailboxCampaign',
		name: 'Send the bounce-test campaign',
		nodes: [
			{ id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			node('c', 'Create Campaign', 'n8n-nodes-bulk-mail.bulkSend', 200, {
				resource: 'campaign',
				operation: 'create',
				campaignName: 'Mailbox bounces e2e',
				list: LIST,
				subject: 'Garden news for {{ name }}',
				html: HTML,
				fromName: 'Garden Club',
				fromEmail: 'news@club.test',
			}),
			node('s', 'Send Campaign', 'n8n-nodes-bulk-mail.bulkSend', 400, {
				resource: 'campaign',
				operation: 'start',
				campaignId: '={{ $json.id }}',
				// VERP on: each message leaves with its own signed return path at the bounce domain
				runOptions: { timeBudget: 60, bounceDomain: BOUNCE_DOMAIN },
			}),
		],
		connections: {
			Start: { main: [[{ node: 'Create Campaign', type: 'main', index: 0 }]] },
			'Create Campaign': { main: [[{ node: 'Send Campaign', type: 'main', index: 0 }]] },
		},
		settings: {},
	};
}

describe('Bounce Mailbox Trigger with a real Postfix, Dovecot and n8n', () => {
	let servers: MailServers;
	let n8n: N8nInstance;
	let storeConfig: StoreConfig;
	const example = loadExample(EXAMPLE_FILES.mailbox);

	async function withStore<T>(fn: (store: SqlSubscriberStore) => Promise<T>): Promise<T> {
		const store = await openStore(storeConfig);
		try {
			return await fn(store);
		} finally {
			await store.close();
		}
	}

	async function subscribers(): Promise<Map<string, { status: string; hardBounces: number; softBounces: number; lastError: string | null }>> {
		return withStore(async (store) => {
			const list = await store.getList(LIST);
			const page = await store.getSubscribers({ listId: list!.id }, { limit: 100 });
			return new Map(page.items.map((s) => [s.email, { status: s.status, hardBounces: s.hardBounces, softBounces: s.softBounces, lastError: s.lastError }]));
		});
	}

	/**
	 * One poll: `n8n start` activates the published workflow, which polls at once; then wait for
	 * the messages to move and for n8n to save the execution the poll started.
	 */
	async function pollOnce(expectFolders: (counts: Record<string, number>) => boolean): Promise<Record<string, number>> {
		const executionsBefore = executionCount(n8n, example.id);
		await n8n.start();
		try {
			const counts = await waitForFolders(servers, FOLDERS, expectFolders, 90_000);
			const deadline = Date.now() + 30_000;
			while (executionCount(n8n, example.id) <= executionsBefore && Date.now() < deadline) await sleep(250);
			if (executionCount(n8n, example.id) <= executionsBefore) {
				throw new Error(`The poll moved the messages but n8n saved no execution of the workflow. n8n log:\n${n8n.logs().slice(-4000)}`);
			}
			return counts;
		} finally {
			await n8n.stop();
		}
	}

	beforeAll(async () => {
		servers = await startMailServers();
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		storeConfig = { backend: 'sqlite', file: 'mailbox-e2e.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') };
		await n8n.importCredentials([
			{
				...CREDENTIALS.store,
				type: 'bulkMailSubscriberStoreApi',
				data: { backend: 'sqlite', file: 'mailbox-e2e.sqlite', signingSecret: SIGNING_SECRET, publicBaseUrl: 'https://n8n.example.com/webhook/x' },
			},
			{
				...CREDENTIALS.smtp,
				type: 'bulkMailSmtpApi',
				data: { host: servers.smtp.host, port: servers.smtp.port, security: 'none', allowPlain: true, ehloName: 'n8n.test' },
			},
			{
				...CREDENTIALS.mailbox,
				type: 'bulkMailBounceMailboxApi',
				// the test's Dovecot has a self-signed certificate: the one place this is allowed
				data: { host: servers.imap.host, port: servers.imap.port, security: 'tls', user: servers.imap.user, password: servers.imap.password, allowSelfSigned: true },
			},
		]);
		await n8n.importWorkflow([campaignWorkflow(), example]);
		await n8n.publish(example.id);
		await withStore(async (store) => {
			const list = await store.createList({ name: LIST }, { type: 'test' });
			for (const email of [...GOOD, ...DEAD, FULL]) {
				await store.upsertSubscriber(list.id, { email, name: email.split('@')[0] }, {}, { type: 'test' });
			}
		});
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await servers?.stop();
	});

	it('records dead addresses as hard (userunknown), a full mailbox as soft (mailboxfull), and nothing else', async () => {
		const sent = await n8n.execute(campaignWorkflow().id);
		expect(sent.json('Send Campaign')[0]).toMatchObject({ status: 'finished', sentThisRun: 6 });

		// Postfix accepted all six, delivered three and bounced three into the mailbox afterwards
		await waitForFolders(servers, FOLDERS, (counts) => counts.INBOX === 3, 60_000);
		for (const user of GOOD_USERS) expect(servers.deliveredCount(user)).toBe(1);
		expect(servers.postfixLog()).toMatch(/dsn=5\.1\.1, status=bounced .*550 5\.1\.1/);
		expect(servers.postfixLog()).toMatch(/dsn=5\.2\.2, status=bounced .*552 5\.2\.2/);
		const returned = await folderMessages(servers, 'INBOX');
		// delivered to the signed VERP return paths, not to one shared address
		for (const message of returned) expect(message.toString('latin1')).toMatch(/\r\nDelivered-To: bounces\+[a-z0-9-]+@bounce\.test\r\n/i);

		const counts = await pollOnce((c) => c.INBOX === 0);
		expect(counts).toEqual({ INBOX: 0, Processed: 3, Unreadable: 0 });

		const after = await subscribers();
		for (const email of DEAD) {
			expect(after.get(email)).toMatchObject({ status: 'bounced', hardBounces: 1, softBounces: 0 });
			expect(after.get(email)!.lastError).toMatch(/userunknown|5\.1\.1/);
		}
		expect(after.get(FULL)).toMatchObject({ status: 'active', hardBounces: 0, softBounces: 1 });
		expect(after.get(FULL)!.lastError).toMatch(/mailboxfull|5\.2\.2/);
		for (const email of GOOD) expect(after.get(email)).toMatchObject({ status: 'active', hardBounces: 0, softBounces: 0, lastError: null });

		// the trigger's items say what each message was and what was recorded
		const executions = executionDataText(n8n, example.id);
		expect(executions).toContain('userunknown');
		expect(executions).toContain('mailboxfull');
	});

	it('records nothing twice when a processed bounce comes back, and keeps mail that is not mail', async () => {
		const before = await subscribers();
		const processed = await folderMessages(servers, 'Processed');
		const fullBounce = processed.find((message) => message.toString('latin1').includes('5.2.2'))!;
		const deadBounce = processed.find((message) => message.toString('latin1').includes('5.1.1'))!;
		await appendMessage(servers, 'INBOX', fullBounce);
		await appendMessage(servers, 'INBOX', deadBounce);
		await appendMessage(servers, 'INBOX', 'garbage that is no e-mail message\r\n');

		const counts = await pollOnce((c) => c.INBOX === 0);
		expect(counts).toEqual({ INBOX: 0, Processed: 5, Unreadable: 1 });
		expect(await subscribers()).toEqual(before);
		expect(executionDataText(n8n, example.id)).toContain('not an e-mail message');
	});
});
