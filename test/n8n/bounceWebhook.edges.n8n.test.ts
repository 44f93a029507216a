/**
 * The Bounce Webhook trigger in a real n8n 2.40.7, with hostile or unusual requests: events for
 * addresses the store does not know (no execution unless the operator asks for one), link tokens
 * in a non-canonical spelling, and what n8n itself answers before the trigger runs (JSON it cannot
 * parse, bodies over its payload limit) — with NODE_ENV=production, as `npm start` and n8n's
 * Docker image run it, so no stack trace reaches the sender.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signGenericPayload } from '../../lib/events';
import { LinkSigner } from '../../lib/store/linkTokens';
import { openStore } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { seedCampaign, seedList } from '../unit/webhook/helpers';
import { bounceWorkflow, registerBounceWebhook, settledExecutions } from './bounceWebhookHelpers';
import { createN8nInstance, type N8nInstance } from './harness';

jest.setTimeout(300_000);

const GENERIC_SECRET = 'generic-secret-for-the-edge-test';
const LINK_SECRET = 'link-signing-secret-for-edge-test!';
const WORKFLOW_ID = 'wfBounceEdges';
const QUIET_HOOK = '6d1e2a40-7c1b-4f0e-9a55-3c2d1b0a9e11';
const UNKNOWN_TOO_HOOK = '6d1e2a40-7c1b-4f0e-9a55-3c2d1b0a9e12';
const DSN_HOOK = '6d1e2a40-7c1b-4f0e-9a55-3c2d1b0a9e13';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let n8n: N8nInstance;
let store: SqlSubscriberStore;
let ids: Record<string, string>;
let campaignId: string;

const url = (hook: string, endpoint: string) => n8n.webhookUrl(`${hook}/${endpoint}`);

function genericPost(events: unknown[]): RequestInit {
	const body = JSON.stringify({ events });
	return {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-bulk-mail-signature': signGenericPayload(GENERIC_SECRET, body) },
		body,
	};
}

beforeAll(async () => {
	n8n = await createN8nInstance({ dbType: 'sqlite', env: { NODE_ENV: 'production' } });
	registerBounceWebhook(n8n);
	await n8n.importCredentials([
		{ id: 'storeEdges', name: 'storeEdges', type: 'bulkMailSubscriberStoreApi', data: { backend: 'sqlite', file: 'edges.sqlite', signingSecret: LINK_SECRET } },
		{ id: 'bounceCred1', name: 'bounceCred1', type: 'bulkMailBounceWebhookApi', data: { genericSecret: GENERIC_SECRET } },
	]);
	await n8n.importWorkflow(
		bounceWorkflow(WORKFLOW_ID, [
			{ name: 'Known Only', webhookId: QUIET_HOOK, provider: 'generic', storeCredential: 'storeEdges', startFor: ['hard', 'open'] },
			{
				name: 'Unknown Too',
				webhookId: UNKNOWN_TOO_HOOK,
				provider: 'generic',
				storeCredential: 'storeEdges',
				startFor: ['hard'],
				options: { startForUnknownRecipients: true },
			},
			{ name: 'Returned Mail', webhookId: DSN_HOOK, provider: 'dsn', storeCredential: 'storeEdges', startFor: ['hard'] },
		]),
	);
	await n8n.publish(WORKFLOW_ID);
	store = await openStore({ backend: 'sqlite', file: 'edges.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') });
	const seeded = await seedList(store, ['ann@example.com', 'bob@example.com', 'cho@example.com', 'dan@example.com', 'eve@example.com']);
	ids = seeded.ids;
	campaignId = await seedCampaign(store, seeded.listId, Object.values(ids));
	await n8n.start();
	await n8n.waitForWebhook(`${QUIET_HOOK}/events`);
	await n8n.waitForWebhook(`${UNKNOWN_TOO_HOOK}/events`);
	await n8n.waitForWebhook(`${DSN_HOOK}/events`);
});

afterAll(async () => {
	await store?.close();
	await n8n?.cleanup();
});

test('an event for an address not in the store is acknowledged but starts no execution, unless switched on', async () => {
	const before = await settledExecutions(n8n, WORKFLOW_ID);
	const stranger = [{ id: 'u-hard-1', type: 'hard', email: 'stranger@example.com', status: '5.1.1' }];
	const quiet = await fetch(url(QUIET_HOOK, 'events'), genericPost(stranger));
	expect(quiet.status).toBe(200);
	expect(await quiet.json()).toMatchObject({ ok: true, received: 1, unknownRecipients: 1 });
	expect(await settledExecutions(n8n, WORKFLOW_ID)).toBe(before);

	// A known address still starts one.
	const known = await fetch(url(QUIET_HOOK, 'events'), genericPost([{ id: 'k-hard-1', type: 'hard', email: 'ann@example.com', status: '5.1.1' }]));
	expect(await known.json()).toMatchObject({ recorded: 1, unknownRecipients: 0 });
	expect(await settledExecutions(n8n, WORKFLOW_ID)).toBe(before + 1);

	// The explicit option: unknown addresses start executions too.
	const loud = await fetch(url(UNKNOWN_TOO_HOOK, 'events'), genericPost([{ id: 'u-hard-2', type: 'hard', email: 'stranger2@example.com', status: '5.1.1' }]));
	expect(await loud.json()).toMatchObject({ unknownRecipients: 1 });
	expect(await settledExecutions(n8n, WORKFLOW_ID)).toBe(before + 2);
});

test('an open token with the padding bits of its last character flipped gets 403 and counts nothing', async () => {
	const signer = new LinkSigner(LINK_SECRET);
	const token = signer.sign('open', { subscriberId: ids['bob@example.com'], campaignId });
	const last = B64URL.indexOf(token.slice(-1));
	const flipped = `${token.slice(0, -1)}${B64URL[last ^ 1]}`;
	const refused = await fetch(`${url(QUIET_HOOK, 'open')}?t=${flipped}`);
	expect(refused.status).toBe(403);
	const opened = async () => Number((await store.sql.get('SELECT opened FROM campaigns WHERE id = ?', [campaignId]))!.opened);
	expect(await opened()).toBe(0);
	const genuine = await fetch(`${url(QUIET_HOOK, 'open')}?t=${token}`);
	expect(genuine.status).toBe(200);
	expect(await opened()).toBe(1);
});

test('what n8n answers before the trigger runs: 422 for JSON it cannot parse, 500 over its payload limit — no stack trace', async () => {
	const notJson = await fetch(url(QUIET_HOOK, 'events'), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: '{"events": [',
	});
	expect(notJson.status).toBe(422);
	const notJsonBody = (await notJson.json()) as Record<string, unknown>;
	expect(notJsonBody).toMatchObject({ code: 422, message: 'Failed to parse request body' });
	expect(notJsonBody).not.toHaveProperty('stacktrace');
	expect(JSON.stringify(notJsonBody)).not.toMatch(/node_modules|\/dist\//);

	// n8n's default N8N_PAYLOAD_SIZE_MAX is 16 MiB.
	const huge = Buffer.alloc(17 * 1024 * 1024, 0x20);
	const tooBig = await fetch(url(QUIET_HOOK, 'events'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
	expect(tooBig.status).toBe(500);
	const tooBigText = await tooBig.text();
	expect(JSON.parse(tooBigText)).toEqual({ code: 0, message: 'There was a problem executing the workflow' });

	// Below n8n's limit and over the trigger's Max Body Size (1 MB by default): the trigger's 413.
	const overTrigger = JSON.stringify({ events: [], padding: 'x'.repeat(1_100_000) });
	const refused = await fetch(url(QUIET_HOOK, 'events'), {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-bulk-mail-signature': signGenericPayload(GENERIC_SECRET, overTrigger) },
		body: overTrigger,
	});
	expect(refused.status).toBe(413);
	expect(await refused.json()).toMatchObject({ ok: false });
});

/** The first ```sh block after a README heading. */
function readmeBlock(heading: string): string {
	const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
	const at = readme.indexOf(`#### ${heading}\n`);
	expect(at).toBeGreaterThanOrEqual(0);
	const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
	return block![1];
}

