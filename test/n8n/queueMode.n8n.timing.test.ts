/**
 * Scale-out on n8n's queue mode, with the package installed the way users get it: one main
 * (`n8n start`, EXECUTIONS_MODE=queue) and two `n8n worker` processes over the local Redis, n8n's
 * own database and the subscriber store on the local PostgreSQL, Bulk Send's rate limit shared
 * through Redis (Bulk Mail Redis credential).
 *
 * One published workflow has two webhooks: "create" makes a campaign over a 50,000-subscriber
 * list, "slice" runs it for a time budget. The test keeps several slice requests in flight until
 * the campaign is finished; n8n's main puts each execution on the Bull queue and the workers (two
 * jobs each at a time) run them. It then shows that every subscriber got exactly one message
 * (what the SMTP server received, and the campaign's send log agree), that both workers sent
 * (the send log names the process of each run), and that the combined arrival rate stayed within
 * the one shared limit.
 *
 * A wall-clock rate test (hence `.timing.`): it runs last, in band.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import IORedis from 'ioredis';

import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { deleteRedisKeys, maxInAnyWindow } from '../helpers/limiterTests';
import { REDIS } from '../helpers/services';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { PG_CONNECTION, storeFixture, type StoreFixture } from '../helpers/stores';
import {
	createN8nInstance,
	type N8nInstance,
	type N8nWorker,
	type WorkflowInput,
	type WorkflowNode,
} from './harness';

// a real n8n main and two workers boot slowly on a loaded 2-core machine
jest.setTimeout(900_000);

const PACKAGE = 'n8n-nodes-bulk-mail';
const BULK_SEND = `${PACKAGE}.bulkSend`;
const RECIPIENTS = 50_000;
/** The one send rate all workers share (messages per second). */
const RATE = 200;
const WORKERS = 2;
const WORKER_CONCURRENCY = 2;
/** Messages one run keeps in flight: 4 per SMTP connection (2 connections, see the workflow). */
const IN_FLIGHT_PER_RUN = 8;
/**
 * Most arrivals at the SMTP server in any 1-second window: the limit, plus what all running
 * slices together can hold in flight. Through Redis every message gets a send slot spaced
 * 1/RATE s after the previous one, across both workers; a worker that the OS pauses for a moment
 * (a loaded 2-core machine) sends the slots it holds late, all at once, next to the other
 * worker's on-time ones. Measured here: 228 and 229 against this bound of 232.
 */
const MAX_IN_ANY_SECOND = RATE + WORKERS * WORKER_CONCURRENCY * IN_FLIGHT_PER_RUN;
/**
 * The campaign's average rate, first to last arrival, must reach this share of the limit: the
 * limiter must not hold sending far below it. (On an idle machine the workers reach the limit; on
 * the shared 2-core test machine, loaded by other builds, they are CPU-bound at ~130/s.)
 */
const MIN_AVERAGE_SHARE = 0.5;
/** Time budget of one slice execution. */
const SLICE_SECONDS = 12;
/** Slice requests kept in flight: every worker slot busy, plus one job waiting in the queue. */
const IN_FLIGHT_REQUESTS = WORKERS * WORKER_CONCURRENCY + 1;
const SIGNING_SECRET = 'queue-mode-e2e-signing-secret-0123456789';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
/** A Redis database of its own, so the queue and limiter keys of this test collide with nothing. */
const REDIS_DB = 9;
const actor = { type: 'test', id: 'queue-mode' };

const suffix = `${process.pid}${randomBytes(3).toString('hex')}`;
const BULL_PREFIX = `bmq${suffix}`;
const RATE_LIMIT_KEY = `queue-e2e-${suffix}`;
const CREATE_PATH = `bm-queue-create-${suffix}`;
const SLICE_PATH = `bm-queue-slice-${suffix}`;

const credentials = {
	bulkMailSmtpApi: { id: 'qSmtp1', name: 'Local SMTP' },
	bulkMailSubscriberStoreApi: { id: 'qStore1', name: 'PostgreSQL store' },
	bulkMailRedisApi: { id: 'qRedis1', name: 'Shared rate limit' },
};

