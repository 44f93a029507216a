/**
 * The Bounce Webhook load shared by bench:events and bench:report's ingestion figure: SendGrid-
 * style signed requests of a realistic event mix (10 % re-sent duplicates) posted by a separate
 * load process (this file with `--load`, started by LoadProcess), and the seeded campaign the
 * events belong to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sign } from 'node:crypto';
import http from 'node:http';
import { createCampaign } from '../lib/campaign';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import { seeded } from '../test/helpers/random';

const DUPLICATE_EVERY = 10; // every 10th event re-sends an earlier one
const CONCURRENCY = 16;
export const SUBSCRIBERS = 5_000;
const actor = { type: 'bench' };

export interface LoadJob {
	url: string;
	/** PEM private key to sign with (SendGrid scheme). */
	key: string;
	requests: number;
	eventsPerRequest: number;
	/** Prefix of the event ids (distinct per phase and target). */
	prefix: string;
	recipients: Array<{ id: string; email: string }>;
	campaignId: string;
}

export interface LoadResult {
	requests: number;
	events: number;
	duplicatesSent: number;
	distinctSent: number;
	ok: number;
	retried: number;
	failed: number;
	duplicatesReported: number;
	recordedReported: number;
	elapsedMs: number;
	p50Ms: number;
	p95Ms: number;
}

const KIND_MIX: Array<[number, (ts: number) => Record<string, unknown>]> = [
	[60, () => ({ event: 'delivered', response: '250 2.0.0 OK' })],
	[20, () => ({ event: 'open' })],
	[8, () => ({ event: 'click', url: 'https://shop.example.net/offer' })],
	[4, () => ({ event: 'deferred', response: '421 4.7.0 try again later' })],
	[3, () => ({ event: 'bounce', type: 'bounce', bounce_classification: 'Technical', status: '4.4.2', reason: '421 4.4.2 timeout' })],
	[3, () => ({ event: 'bounce', type: 'bounce', status: '5.1.1', reason: '550 5.1.1 no such user' })],
	[1.5, () => ({ event: 'spamreport' })],
	[0.5, () => ({ event: 'unsubscribe' })],
];
const MIX_TOTAL = KIND_MIX.reduce((sum, [weight]) => sum + weight, 0);


/** The request bodies of a phase: every DUPLICATE_EVERY-th event re-sends an earlier one. */
function buildBodies(job: LoadJob): { bodies: string[]; duplicates: number; distinct: number } {
	const random = seeded(job.prefix.split('').reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
	const sent: Array<Record<string, unknown>> = [];
	const bodies: string[] = [];
	let duplicates = 0;
	let slot = 0;
	const ts = Math.floor(Date.now() / 1000);
	for (let r = 0; r < job.requests; r++) {
		const records: Array<Record<string, unknown>> = [];
		for (let e = 0; e < job.eventsPerRequest; e++, slot++) {
			if (slot % DUPLICATE_EVERY === DUPLICATE_EVERY - 1 && sent.length > 0) {
				records.push(sent[Math.floor(random() * sent.length)]);
				duplicates++;
				continue;
			}
			const who = job.recipients[Math.floor(random() * job.recipients.length)];
			let pick = random() * MIX_TOTAL;
			let make = KIND_MIX[0][1];
			for (const [weight, builder] of KIND_MIX) {
				if ((pick -= weight) < 0) {
					make = builder;
					break;
				}
			}
			const record = {
				email: who.email,
				timestamp: ts,
				sg_event_id: `${job.prefix}-${slot}`,
				sg_message_id: `msg-${who.id}.filter0001`,
				'X-Bulk-Mail-Campaign': job.campaignId,
				'X-Bulk-Mail-Subscriber': who.id,
				...make(ts),
			};
			sent.push(record);
			records.push(record);
		}
		bodies.push(JSON.stringify(records));
	}
	return { bodies, duplicates, distinct: sent.length };
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
	const { bodies, duplicates, distinct } = buildBodies(job);
	const target = new URL(job.url);
	const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
	const latencies: number[] = [];
	let ok = 0;
	let failed = 0;
	let retried = 0;
	let duplicatesReported = 0;
	let recordedReported = 0;

	const post = (body: string): Promise<{ status: number; text: string }> =>
		new Promise((resolve, reject) => {
			const timestamp = String(Math.floor(Date.now() / 1000));
			const signature = sign('sha256', Buffer.from(timestamp + body), { key: job.key, dsaEncoding: 'der' }).toString('base64');
			const request = http.request(
				{
					host: target.hostname,
					port: target.port,
					path: target.pathname,
					method: 'POST',
					agent,
					headers: {
						'content-type': 'application/json',
						'content-length': Buffer.byteLength(body),
						'x-twilio-email-event-webhook-signature': signature,
						'x-twilio-email-event-webhook-timestamp': timestamp,
					},
					timeout: 60_000,
				},
				(response) => {
					const chunks: Buffer[] = [];
					response.on('data', (chunk: Buffer) => chunks.push(chunk));
					response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
					response.on('error', reject);
				},
			);
			request.on('timeout', () => request.destroy(new Error('timed out')));
			request.on('error', reject);
			request.end(body);
		});

	let next = 0;
	const started = process.hrtime.bigint();
	const worker = async () => {
		for (;;) {
			const index = next++;
			if (index >= bodies.length) return;
			const begin = process.hrtime.bigint();
			for (let attempt = 1; ; attempt++) {
				let answer: { status: number; text: string } | null = null;
				try {
					answer = await post(bodies[index]);
				} catch {
					answer = null;
				}
				if (answer && answer.status >= 200 && answer.status < 300) {
					ok++;
					if (answer.text.startsWith('{"ok"')) {
						const parsed = JSON.parse(answer.text) as { duplicates?: number; recorded?: number };
						duplicatesReported += parsed.duplicates ?? 0;
						recordedReported += parsed.recorded ?? 0;
					}
					break;
				}
				if (attempt >= 4) {
					failed++;
					break;
				}
				retried++;
				await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
			}
			latencies.push(Number(process.hrtime.bigint() - begin) / 1e6);
		}
	};
	await Promise.all(Array.from({ length: CONCURRENCY }, worker));
	const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
	agent.destroy();
	latencies.sort((a, b) => a - b);
	const percentile = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] * 10) / 10;
	return {
		requests: bodies.length,
		events: bodies.length * job.eventsPerRequest,
		duplicatesSent: duplicates,
		distinctSent: distinct,
		ok,
		retried,
		failed,
		duplicatesReported,
		recordedReported,
		elapsedMs: Math.round(elapsedMs),
		p50Ms: percentile(0.5),
		p95Ms: percentile(0.95),
	};
}

