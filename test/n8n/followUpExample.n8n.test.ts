/**
 * examples/follow-up-non-openers.json in a real n8n 2.40.7, on both store backends: the same file
 * (its two-day Wait shortened by `forTest`), run with `n8n execute`. While the workflow waits,
 * two recipients open the newsletter (recorded in the store, as the tracking pixel would); the
 * follow-up then reaches exactly the others, and nobody else.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { getRecipients, recordCampaignEvent } from '../../lib/campaign';
import { openStore, type StoreConfig } from '../../lib/store/openStore';
import { parseMessage, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { BACKENDS, storeFixture, type Backend, type StoreFixture } from '../helpers/stores';
import { EXAMPLE_FILES, exampleCredentials, forTest, loadExample } from './exampleWorkflows';
import { createN8nInstance, type N8nInstance } from './harness';

jest.setTimeout(300_000);

const WAIT_SECONDS = 25;
const actor = { type: 'test', id: 'follow-up-example' };
const example = forTest(loadExample(EXAMPLE_FILES.followUp), { scheduleSeconds: 60, newsletterSliceSize: 10, followUpWaitSeconds: WAIT_SECONDS });
const READERS = ['ann', 'bob', 'chie', 'dan', 'eve'].map((name) => `${name}@example.org`);

describe.each(BACKENDS)('the follow-up example in real n8n (%s store)', (backend: Backend) => {
	let n8n: N8nInstance;
	let smtp: TestSmtpServer;
	let fixture: StoreFixture;
	let config: StoreConfig;

	beforeAll(async () => {
		smtp = await startSmtpServer();
		fixture = storeFixture(backend);
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		config =
			fixture.config.backend === 'sqlite'
				? { ...fixture.config, file: 'follow-up.sqlite', baseDir: `${n8n.userFolder}/.n8n/bulk-mail` }
				: fixture.config;
		await n8n.importCredentials(
			exampleCredentials({
				store: config,
				publicBaseUrl: 'https://n8n.example.com/webhook/bounces',
				signingSecret: 'follow-up-example-signing-secret-0123',
				smtp: { host: smtp.host, port: smtp.port },
				genericSecret: 'unused-generic-secret',
			}),
		);
		const store = await openStore(config);
		try {
			const list = await store.createList({ name: 'Newsletter' }, actor);
			for (const email of READERS) await store.upsertSubscriber(list.id, { email, name: email.split('@')[0] }, {}, actor);
		} finally {
			await store.close();
		}
		await n8n.importWorkflow(example);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await smtp?.close();
		await fixture?.cleanup();
	});

	it('sends the newsletter, waits, and follows up only those who did not open it', async () => {
		const running = n8n.execute(example.id!);
		// The newsletter arrives; then, while the workflow waits, Ann and Dan open it.
		const deadline = Date.now() + 120_000;
		while (smtp.messages.length < READERS.length && Date.now() < deadline) await sleep(250);
		expect(smtp.messages.map((message) => message.to[0]).sort()).toEqual([...READERS].sort());
		const store = await openStore(config);
		try {
			const recipients = await getRecipients(store, '1', { limit: 10 });
			expect(recipients.items.map((entry) => entry.state)).toEqual(READERS.map(() => 'sent'));
			for (const entry of recipients.items.filter((item) => /^(ann|dan)@/.test(item.email ?? ''))) {
				await recordCampaignEvent(store, { campaignId: '1', subscriberId: entry.subscriberId, type: 'opened' });
			}
		} finally {
			await store.close();
		}
		const result = await running;
		expect(result.json('Send Newsletter')[0]).toMatchObject({ status: 'finished', sentThisRun: 5 });
		expect(result.json('Follow Up Non-Openers')[0]).toMatchObject({ name: 'June newsletter — reminder' });
		expect(result.json('Send Follow-Up')[0]).toMatchObject({ status: 'finished', sentThisRun: 3 });
		const reminders = smtp.messages.slice(READERS.length);
		expect(reminders.map((message) => message.to[0]).sort()).toEqual(['bob@example.org', 'chie@example.org', 'eve@example.org']);
		expect((await parseMessage(reminders[0])).subject).toBe('In case you missed it: June at ACME');
	});
});
