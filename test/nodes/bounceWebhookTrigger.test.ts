/**
 * The Bounce Webhook Trigger's adapter code with a stand-in IWebhookFunctions and a real SQLite
 * store: endpoint dispatch, which events start an execution, raw bodies, errors, the store
 * cache, the description's trigger conventions and the credential check.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeOperationError, type IWebhookFunctions } from 'n8n-workflow';
import { LinkSigner } from '../../lib/store/linkTokens';
import { openStore } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { ENDPOINT_PATHS } from '../../lib/store/urls';
import { cachedStoreCount, closeCachedStores, REPORT_PATH } from '../../lib/webhook';
import { BounceWebhookApi } from '../../credentials/BounceWebhookApi.credentials';
import { BounceWebhookTrigger } from '../../nodes/BounceWebhook/BounceWebhookTrigger.node';
import { checkBounceWebhookSecrets } from '../../nodes/BounceWebhook/methods/credentialTest';
import { cachedCredentials, clearCachedCredentials, CREDENTIAL_TTL_MS } from '../../nodes/shared/webhookStore';
import { GENERIC_SECRET, genericRequest, LINK_SECRET, SENDGRID_PUBLIC_KEY, seedList } from '../unit/webhook/helpers';

const HOOK = '0f3c6a1e-1111-4c2d-9e2f-5a6b7c8d9e0f';

interface FakeResponse {
	statusCode: number;
	headers: Record<string, string>;
	body: Buffer | null;
}

interface CallOptions {
	endpoint: string;
	method?: string;
	headers?: Record<string, string | string[] | undefined>;
	rawBody?: Buffer;
	/** Body n8n has not read yet: only reachable through readRawBody(). */
	unreadBody?: Buffer;
	query?: Record<string, unknown>;
	parameters?: Record<string, unknown>;
	storeCredential?: Record<string, unknown>;
	secrets?: Record<string, unknown>;
}

const logged: string[] = [];

async function call(options: CallOptions) {
	const node = new BounceWebhookTrigger();
	const response: FakeResponse = { statusCode: 200, headers: {}, body: null };
	const req: Record<string, unknown> = {
		method: options.method ?? 'POST',
		path: `/webhook/${HOOK}/${options.endpoint}`,
		headers: options.headers ?? {},
		query: options.query ?? {},
		rawBody: options.rawBody,
		readRawBody: async () => {
			req.rawBody = options.unreadBody;
		},
	};
	const res = {
		headersSent: false,
		status(code: number) {
			response.statusCode = code;
			return res;
		},
		setHeader(name: string, value: string) {
			response.headers[name.toLowerCase()] = value;
		},
		end(body: Buffer) {
			response.body = body;
			res.headersSent = true;
		},
	};
	const parameters: Record<string, unknown> = {
		provider: 'generic',
		startFor: ['hard', 'soft', 'complaint', 'unsubscribe'],
		triggerOptions: {},
		...options.parameters,
	};
	const credentials: Record<string, Record<string, unknown>> = {
		bulkMailSubscriberStoreApi: options.storeCredential ?? { backend: 'sqlite', file: 'node-test.sqlite', signingSecret: LINK_SECRET },
		bulkMailBounceWebhookApi: options.secrets ?? { genericSecret: GENERIC_SECRET, sendgridPublicKey: SENDGRID_PUBLIC_KEY },
	};
	const ctx = {
		getRequestObject: () => req,
		getResponseObject: () => res,
		getNodeParameter: (name: string, fallback?: unknown) => {
			if (!(name in parameters) && fallback === undefined) throw new Error(`Could not get parameter '${name}'`);
			return name in parameters ? parameters[name] : fallback;
		},
		getCredentials: async (type: string) => {
			if (!credentials[type]) throw new Error(`Node does not have credentials of type '${type}'`);
			return credentials[type];
		},
		getNode: () => ({ name: 'Bounces', type: 'n8n-nodes-bulk-mail.bounceWebhookTrigger', typeVersion: 2, parameters }),
		getWorkflow: () => ({ id: 'wf1', name: 'Bounce handling', active: true }),
		logger: {
			debug: (message: string) => logged.push(message),
			info: (message: string) => logged.push(message),
			warn: (message: string) => logged.push(message),
			error: (message: string) => logged.push(message),
		},
	} as unknown as IWebhookFunctions;
	const result = await node.webhook.call(ctx);
	const text = response.body ? response.body.toString('utf8') : '';
	return { result, response, text };
}

