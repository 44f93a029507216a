/**
 * The Bounce Webhook's batched ingestion in real n8n 2.40.7 with the campaign event history
 * recorded and without it — the figure issue #18 sets ("recording events does not slow the
 * Bounce Webhook's batched ingestion by more than 10 %; compare with bench:events before and
 * after, same run"). bench:report runs it per backend and prints its ingestSlowdownPct.
 *
 * Two n8n instances side by side, identical but for BULK_MAIL_BENCH_EVENT_HISTORY=off in the
 * second (its stores record no history: the webhook's path as before the history existed), each
 * with its own store (a SQLite file in its user folder, or a PostgreSQL schema) seeded alike
 * (bench/eventsLoad.ts: 5,000 recipients of a running campaign). Then bench:events' batched
 * phase — requests of 48 SendGrid-signed events, a realistic mix with 10 % re-sent duplicates,
 * 16 keep-alive clients — in blocks that alternate between the two, so the machine's other work
 * hits both alike. Prints one JSON line:
 *   {"store","requests","withHistoryEventsPerSec","withoutHistoryEventsPerSec","ingestSlowdownPct",
 *    "failedRequests","lost"}
 * ingestSlowdownPct = (events/s without ÷ events/s with − 1) × 100. lost: distinct events sent
 * to a target and not in its store (must be 0).
 *
 *   node --import tsx bench/ingestHistory.bench.ts [--store=postgres] [--requests=600]
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { openStore, type StoreConfig } from '../lib/store/openStore';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import { PG_CONNECTION, storeFixture } from '../test/helpers/stores';
import { bounceWorkflow, registerBounceWebhook } from '../test/n8n/bounceWebhookHelpers';
import { createN8nInstance, type N8nInstance } from '../test/n8n/harness';
import { combine, LoadProcess, seed, type LoadJob, type LoadResult } from './eventsLoad';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const BACKEND = arg('store') === 'postgres' ? 'postgres' : 'sqlite';
const REQUESTS = Number(arg('requests') ?? 600);
const BATCH_SIZE = 48;
const BLOCKS = 10;
const WARMUP_REQUESTS = 20;
const HOOK = '7c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5';
const SIGNING_SECRET = 'bench-link-secret-of-32-chars!!!';

function log(message: string): void {
	process.stderr.write(`[bench:ingest-history] ${message}\n`);
}

interface Target {
	label: 'with' | 'without';
	n8n: N8nInstance;
	store: SqlSubscriberStore;
	url: string;
	campaignId: string;
	recipients: Array<{ id: string; email: string }>;
	cleanup(): Promise<void>;
}

/** One n8n with a Bounce Webhook (SendGrid) on a store of its own, seeded and published. */
async function startTarget(label: Target['label'], publicKey: string): Promise<Target> {
	const pgFixture = BACKEND === 'postgres' ? storeFixture('postgres') : undefined;
	const n8n = await createN8nInstance({ dbType: 'sqlite', env: label === 'without' ? { BULK_MAIL_BENCH_EVENT_HISTORY: 'off' } : {} });
	let store: SqlSubscriberStore | undefined;
	try {
		registerBounceWebhook(n8n);
		const schema = pgFixture ? (pgFixture.config as { schema: string }).schema : '';
		const storeData = BACKEND === 'sqlite' ? { backend: 'sqlite', file: 'bench.sqlite' } : { backend: 'postgres', ...PG_CONNECTION, ssl: 'disable', schema };
		await n8n.importCredentials([
			{ id: 'storeCred1', name: 'storeCred1', type: 'bulkMailSubscriberStoreApi', data: { ...storeData, signingSecret: SIGNING_SECRET } },
			{ id: 'bounceCred1', name: 'bounceCred1', type: 'bulkMailBounceWebhookApi', data: { sendgridPublicKey: publicKey } },
		]);
		await n8n.importWorkflow([bounceWorkflow('wfIngest', [{ name: 'Bounce Webhook', webhookId: HOOK, provider: 'sendgrid' }])]);
		await n8n.publish('wfIngest');
		const config: StoreConfig =
			BACKEND === 'sqlite' ? { backend: 'sqlite', file: 'bench.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') } : pgFixture!.config;
		store = (await openStore(config)) as SqlSubscriberStore;
		const { campaignId, recipients } = await seed(store);
		await n8n.start();
		await n8n.waitForWebhook(`${HOOK}/events`);
		const opened = store;
		return {
			label,
			n8n,
			store: opened,
			url: n8n.webhookUrl(`${HOOK}/events`),
			campaignId,
			recipients,
			cleanup: async () => {
				await opened.close();
				await n8n.cleanup();
				await pgFixture?.cleanup();
			},
		};
	} catch (error) {
		await store?.close();
		await n8n.cleanup();
		await pgFixture?.cleanup();
		throw error;
	}
}

