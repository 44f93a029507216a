/**
 * The four example workflows of examples/ in a real n8n 2.40.7, run the way users run them:
 * imported from the same JSON files (rewritten only by `forTest`: Schedule intervals, the
 * newsletter's slice size and weekday), `n8n start`, published through the editor's REST API
 * (as the Publish button does), real HTTP requests and real
 * scheduled firings; a local SMTP server records what arrived. Once per store backend (one n8n
 * instance each, shared by the four examples):
 * 1. Import CSV upload: a multipart POST imports into a list; the answer reports rejected rows.
 * 2. Weekly newsletter: the Schedule trigger creates the campaign and sends it in slices until
 *    it is finished; then exactly one summary mail reaches the operator.
 * 3. Transactional: a webhook upserts the subscriber, composes and sends (item mode).
 * 4. Bounce handling: signed events update the store; the scheduled export (bounce-report.json,
 *    a workflow of its own) mails the bounced and complained addresses as a CSV attachment.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import type { ParsedMail } from 'mailparser';
import { signGenericPayload } from '../../lib/events';
import { openStore, type StoreConfig } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { runtimeDir } from '../../scripts/n8n-runtime';
import { parseMessage, startSmtpServer, type ReceivedMessage, type TestSmtpServer } from '../helpers/smtp';
import { BACKENDS, storeFixture, type Backend, type StoreFixture } from '../helpers/stores';
import { EXAMPLE_FILES, exampleCredentials, forTest, loadExample, nodeNamed, publishThroughEditorApi } from './exampleWorkflows';
import { createN8nInstance, type N8nInstance, type WorkflowInput } from './harness';

jest.setTimeout(240_000);

const SCHEDULE_SECONDS = 3;
/**
 * The newsletter's firings must not overlap, as with its real 15-minute interval: the campaign
 * being sent is remembered when a run ends, so a firing that starts while the first run (a cold
 * n8n task runner included) is still creating the week's campaign creates a second one, which
 * mails everyone again. Seen with 3 s on this busy machine.
 */
const NEWSLETTER_SCHEDULE_SECONDS = 10;
const SLICE_SIZE = 3;
const SIGNING_SECRET = 'examples-e2e-link-signing-secret-0123';
const GENERIC_SECRET = 'examples-e2e-generic-webhook-secret';
const OPERATOR = 'operator@example.com';
const actor = { type: 'test', id: 'examples-n8n' };

const rewrite = { scheduleSeconds: SCHEDULE_SECONDS, newsletterSliceSize: SLICE_SIZE };
const examples = {
	importCsv: forTest(loadExample(EXAMPLE_FILES.importCsv), rewrite),
	newsletter: forTest(loadExample(EXAMPLE_FILES.newsletter), { ...rewrite, scheduleSeconds: NEWSLETTER_SCHEDULE_SECONDS }),
	transactional: forTest(loadExample(EXAMPLE_FILES.transactional), rewrite),
	bounces: forTest(loadExample(EXAMPLE_FILES.bounces), rewrite),
	bounceReport: forTest(loadExample(EXAMPLE_FILES.bounceReport), rewrite),
};

function webhookPath(workflow: WorkflowInput, nodeName: string): string {
	return String(nodeNamed(workflow, nodeName).parameters.path);
}
const BOUNCE_HOOK = String(nodeNamed(examples.bounces, 'Bounce Webhook').webhookId);
const PUBLIC_BASE_URL = `https://n8n.example.com/webhook/${BOUNCE_HOOK}`;

const readers = Array.from({ length: 7 }, (_, i) => ({ email: `reader${i}@example.org`, name: `Reader ${i}` }));

// n8n saves execution data with `flatted`; read it with n8n's own copy.
const flatted = createRequire(path.join(runtimeDir(), 'node_modules', 'n8n', 'package.json'))('flatted') as {
	parse(text: string): unknown;
};

interface SavedExecution {
	id: number;
	status: string;
	runData: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> }; error?: { message?: string } }>>;
	error?: string;
}