describe('Bounce Webhook Trigger node', () => {
	let storeDir: string;
	let store: SqlSubscriberStore;
	let ids: Record<string, string>;
	const previousDir = process.env.BULK_MAIL_STORE_DIR;

	beforeAll(async () => {
		storeDir = mkdtempSync(path.join(tmpdir(), 'bounce-node-'));
		process.env.BULK_MAIL_STORE_DIR = storeDir;
		store = await openStore({ backend: 'sqlite', file: 'node-test.sqlite', baseDir: storeDir });
		({ ids } = await seedList(store, ['ann@example.com', 'bob@example.com', 'cho@example.com']));
	});

	afterAll(async () => {
		await store.close();
		await closeCachedStores();
		if (previousDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
		else process.env.BULK_MAIL_STORE_DIR = previousDir;
		rmSync(storeDir, { recursive: true, force: true });
	});

	test('describes a trigger the way n8n requires', () => {
		const { description } = new BounceWebhookTrigger();
		expect(description).toMatchObject({
			name: 'bounceWebhookTrigger',
			displayName: expect.stringContaining('Trigger'),
			group: ['trigger'],
			inputs: [],
			outputs: ['main'],
		});
		expect(description.usableAsTool).toBeUndefined();
		expect(description.webhooks!.map((hook) => `${hook.httpMethod} ${hook.path}`)).toEqual([
			`POST ${ENDPOINT_PATHS.events}`,
			`GET ${ENDPOINT_PATHS.unsubscribe}`,
			`POST ${ENDPOINT_PATHS.unsubscribe}`,
			`GET ${ENDPOINT_PATHS.open}`,
			`GET ${ENDPOINT_PATHS.click}`,
			`GET ${ENDPOINT_PATHS.confirm}`,
			`POST ${ENDPOINT_PATHS.confirm}`,
			`GET ${ENDPOINT_PATHS.preferences}`,
			`POST ${ENDPOINT_PATHS.preferences}`,
			`GET ${REPORT_PATH}`,
		]);
		expect(description.webhooks!.every((hook) => !hook.isFullPath)).toBe(true);
		const icon = description.icon as { light: string; dark: string };
		expect(icon.light).not.toBe(icon.dark);
		for (const file of [icon.light, icon.dark]) {
			expect(existsSync(path.join(__dirname, '../../nodes/BounceWebhook', file.replace('file:', '')))).toBe(true);
		}
		const codex = JSON.parse(readFileSync(path.join(__dirname, '../../nodes/BounceWebhook/BounceWebhookTrigger.node.json'), 'utf8'));
		expect(codex).toMatchObject({ node: 'n8n-nodes-bulk-mail.bounceWebhookTrigger', categories: ['Communication', 'Marketing & Content'] });
		// The class is exported under the file's name (n8n loads it so).
		expect(BounceWebhookTrigger.name).toBe('BounceWebhookTrigger');
		const webhookMethods = new BounceWebhookTrigger().webhookMethods.default;
		expect(Object.keys(webhookMethods).sort()).toEqual(['checkExists', 'create', 'delete']);
	});

	test('every secret field of the credential is a password field (the SendGrid key is public)', () => {
		const properties = new BounceWebhookApi().properties;
		const secretNames = properties.filter((p) => p.typeOptions?.password).map((p) => p.name).sort();
		expect(secretNames).toEqual(['basicAuthPassword', 'bearerToken', 'genericSecret', 'mailgunSigningKey']);
	});

	test('a hard bounce starts an execution with the normalised event and what the store did', async () => {
		const request = genericRequest([{ id: 'n-1', type: 'hard', email: 'ann@example.com', status: '5.1.1' }]);
		const { result, response, text } = await call({ endpoint: 'events', headers: request.headers, rawBody: request.rawBody });
		expect(response.statusCode).toBe(200);
		expect(JSON.parse(text)).toMatchObject({ ok: true, recorded: 1 });
		expect(result.noWebhookResponse).toBe(true);
		expect(result.workflowData).toHaveLength(1);
		const [item] = result.workflowData![0];
		expect(item.json).toEqual({
			provider: 'generic',
			eventId: 'n-1',
			messageId: null,
			recipient: 'ann@example.com',
			kind: 'hard',
			smtpStatus: '5.1.1',
			diagnostic: null,
			occurredAt: expect.stringMatching(/Z$/),
			campaignId: null,
			subscriberId: null,
			statusAfter: 'bounced',
			duplicate: false,
			unknownRecipient: false,
			suppressed: false,
			subscribers: [{ id: ids['ann@example.com'], listId: expect.any(String), status: 'bounced', changed: true }],
			campaignCounted: false,
			campaignPaused: false,
		});
		const audit = await store.getAuditLog({ entityId: ids['ann@example.com'], action: 'delivery.hard' }, { limit: 5 });
		expect(audit.items[0].actor).toEqual({ type: 'webhook', id: 'wf1', name: 'Bounce handling / Bounces' });
	});

	test('duplicates and unchosen kinds are recorded without starting an execution; chosen ones with raw when asked', async () => {
		const events = [
			{ id: 'n-2', type: 'delivered', email: 'bob@example.com' },
			{ id: 'n-3', type: 'soft', email: 'bob@example.com', diagnostic: 'mailbox full' },
		];
		const first = genericRequest(events);
		const { result } = await call({ endpoint: 'events', headers: first.headers, rawBody: first.rawBody });
		expect(result.workflowData![0].map((item) => item.json.eventId)).toEqual(['n-3']);

		const again = genericRequest(events);
		const retried = await call({ endpoint: 'events', headers: again.headers, rawBody: again.rawBody });
		expect(retried.result).toEqual({ noWebhookResponse: true });
		expect(JSON.parse(retried.text)).toMatchObject({ duplicates: 2 });

		const delivered = genericRequest([{ id: 'n-4', type: 'delivered', email: 'bob@example.com' }]);
		const chosen = await call({
			endpoint: 'events',
			headers: delivered.headers,
			rawBody: delivered.rawBody,
			parameters: { startFor: ['delivered'], triggerOptions: { includeRaw: true } },
		});
		expect(chosen.result.workflowData![0][0].json).toMatchObject({ kind: 'delivered', raw: { id: 'n-4', type: 'delivered' } });
	});

	test('reads the raw body itself when n8n has not (the signature is checked over those bytes)', async () => {
		const request = genericRequest([{ id: 'n-5', type: 'complaint', email: 'cho@example.com' }]);
		const { response, result } = await call({ endpoint: 'events', headers: request.headers, unreadBody: request.rawBody });
		expect(response.statusCode).toBe(200);
		expect(result.workflowData![0][0].json).toMatchObject({ kind: 'complaint', statusAfter: 'complained' });
	});

	test('refused requests are answered by the node and start nothing', async () => {
		const request = genericRequest([{ id: 'n-6', type: 'hard', email: 'bob@example.com' }], 'not-the-secret-at-all');
		const forged = await call({ endpoint: 'events', headers: request.headers, rawBody: request.rawBody });
		expect(forged.response.statusCode).toBe(401);
		expect(forged.response.headers['content-type']).toMatch(/^application\/json/);
		expect(forged.result).toEqual({ noWebhookResponse: true });
		expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.hardBounces).toBe(0);

		const unknownPath = await call({ endpoint: 'elsewhere', method: 'GET' });
		expect(unknownPath.response.statusCode).toBe(404);
	});

	test('link endpoints: the click redirects; the unsubscribe POST starts an execution', async () => {
		const signer = new LinkSigner(LINK_SECRET);
		const click = await call({
			endpoint: 'click',
			method: 'GET',
			query: { t: signer.sign('click', { subscriberId: ids['bob@example.com'], url: 'https://example.org/a' }) },
		});
		expect(click.response.statusCode).toBe(302);
		expect(click.response.headers.location).toBe('https://example.org/a');
		expect(click.result).toEqual({ noWebhookResponse: true });

		const token = signer.sign('unsubscribe', { subscriberId: ids['bob@example.com'] });
		const page = await call({ endpoint: 'unsubscribe', method: 'GET', query: { t: token } });
		expect(page.response.statusCode).toBe(200);
		expect(page.text).toContain('<form method="post"');
		const post = await call({
			endpoint: 'unsubscribe',
			method: 'POST',
			query: { t: token },
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			rawBody: Buffer.from('List-Unsubscribe=One-Click'),
		});
		expect(post.response.statusCode).toBe(200);
		expect(post.result.workflowData![0][0].json).toMatchObject({ kind: 'unsubscribe', recipient: 'bob@example.com', statusAfter: 'unsubscribed' });
	});

	test('confirm and preference pages: a confirmation and a left list start executions when chosen', async () => {
		const signer = new LinkSigner(LINK_SECRET);
		const list = await store.createList({ name: 'Optin' }, { type: 'test' });
		const pending = (await store.upsertSubscriber(list.id, { email: 'pat@example.com', status: 'pending' }, {}, { type: 'test' })).subscriber!;
		const token = signer.sign('confirm', { subscriberId: pending.id });
		const startFor = ['confirm', 'unsubscribe'];
		const page = await call({ endpoint: 'confirm', method: 'GET', query: { t: token }, headers: { 'accept-language': 'ja' }, parameters: { startFor } });
		expect(page.response.statusCode).toBe(200);
		expect(page.text).toContain('登録を確定する');
		expect(page.result).toEqual({ noWebhookResponse: true });
		const forced = await call({ endpoint: 'confirm', method: 'GET', query: { t: token }, parameters: { startFor, triggerOptions: { pageLanguage: 'en' } }, headers: { 'accept-language': 'ja' } });
		expect(forced.text).toContain('Confirm my subscription');
		const form = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'NodeTest' };
		const post = await call({ endpoint: 'confirm', method: 'POST', query: { t: token }, headers: form, rawBody: Buffer.from(''), parameters: { startFor } });
		expect(post.response.statusCode).toBe(200);
		expect(post.result.workflowData![0].map((item) => item.json)).toEqual([
			expect.objectContaining({ kind: 'confirm', subscriberId: pending.id, listId: list.id, recipient: 'pat@example.com', statusAfter: 'active', consentId: expect.any(String) }),
		]);
		const again = await call({ endpoint: 'confirm', method: 'POST', query: { t: token }, headers: form, rawBody: Buffer.from(''), parameters: { startFor } });
		expect(again.result).toEqual({ noWebhookResponse: true });

		const prefs = signer.sign('preferences', { subscriberId: pending.id });
		const left = await call({ endpoint: 'preferences', method: 'POST', query: { t: prefs }, headers: form, rawBody: Buffer.from('action=all'), parameters: { startFor } });
		expect(left.text).toContain('You are unsubscribed from all lists.');
		expect(left.result.workflowData![0].map((item) => item.json)).toEqual([
			expect.objectContaining({ kind: 'unsubscribe', subscriberId: pending.id, statusAfter: 'unsubscribed', via: 'preferences' }),
		]);
		const tampered = await call({ endpoint: 'preferences', method: 'GET', query: { t: `${prefs}x` } });
		expect(tampered.response.statusCode).toBe(403);
	});

	test('configuration mistakes fail the execution with a clear message; a dead store answers 503', async () => {
		const request = genericRequest([{ id: 'n-7', type: 'hard', email: 'bob@example.com' }]);
		await expect(
			call({ endpoint: 'events', headers: request.headers, rawBody: request.rawBody, secrets: { sendgridPublicKey: SENDGRID_PUBLIC_KEY } }),
		).rejects.toMatchObject({
			constructor: NodeOperationError,
			message: 'Generic webhook signing secret is not configured',
			description: expect.stringContaining('Bounce Webhook API credential'),
		});
		await expect(
			call({ endpoint: 'open', method: 'GET', query: { t: 'x' }, storeCredential: { backend: 'sqlite', file: 'node-test.sqlite' } }),
		).rejects.toThrow(/no Link Signing Secret/);

		const dead = await call({
			endpoint: 'events',
			headers: request.headers,
			rawBody: request.rawBody,
			storeCredential: { backend: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'x', password: 'hunter2', signingSecret: LINK_SECRET },
		});
		expect(dead.response.statusCode).toBe(503);
		expect(dead.text).not.toContain('hunter2');
		expect(logged.join('\n')).not.toContain('hunter2');
	});

	test('the store is opened once and reused across requests', async () => {
		const before = cachedStoreCount();
		for (let i = 0; i < 5; i++) {
			const request = genericRequest([{ id: `reuse-${i}`, type: 'deferred', email: 'ann@example.com' }]);
			const { response } = await call({ endpoint: 'events', headers: request.headers, rawBody: request.rawBody });
			expect(response.statusCode).toBe(200);
		}
		expect(cachedStoreCount()).toBe(before);
		expect(before).toBeGreaterThanOrEqual(1);
	});
});