/**
 * The load process: eventsLoad.ts with `--load`, started once; it runs the jobs it is sent over IPC
 * and answers each with its LoadResult, so generating and signing requests never competes
 * with the measuring process.
 */
export class LoadProcess {
	private readonly child: ChildProcess;
	private pending: { resolve: (result: LoadResult) => void; reject: (error: Error) => void } | null = null;

	constructor() {
		this.child = spawn(process.execPath, ['--import', 'tsx', __filename, '--load'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
		this.child.on('message', (message: LoadResult | { error: string }) => {
			const pending = this.pending;
			this.pending = null;
			if ('error' in message) pending?.reject(new Error(`load process: ${message.error}`));
			else pending?.resolve(message);
		});
		this.child.on('exit', (code) => this.pending?.reject(new Error(`load process exited with ${code}`)));
	}

	run(job: LoadJob): Promise<LoadResult> {
		return new Promise((resolve, reject) => {
			this.pending = { resolve, reject };
			this.child.send(job);
		});
	}

	stop(): void {
		if (this.child.connected) this.child.disconnect();
	}
}

/** Adds up the results of the blocks of one phase against one target. */
export function combine(results: LoadResult[]): LoadResult {
	const sum = (key: keyof LoadResult) => results.reduce((total, result) => total + result[key], 0);
	return {
		requests: sum('requests'),
		events: sum('events'),
		duplicatesSent: sum('duplicatesSent'),
		distinctSent: sum('distinctSent'),
		ok: sum('ok'),
		retried: sum('retried'),
		failed: sum('failed'),
		duplicatesReported: sum('duplicatesReported'),
		recordedReported: sum('recordedReported'),
		elapsedMs: sum('elapsedMs'),
		p50Ms: Math.max(...results.map((result) => result.p50Ms)),
		p95Ms: Math.max(...results.map((result) => result.p95Ms)),
	};
}

export async function seed(store: SqlSubscriberStore): Promise<{ campaignId: string; recipients: Array<{ id: string; email: string }> }> {
	const list = await store.createList({ name: 'Bench readers' }, actor);
	const rows = Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `reader${i}@example${i % 50}.org`, name: `Reader ${i}` }));
	await store.bulkUpsert(list.id, rows, {}, actor);
	const recipients: Array<{ id: string; email: string }> = [];
	for (let cursor: string | null = null; ; ) {
		const page = await store.getSubscribers({ listId: list.id }, { limit: 5000, cursor });
		recipients.push(...page.items.map((s) => ({ id: s.id, email: s.email })));
		if (!(cursor = page.next)) break;
	}
	const campaign = await createCampaign(
		store,
		{ name: 'Bench campaign', listId: list.id, template: { subject: 'Hi', html: '<p>Hi</p>', from: 'news@sender.example' } },
		actor,
	);
	const at = new Date().toISOString();
	await store.sql.transaction(async (tx) => {
		for (const recipient of recipients) {
			await tx.run("INSERT INTO send_log (campaign_id, subscriber_id, state, updated_at) VALUES (?, ?, 'sent', ?)", [
				campaign.id,
				recipient.id,
				at,
			]);
		}
		await tx.run("UPDATE campaigns SET status = 'running', started_at = ?, sent = ? WHERE id = ?", [at, recipients.length, campaign.id]);
	});
	return { campaignId: campaign.id, recipients };
}

if (process.argv[2] === '--load') {
	process.on('message', (job: LoadJob) => {
		runLoad(job).then(
			(result) => process.send?.(result),
			(error) => process.send?.({ error: String(error?.stack ?? error) }),
		);
	});
	process.on('disconnect', () => process.exit(0));
}