async function main(): Promise<void> {
	const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
	const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
	const publicKey = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
	log(`starting two n8n instances (store: ${BACKEND}), one with the event history switched off`);
	const targets: Target[] = [];
	const load = new LoadProcess();
	try {
		targets.push(await startTarget('with', publicKey));
		targets.push(await startTarget('without', publicKey));
		const job = (target: Target, prefix: string, requests: number): LoadJob => ({
			url: target.url,
			key: privateKey,
			requests,
			eventsPerRequest: BATCH_SIZE,
			prefix,
			recipients: target.recipients,
			campaignId: target.campaignId,
		});
		for (const target of targets) await load.run(job(target, `warm-${target.label}`, WARMUP_REQUESTS));
		const parts: Record<Target['label'], LoadResult[]> = { with: [], without: [] };
		for (let block = 0; block < BLOCKS; block++) {
			const size = Math.floor(REQUESTS / BLOCKS) + (block < REQUESTS % BLOCKS ? 1 : 0);
			// the same event stream for both in each block (same prefix), in alternating order
			for (const target of block % 2 ? [...targets].reverse() : targets) {
				parts[target.label].push(await load.run(job(target, `ih-${block}`, size)));
			}
		}
		const rate = (result: LoadResult) => result.events / (result.elapsedMs / 1000);
		const withHistory = combine(parts.with);
		const withoutHistory = combine(parts.without);
		let lost = 0;
		for (const target of targets) {
			const sent = combine(parts[target.label]).distinctSent;
			const stored = Number((await target.store.sql.get("SELECT COUNT(*) AS n FROM processed_events WHERE event_id LIKE 'sendgrid:ih-%'"))?.n ?? 0);
			lost += sent - stored;
		}
		const events = Number((await targets[0].store.sql.get('SELECT COUNT(*) AS n FROM campaign_events'))?.n ?? 0);
		const eventsOff = Number((await targets[1].store.sql.get('SELECT COUNT(*) AS n FROM campaign_events'))?.n ?? 0);
		log(`history rows: ${events} with, ${eventsOff} without; ${Math.round(rate(withHistory))} vs ${Math.round(rate(withoutHistory))} events/s`);
		if (events === 0 || eventsOff !== 0) throw new Error('the history switch did not take effect: the comparison would be meaningless');
		const round1 = (value: number) => Math.round(value * 10) / 10;
		process.stdout.write(
			`${JSON.stringify({
				store: BACKEND,
				requests: withHistory.requests,
				withHistoryEventsPerSec: Math.round(rate(withHistory)),
				withoutHistoryEventsPerSec: Math.round(rate(withoutHistory)),
				ingestSlowdownPct: round1((rate(withoutHistory) / rate(withHistory) - 1) * 100),
				failedRequests: withHistory.failed + withoutHistory.failed,
				lost,
			})}\n`,
		);
	} finally {
		load.stop();
		for (const target of targets) await target.cleanup();
	}
}

main().catch((error) => {
	process.stderr.write(`[bench:ingest-history] FAILED: ${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(1);
});