describe('credential reuse across webhook requests', () => {
	test('a credential is read once per CREDENTIAL_TTL_MS and per credential id', async () => {
		clearCachedCredentials();
		let reads = 0;
		const ctx = (id: string) =>
			({
				getNode: () => ({ credentials: { bulkMailBounceWebhookApi: { id, name: id } } }),
				getCredentials: async () => ({ genericSecret: `secret-${id}-${++reads}` }),
			}) as unknown as IWebhookFunctions;
		const t0 = 1_000_000;
		const first = await cachedCredentials(ctx('a'), 'bulkMailBounceWebhookApi', t0);
		expect(await cachedCredentials(ctx('a'), 'bulkMailBounceWebhookApi', t0 + CREDENTIAL_TTL_MS - 1)).toBe(first);
		expect(reads).toBe(1);
		expect(await cachedCredentials(ctx('b'), 'bulkMailBounceWebhookApi', t0)).toEqual({ genericSecret: 'secret-b-2' });
		expect(await cachedCredentials(ctx('a'), 'bulkMailBounceWebhookApi', t0 + CREDENTIAL_TTL_MS)).toEqual({ genericSecret: 'secret-a-3' });
		expect(reads).toBe(3);
		clearCachedCredentials();
	});
});

describe('Bounce Webhook API credential check', () => {
	test.each([
		[{}, /Fill in/],
		[{ genericSecret: 'short' }, /at least 16/],
		[{ sendgridPublicKey: 'bm90IGEga2V5' }, /SendGrid verification key/],
		[{ basicAuthUser: 'postmark' }, /both the user and the password/],
		[{ sesTopicArns: 'arn:aws:sns:eu-west-1:123456789012:bounces, not-an-arn' }, /'not-an-arn' is not an SNS topic ARN/],
	])('%j is refused', (data, message) => {
		expect(checkBounceWebhookSecrets(data)).toMatch(message);
	});

	test('well-formed secrets pass', () => {
		expect(
			checkBounceWebhookSecrets({
				genericSecret: GENERIC_SECRET,
				sendgridPublicKey: SENDGRID_PUBLIC_KEY,
				basicAuthUser: 'postmark',
				basicAuthPassword: 'pw',
				sesTopicArns: 'arn:aws:sns:eu-west-1:123456789012:bounces\narn:aws:sns:us-east-1:123456789012:complaints',
			}),
		).toBeNull();
	});
});