const email = (i: number) => `reader${i}@example${i % 50}.org`;

function webhook(id: string, name: string, webhookPath: string, y: number): WorkflowNode {
	return {
		id,
		name,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, y],
		webhookId: `${id}-${suffix}`,
		parameters: { path: webhookPath, httpMethod: 'POST', responseMode: 'lastNode', options: {} },
	};
}

/** One workflow, one publish: POST create → a campaign; POST slice {campaignId} → one run. */
function campaignWorkflow(id: string): WorkflowInput {
	// 2 connections: 8 messages in flight per run, so a worker that the OS pauses for a moment
	// has few reserved send slots to catch up on afterwards (a burst at the server)
	const throttling = { perSecond: RATE, maxConnections: 2 };
	return {
		id,
		name: 'Queue-mode campaign',
		nodes: [
			webhook('qc1', 'Create Request', CREATE_PATH, 0),
			{
				id: 'qc2',
				name: 'Create Campaign',
				type: BULK_SEND,
				typeVersion: 1,
				position: [220, 0],
				parameters: {
					resource: 'campaign',
					operation: 'create',
					campaignName: 'Queue-mode newsletter',
					list: 'Queue readers',
					subject: 'News for {{ name }}',
					html: '<p>Hello {{ name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
					fromName: 'ACME News',
					fromEmail: 'news@example.com',
					throttling,
				},
				credentials: {
					bulkMailSmtpApi: credentials.bulkMailSmtpApi,
					bulkMailSubscriberStoreApi: credentials.bulkMailSubscriberStoreApi,
				},
			},
			webhook('qs1', 'Slice Request', SLICE_PATH, 300),
			{
				id: 'qs2',
				name: 'Send Slice',
				type: BULK_SEND,
				typeVersion: 1,
				position: [220, 300],
				parameters: {
					resource: 'campaign',
					operation: 'start',
					campaignId: '={{ $json.body.campaignId }}',
					runOptions: { timeBudget: SLICE_SECONDS, batchSize: 500 },
					throttling,
					shareRateLimit: true,
					rateLimitKey: RATE_LIMIT_KEY,
				},
				credentials,
			},
		],
		connections: {
			'Create Request': { main: [[{ node: 'Create Campaign', type: 'main', index: 0 }]] },
			'Slice Request': { main: [[{ node: 'Send Slice', type: 'main', index: 0 }]] },
		},
		settings: {},
	};
}