/** A workflow's executions as n8n saved them (its SQLite database), oldest first. */
function executionsOf(n8n: N8nInstance, workflowId: string): SavedExecution[] {
	const db = new DatabaseSync(path.join(n8n.userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
	try {
		const rows = db
			.prepare(
				'SELECT e.id AS id, e.status AS status, d.data AS data FROM execution_entity e JOIN execution_data d ON d."executionId" = e.id WHERE e."workflowId" = ? ORDER BY e.id',
			)
			.all(workflowId) as Array<{ id: number; status: string; data: string }>;
		return rows.map((row) => {
			const run = flatted.parse(row.data) as {
				resultData?: { runData?: SavedExecution['runData']; error?: { message?: string; node?: { name?: string } } };
			};
			const error = run.resultData?.error;
			return {
				id: Number(row.id),
				status: row.status,
				runData: run.resultData?.runData ?? {},
				error: error ? `${error.node?.name ?? ''}: ${error.message ?? ''}` : undefined,
			};
		});
	} finally {
		db.close();
	}
}

/** What a workflow's executions did, for the message of a test that waited in vain. */
function failures(n8n: N8nInstance, workflowId: string): string {
	const executions = executionsOf(n8n, workflowId);
	const failed = executions.filter((execution) => execution.status === 'error');
	const ran = executions
		.slice(-3)
		.map((e) => `#${e.id} ${e.status}: ${Object.entries(e.runData).map(([node, runs]) => `${node}(${runs[0]?.data?.main?.[0]?.length ?? 'error'})`).join(' → ')}`);
	return `; ${executions.length} executions, ${failed.length} failed${failed.length ? ` (${failed.slice(-3).map((e) => e.error).join(' | ')})` : ''}; last: ${ran.join(' | ')}`;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, explain = () => ''): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}${explain()}`);
		await sleep(250);
	}
}

function headerBlock(message: ReceivedMessage): string {
	return `\r\n${message.raw.toString('utf8').split('\r\n\r\n')[0].replace(/\r\n[ \t]+/g, ' ')}`;
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One n8n (and SMTP server and store) per store backend, shared by the four examples. */
interface Setup {
	n8n?: N8nInstance;
	smtp?: TestSmtpServer;
	store?: SqlSubscriberStore;
	pgFixture?: StoreFixture;
	ids: Record<string, string>;
}

async function setUp(backend: Backend, setup: Setup): Promise<void> {
	setup.smtp = await startSmtpServer();
	const n8n = (setup.n8n = await createN8nInstance({ dbType: 'sqlite' }));
	let storeConfig: StoreConfig;
	if (backend === 'sqlite') {
		// n8n's store folder: $N8N_USER_FOLDER/.n8n/bulk-mail
		storeConfig = { backend: 'sqlite', file: 'examples.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') };
	} else {
		setup.pgFixture = storeFixture('postgres');
		storeConfig = setup.pgFixture.config;
	}
	const store = (setup.store = await openStore(storeConfig));

	// What each example expects to find (the newsletter's list must exist before its first firing).
	const newsletter = await store.createList({ name: 'Newsletter' }, actor);
	for (const reader of readers) await store.upsertSubscriber(newsletter.id, reader, {}, actor);
	const optedOut = await store.upsertSubscriber(newsletter.id, { email: 'opted-out@example.org', name: 'Gone' }, {}, actor);
	await store.setStatus(optedOut.subscriber!.id, 'unsubscribed', {}, actor);
	const customers = await store.createList({ name: 'Customers' }, actor);
	const gone = await store.upsertSubscriber(customers.id, { email: 'gone@example.org', name: 'Gone' }, {}, actor);
	await store.setStatus(gone.subscriber!.id, 'unsubscribed', {}, actor);
	const bounceList = await store.createList({ name: 'Bounce test' }, actor);
	for (const email of ['hard@example.net', 'complaint@example.net', 'fine@example.net']) {
		setup.ids[email] = (await store.upsertSubscriber(bounceList.id, { email }, {}, actor)).subscriber!.id;
	}

	await n8n.importCredentials(
		exampleCredentials({
			store: storeConfig,
			publicBaseUrl: PUBLIC_BASE_URL,
			signingSecret: SIGNING_SECRET,
			smtp: setup.smtp,
			genericSecret: GENERIC_SECRET,
		}),
	);
	const workflows = Object.values(examples);
	await n8n.importWorkflow(workflows);
	await n8n.start();
	await publishThroughEditorApi(n8n, workflows.map((workflow) => workflow.id));
	await n8n.waitForWebhook(webhookPath(examples.importCsv, 'Upload CSV'));
	await n8n.waitForWebhook(webhookPath(examples.transactional, 'Sign-up Received'));
	await n8n.waitForWebhook(`${BOUNCE_HOOK}/events`);
}

const setups: Record<Backend, Setup> = { sqlite: { ids: {} }, postgres: { ids: {} } };

// Both instances boot at the same time: most of a boot is waiting, not computing.
beforeAll(async () => {
	const results = await Promise.allSettled(BACKENDS.map((backend) => setUp(backend, setups[backend])));
	const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
	if (failed) throw failed.reason;
});

afterAll(async () => {
	for (const setup of Object.values(setups)) {
		await setup.n8n?.cleanup();
		await setup.store?.close();
		await setup.pgFixture?.cleanup();
		await setup.smtp?.close();
	}
});

describe.each(BACKENDS)('example workflows in real n8n (%s store)', (backend: Backend) => {
	let n8n: N8nInstance;
	let smtp: TestSmtpServer;
	let store: SqlSubscriberStore;
	let ids: Record<string, string>;

	beforeAll(() => {
		({ n8n, smtp, store } = setups[backend] as Required<Setup>);
		ids = setups[backend].ids;
	});

	test('Import CSV upload: a multipart POST imports the file and reports the rejected rows', async () => {
		const csv = 'email,name,city\nann@example.com,Ann,Osaka\nnot-an-email,Bad Row,Nowhere\nbob@example.com,Bob,Kyoto\n';
		const form = new FormData();
		form.append('list', 'Members');
		form.append('file', new Blob([csv], { type: 'text/csv' }), 'members.csv');
		const url = n8n.webhookUrl(webhookPath(examples.importCsv, 'Upload CSV'));
		const response = await fetch(url, { method: 'POST', body: form });
		const report = (await response.json()) as Record<string, unknown>;
		expect(response.status).toBe(200);
		expect(report).toMatchObject({ list: 'Members', rows: 3, created: 2, updated: 0, rejected: 1 });
		expect(report.rejectedRows).toEqual([
			{ line: 3, email: 'not-an-email', reason: expect.stringMatching(/not-an-email|e-mail|address/i) },
		]);

		const list = await store.getList('Members');
		expect(list).not.toBeNull();
		const stored = await store.getSubscribers({ listId: list!.id }, { limit: 10 });
		expect(stored.items.map((s) => [s.email, s.name, s.fields.city, s.status]).sort()).toEqual([
			['ann@example.com', 'Ann', 'Osaka', 'active'],
			['bob@example.com', 'Bob', 'Kyoto', 'active'],
		]);

		// A file that cannot be imported at all: the caller gets 422 and why; the list is unchanged.
		const bad = new FormData();
		bad.append('list', 'Members');
		bad.append('file', new Blob(['name,city\nCarl,Nara\n'], { type: 'text/csv' }), 'no-email.csv');
		const refused = await fetch(url, { method: 'POST', body: bad });
		expect(refused.status).toBe(422);
		expect(((await refused.json()) as { error: string }).error).toMatch(/e-mail column/i);
		expect((await store.getSubscribers({ listId: list!.id }, { limit: 10 })).items).toHaveLength(2);
	});

	test('Transactional: the webhook upserts the subscriber and mails it at once; an opted-out address gets nothing', async () => {
		const url = n8n.webhookUrl(webhookPath(examples.transactional, 'Sign-up Received'));
		const post = (body: unknown) =>
			fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

		const response = await post({ email: 'nao@example.org', name: 'Nao', fields: { plan: 'gold' } });
		const answer = (await response.json()) as Record<string, unknown>;
		expect(response.status).toBe(200);
		expect(answer).toMatchObject({ status: 'sent', to: 'nao@example.org' });

		const message = await waitFor('the welcome mail', () => smtp.byRecipient().get('nao@example.org')?.[0], 10_000);
		expect(smtp.byRecipient().get('nao@example.org')).toHaveLength(1);
		const parsed = await parseMessage(message);
		expect(parsed.subject).toBe('Welcome to ACME, Nao');
		expect(parsed.from?.value[0]).toEqual({ address: 'hello@example.com', name: 'ACME' });
		expect(parsed.html).toContain('for the gold plan');
		expect(parsed.messageId).toBe(answer.messageId);
		const head = headerBlock(message);
		expect(head).toMatch(new RegExp(`\\r\\nList-Unsubscribe: <${escapeRegExp(PUBLIC_BASE_URL)}/unsubscribe\\?t=[^>]+>`));
		expect(head).toContain('\r\nX-Bulk-Mail-Campaign: welcome');

		const customers = await store.getList('Customers');
		const nao = await store.getSubscriber({ listId: customers!.id, email: 'nao@example.org' });
		expect(nao).toMatchObject({ status: 'active', name: 'Nao', fields: { plan: 'gold' } });

		// A second sign-up mail to the same person (same Campaign ID 'welcome') is another message:
		// its own Message-ID, or receivers may drop it as a duplicate (RFC 5322 §3.6.4).
		const again = (await (await post({ email: 'nao@example.org', name: 'Nao' })).json()) as Record<string, unknown>;
		expect(again).toMatchObject({ status: 'sent', to: 'nao@example.org' });
		expect(again.messageId).not.toBe(answer.messageId);
		const second = await waitFor('the second welcome mail', () => smtp.byRecipient().get('nao@example.org')?.[1], 10_000);
		expect((await parseMessage(second)).messageId).toBe(again.messageId);
		expect(headerBlock(second)).toContain('\r\nX-Bulk-Mail-Campaign: welcome');

		const suppressed = await post({ email: 'gone@example.org', name: 'Gone Again' });
		expect(suppressed.status).toBe(200);
		expect(await suppressed.json()).toMatchObject({ status: 'suppressed', to: 'gone@example.org' });
		expect(smtp.byRecipient().get('gone@example.org')).toBeUndefined();
		expect(await store.getSubscriber({ listId: customers!.id, email: 'gone@example.org' })).toMatchObject({ status: 'unsubscribed' });
	});

	test('Weekly newsletter: scheduled firings send the campaign in slices, then one summary to the operator', async () => {
		const workflowId = examples.newsletter.id;
		// Operator mails of this workflow, by their (decoded) subject.
		const summaries = async () => {
			const found: ParsedMail[] = [];
			for (const message of smtp.messages.filter((m) => m.to.includes(OPERATOR))) {
				const parsed = await parseMessage(message);
				if (/^Campaign ".*" finished: \d+ sent$/.test(parsed.subject ?? '')) found.push(parsed);
			}
			return found;
		};
		const parsedSummary = await waitFor(
			'the summary mail',
			async () => (await summaries())[0],
			150_000,
			() => failures(n8n, workflowId),
		);
		// Named after the ISO week in the workflow's time zone, e.g. "Newsletter 2026-W49".
		const subject = /^Campaign "(Newsletter \d{4}-W\d{2})" finished: (\d+) sent$/.exec(parsedSummary.subject ?? '');
		expect(subject?.[2]).toBe(String(readers.length));
		const campaignName = subject![1];
		expect(parsedSummary.text).toContain(`Finished: ${readers.length} sent, 0 failed, 0 unknown, 0 skipped.`);

		// One campaign, finished (a second one would mail everyone again).
		const campaignRows = await store.sql.all('SELECT id, name, status, sent FROM campaigns ORDER BY id');
		expect(campaignRows.map((row) => [row.name, row.status, Number(row.sent)])).toEqual([[campaignName, 'finished', readers.length]]);

		// Every active reader got exactly one copy; the opted-out one none.
		const byRecipient = smtp.byRecipient();
		for (const reader of readers) {
			expect(byRecipient.get(reader.email)).toHaveLength(1);
			const parsed = await parseMessage(byRecipient.get(reader.email)![0]);
			expect(parsed.subject).toBe(`This week at ACME, ${reader.name}`);
			expect(headerBlock(byRecipient.get(reader.email)![0])).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click');
		}
		expect(byRecipient.get('opted-out@example.org')).toBeUndefined();

		// Sent in slices by separate scheduled executions, none larger than the cap.
		const slices = executionsOf(n8n, workflowId)
			.map((execution) => execution.runData['Send Next Slice']?.[0]?.data?.main?.[0]?.[0]?.json)
			.filter((json): json is Record<string, unknown> => json !== undefined && Number(json.sentThisRun) > 0)
			.map((json) => Number(json.sentThisRun));
		expect(slices.length).toBeGreaterThanOrEqual(Math.ceil(readers.length / SLICE_SIZE));
		expect(slices.every((sent) => sent <= SLICE_SIZE)).toBe(true);
		expect(slices.reduce((sum, sent) => sum + sent, 0)).toBe(readers.length);

		// The store: one finished campaign; later firings start no new one and send no second summary.
		await sleep((NEWSLETTER_SCHEDULE_SECONDS + 2) * 1000);
		expect((await store.sql.all('SELECT id FROM campaigns')).length).toBe(1);
		expect(await summaries()).toHaveLength(1);
		expect(executionsOf(n8n, workflowId).filter((execution) => execution.status === 'error')).toEqual([]);
	});

	test('Bounce handling: signed events update the store; the scheduled export mails them as CSV', async () => {
		const body = JSON.stringify({
			events: [
				{ id: 'ex-hard-1', type: 'hard', email: 'hard@example.net', status: '5.1.1', diagnostic: 'mailbox unknown' },
				{ id: 'ex-complaint-1', type: 'complaint', email: 'complaint@example.net' },
			],
		});
		const response = await fetch(n8n.webhookUrl(`${BOUNCE_HOOK}/events`), {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-bulk-mail-signature': signGenericPayload(GENERIC_SECRET, body) },
			body,
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ ok: true, received: 2, recorded: 2 });
		expect(await store.getSubscriber({ id: ids['hard@example.net'] })).toMatchObject({ status: 'bounced', hardBounces: 1 });
		expect(await store.getSubscriber({ id: ids['complaint@example.net'] })).toMatchObject({ status: 'complained' });
		expect(await store.getSubscriber({ id: ids['fine@example.net'] })).toMatchObject({ status: 'active' });
		expect(await store.isSuppressed('complaint@example.net')).toBe(true);

		// A forged request changes nothing.
		const forged = JSON.stringify({ events: [{ id: 'ex-forged', type: 'hard', email: 'fine@example.net' }] });
		const refused = await fetch(n8n.webhookUrl(`${BOUNCE_HOOK}/events`), {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-bulk-mail-signature': signGenericPayload('not-the-secret-at-all', forged) },
			body: forged,
		});
		expect(refused.status).toBe(401);
		expect(await store.getSubscriber({ id: ids['fine@example.net'] })).toMatchObject({ status: 'active' });

		// The next scheduled export after the events: a CSV with exactly those two addresses.
		const since = smtp.messages.length;
		const report = await waitFor(
			'the bounce report mail',
			() => smtp.messages.slice(since).find((m) => m.to.includes(OPERATOR) && m.raw.toString('utf8').includes('bounced or complained')),
			60_000,
			() => failures(n8n, examples.bounceReport.id),
		);
		const parsed = await parseMessage(report);
		expect(parsed.subject).toMatch(/^2 bounced or complained addresses \(\d{4}-\d{2}-\d{2}\)$/);
		expect(parsed.attachments).toHaveLength(1);
		const attachment = parsed.attachments[0];
		expect(attachment.filename).toMatch(/^bounced-and-complained-\d{4}-\d{2}-\d{2}\.csv$/);
		const rows = parse(attachment.content.toString('utf8').replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
		expect(rows.map((row) => [row.email, row.status]).sort()).toEqual([
			['complaint@example.net', 'complained'],
			['hard@example.net', 'bounced'],
		]);
	});
});