/** Runs a documented block with its `URL=` and `SECRET=` lines set to this test's values. */
function runDocumented(block: string, values: { URL: string; SECRET: string }, cwd: string): unknown {
	let script = block;
	for (const [name, value] of Object.entries(values)) {
		const line = new RegExp(`^${name}='[^'\\n]*'$`, 'm');
		expect(script).toMatch(line);
		script = script.replace(line, `${name}='${value}'`);
	}
	const run = spawnSync('sh', ['-e', '-c', script], { cwd, encoding: 'utf8', timeout: 30_000 });
	expect([run.status, run.stderr]).toEqual([0, '']);
	return JSON.parse(run.stdout);
}

test("the README's curl/openssl examples: a signed generic event and a signed DSN are recorded", async () => {
	const cwd = mkdtempSync(path.join(tmpdir(), 'bm-readme-'));
	try {
		// Generic JSON: the documented body (a hard bounce for ann@example.com), signed as documented.
		const generic = runDocumented(readmeBlock('Posting events yourself: the generic format'), { URL: url(QUIET_HOOK, 'events'), SECRET: GENERIC_SECRET }, cwd);
		expect(generic).toMatchObject({ ok: true, received: 1, recorded: 1, duplicates: 0, unknownRecipients: 0 });
		expect(await store.getSubscriber({ id: ids['ann@example.com'] })).toMatchObject({ status: 'bounced' });

		// A DSN as it arrives in a bounce mailbox, for dan@example.com.
		const dsn = readFileSync(path.resolve(__dirname, '..', 'fixtures', 'events', 'dsn-hard.eml'), 'utf8')
			.replace(/Missing\.User@Example\.ORG|missing\.user@example\.org/g, 'dan@example.com')
			.replace(/^X-Bulk-Mail-(Campaign|Subscriber):.*\n/gm, '')
			.replace(/\r?\n/g, '\r\n');
		writeFileSync(path.join(cwd, 'bounce.eml'), dsn);
		const returned = runDocumented(readmeBlock('Posting returned mail (DSNs)'), { URL: url(DSN_HOOK, 'events'), SECRET: GENERIC_SECRET }, cwd);
		expect(returned).toMatchObject({ ok: true, recorded: 1, unknownRecipients: 0 });
		expect(await store.getSubscriber({ id: ids['dan@example.com'] })).toMatchObject({ status: 'bounced', hardBounces: 1 });

		// The same commands with another secret are refused, and change nothing.
		const forged = runDocumented(readmeBlock('Posting returned mail (DSNs)'), { URL: url(DSN_HOOK, 'events'), SECRET: 'not-the-secret-at-all' }, cwd);
		expect(forged).toMatchObject({ ok: false });
	} finally {
		rmSync(cwd, { recursive: true, force: true });
	}
});