describe('n8n queue mode: one main, two workers, one shared send rate', () => {
	let smtp: TestSmtpServer;
	let fixture: StoreFixture;
	let n8n: N8nInstance;
	let workers: N8nWorker[] = [];

	beforeAll(async () => {
		smtp = await startSmtpServer({ keepRaw: false });
		fixture = storeFixture('postgres');
		const store: SqlSubscriberStore = await fixture.open();
		try {
			const list = await store.createList({ name: 'Queue readers' }, actor);
			for (let offset = 0; offset < RECIPIENTS; offset += 5000) {
				const rows = Array.from({ length: 5000 }, (_, k) => ({
					email: email(offset + k),
					name: `Reader ${offset + k}`,
				}));
				const result = await store.bulkUpsert(list.id, rows, {}, actor);
				expect(result.created).toBe(rows.length);
			}
		} finally {
			await store.close();
		}

		n8n = await createN8nInstance({
			dbType: 'postgres',
			env: {
				EXECUTIONS_MODE: 'queue',
				QUEUE_BULL_REDIS_HOST: REDIS.host,
				QUEUE_BULL_REDIS_PORT: String(REDIS.port),
				QUEUE_BULL_REDIS_DB: String(REDIS_DB),
				QUEUE_BULL_PREFIX: BULL_PREFIX,
				N8N_REDIS_KEY_PREFIX: BULL_PREFIX,
			},
		});
		const schema = fixture.config.backend === 'postgres' ? fixture.config.schema : '';
		// every n8n CLI command boots n8n: import credentials and the workflow side by side
		const importCredentials = n8n.importCredentials([
			{
				...credentials.bulkMailSmtpApi,
				type: 'bulkMailSmtpApi',
				data: { host: smtp.host, port: smtp.port, security: 'none', allowPlain: true, ehloName: 'n8n.test' },
			},
			{
				...credentials.bulkMailSubscriberStoreApi,
				type: 'bulkMailSubscriberStoreApi',
				data: {
					backend: 'postgres',
					...PG_CONNECTION,
					ssl: 'disable',
					schema,
					publicBaseUrl: BASE_URL,
					signingSecret: SIGNING_SECRET,
				},
			},
			{
				...credentials.bulkMailRedisApi,
				type: 'bulkMailRedisApi',
				data: { host: REDIS.host, port: REDIS.port, db: REDIS_DB },
			},
		]);
		await Promise.all([importCredentials, n8n.importWorkflow(campaignWorkflow('wfQueueCamp1'))]);
		await n8n.publish('wfQueueCamp1');
		const [, ...started] = await Promise.all([
			n8n.start({ timeoutMs: 180_000 }),
			...Array.from({ length: WORKERS }, () =>
				n8n.startWorker({ concurrency: WORKER_CONCURRENCY, timeoutMs: 180_000 }),
			),
		]);
		workers = started as N8nWorker[];
		// Rates are timed at the SMTP server in this process: keep it and the senders from being
		// starved by unrelated load (as the limiter's own rate test does; ignored when not allowed).
		for (const pid of [process.pid, ...workers.map((worker) => worker.pid)]) {
			try {
				os.setPriority(pid, -10);
			} catch {
				// not allowed: measure at normal priority
			}
		}
		await n8n.waitForWebhook(CREATE_PATH);
		await n8n.waitForWebhook(SLICE_PATH);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await smtp?.close();
		await fixture?.cleanup();
		const redis = new IORedis({ host: REDIS.host, port: REDIS.port, db: REDIS_DB });
		try {
			await deleteRedisKeys(redis, `${BULL_PREFIX}*`);
			await deleteRedisKeys(redis, `b_bulkmail:${RATE_LIMIT_KEY}*`);
		} finally {
			redis.disconnect();
		}
	});

	async function post(webhookPath: string, body: unknown): Promise<Record<string, unknown>> {
		const response = await fetch(n8n.webhookUrl(webhookPath), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(180_000),
		});
		const text = await response.text();
		if (!response.ok) {
			throw new Error(`POST ${webhookPath} answered ${response.status}: ${text}\n${n8n.logs().slice(-4000)}`);
		}
		return JSON.parse(text) as Record<string, unknown>;
	}

	it('sends a 50,000-recipient campaign on both workers: everyone once, within the shared rate', async () => {
		const created = await post(CREATE_PATH, {});
		expect(created).toMatchObject({ name: 'Queue-mode newsletter', status: 'draft' });
		const campaignId = String(created.id);

		const summaries: Array<Record<string, unknown>> = [];
		let finished = false;
		// twice the time the campaign needs at the limit
		const deadline = Date.now() + (RECIPIENTS / RATE) * 2000;
		const lane = async () => {
			while (!finished && Date.now() < deadline) {
				const summary = await post(SLICE_PATH, { campaignId });
				summaries.push(summary);
				if (summary.status === 'finished') finished = true;
				// the other runs hold what is left: ask again a little later
				else if (summary.outcome === 'drained') await new Promise((resolve) => setTimeout(resolve, 500));
			}
		};
		await Promise.all(Array.from({ length: IN_FLIGHT_REQUESTS }, lane));
		if (!finished) {
			throw new Error(
				`the campaign did not finish in time: ${smtp.messages.length} of ${RECIPIENTS} messages arrived ` +
					`through ${summaries.length} slice executions`,
			);
		}

		// Every slice ended cleanly; together they sent every recipient once.
		for (const summary of summaries) {
			expect(['stopped', 'finished', 'drained']).toContain(summary.outcome);
			expect(summary).toMatchObject({ failedThisRun: 0, unknownThisRun: 0, skippedThisRun: 0 });
		}
		const sentBySlices = summaries.reduce((sum, summary) => sum + Number(summary.sentThisRun), 0);
		expect(sentBySlices).toBe(RECIPIENTS);

		// What the SMTP server received: every subscriber exactly once, nobody else.
		expect(smtp.messages).toHaveLength(RECIPIENTS);
		const received = new Map<string, number>();
		for (const message of smtp.messages) {
			expect(message.to).toHaveLength(1);
			received.set(message.to[0], (received.get(message.to[0]) ?? 0) + 1);
		}
		expect(received.size).toBe(RECIPIENTS);
		for (let i = 0; i < RECIPIENTS; i++) {
			if (received.get(email(i)) !== 1) {
				throw new Error(`${email(i)} received ${received.get(email(i)) ?? 0} messages, not 1`);
			}
		}

		// The campaign's send log agrees: one `sent` row per subscriber, with the same addresses.
		const store = await fixture.open();
		let owners: Map<string, number>;
		try {
			const states = await store.sql.all(
				'SELECT state, COUNT(*) AS n FROM send_log WHERE campaign_id = ? GROUP BY state',
				[campaignId],
			);
			expect(states.map((row) => [row.state, Number(row.n)])).toEqual([['sent', RECIPIENTS]]);
			const logged = await store.sql.all(
				`SELECT s.email, l.owner FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id
				 WHERE l.campaign_id = ?`,
				[campaignId],
			);
			expect(logged).toHaveLength(RECIPIENTS);
			owners = new Map();
			for (const row of logged) {
				if (received.get(String(row.email)) !== 1) {
					throw new Error(`the send log has ${String(row.email)}, which the SMTP server did not receive once`);
				}
				// owner = host:pid:run — the process that ran the slice
				const pid = String(row.owner).split(':')[1];
				owners.set(pid, (owners.get(pid) ?? 0) + 1);
			}
			const campaign = await store.sql.get('SELECT status, sent, failed, unknown FROM campaigns WHERE id = ?', [
				campaignId,
			]);
			expect(campaign).toMatchObject({ status: 'finished' });
			expect([campaign?.sent, campaign?.failed, campaign?.unknown].map(Number)).toEqual([RECIPIENTS, 0, 0]);
		} finally {
			await store.close();
		}

		// Both workers ran slices, and only workers did (the main only queued them).
		const workerPids = workers.map((worker) => String(worker.pid)).sort();
		expect([...owners.keys()].sort()).toEqual(workerPids);
		for (const pid of workerPids) expect(owners.get(pid)!).toBeGreaterThan(RECIPIENTS * 0.1);
		for (const worker of workers) expect(worker.logs()).toMatch(/Worker started execution \d+/);

		// One shared rate: the busiest second across both workers stays within the limit, and the
		// campaign as a whole ran close to it.
		const arrivals = smtp.messages.map((message) => message.receivedAt).sort((a, b) => a - b);
		const busiestSecond = maxInAnyWindow(arrivals, 1000);
		const seconds = (arrivals[arrivals.length - 1] - arrivals[0]) / 1000;
		const average = (RECIPIENTS - 1) / seconds;
		process.stderr.write(
			`[queue mode] ${RECIPIENTS} messages in ${seconds.toFixed(1)} s by ${summaries.length} slice executions: ` +
				`average ${average.toFixed(0)} msg/s, busiest 1-s window ${busiestSecond} (limit ${RATE}/s), ` +
				`per worker ${JSON.stringify(Object.fromEntries(owners))}\n`,
		);
		expect(busiestSecond).toBeLessThanOrEqual(MAX_IN_ANY_SECOND);
		expect(average).toBeLessThanOrEqual(RATE);
		expect(average).toBeGreaterThan(RATE * MIN_AVERAGE_SHARE);
	});
});
