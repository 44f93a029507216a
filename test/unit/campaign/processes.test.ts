/**
 * Campaign runs in separate processes: two at once on one campaign, and one killed with
 * SIGKILL in the middle, then resumed — on SQLite (file locks) and PostgreSQL (row locks).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import {
	campaignStatus,
	createCampaign,
	runCampaign,
	type CampaignRunSummary,
} from '../../../lib/campaign';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpSettingsFor, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import {
	actor,
	addSubscribers,
	address,
	expectCountersMatchLog,
	logStates,
	receivedCounts,
	TEMPLATE,
} from './helpers';

jest.setTimeout(90_000);

const WORKER = path.join(__dirname, 'fixtures', 'campaignWorker.ts');

interface Worker {
	child: ChildProcessWithoutNullStreams;
	ready: Promise<void>;
	go(): void;
	/** Resolves with the summary (or null when killed) once the process exited. */
	done: Promise<{
		code: number | null;
		signal: NodeJS.Signals | null;
		summary: CampaignRunSummary | null;
		stderr: string;
	}>;
}

function startWorker(config: Record<string, unknown>): Worker {
	const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	let markReady: () => void = () => undefined;
	const ready = new Promise<void>((resolve) => {
		markReady = resolve;
	});
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
		if (stdout.includes('ready\n')) markReady();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const done = new Promise<Awaited<Worker['done']>>((resolve) => {
		child.on('exit', (code, signal) => {
			const last = stdout.trim().split('\n').pop() ?? '';
			let summary: CampaignRunSummary | null = null;
			try {
				summary = last.startsWith('{') ? (JSON.parse(last) as CampaignRunSummary) : null;
			} catch {
				summary = null;
			}
			resolve({ code, signal, summary, stderr });
		});
	});
	return { child, ready, go: () => child.stdin.write('go\n'), done };
}

describe.each(BACKENDS)('campaign runs in several processes on %s', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let server: TestSmtpServer;

	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
		server = await startSmtpServer({ keepRaw: false });
	});
	afterEach(async () => {
		await server.close();
		await store.close();
		await fixture.cleanup();
	});

	async function setup(count: number): Promise<string> {
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, count);
		const campaign = await createCampaign(
			store,
			{ name: 'Big news', listId: list.id, template: TEMPLATE },
			actor,
		);
		return campaign.id;
	}

	it('two processes running one campaign at once mail each recipient exactly once', async () => {
		const count = 3000;
		const campaignId = await setup(count);
		const config = {
			store: fixture.config,
			campaignId,
			smtp: smtpSettingsFor(server, { pool: { maxConnections: 3 } }),
			options: { batchSize: 100 },
		};
		const workers = [startWorker(config), startWorker(config)];
		await Promise.all(workers.map((w) => w.ready));
		for (const worker of workers) worker.go();
		const results = await Promise.all(workers.map((w) => w.done));
		for (const result of results) {
			expect(result.stderr).toBe('');
			expect(result.code).toBe(0);
		}
		const summaries = results.map((r) => r.summary!);
		expect(summaries[0].sentThisRun + summaries[1].sentThisRun).toBe(count);
		// both took part (they started together; each claims 100 at a time)
		expect(summaries[0].sentThisRun).toBeGreaterThan(0);
		expect(summaries[1].sentThisRun).toBeGreaterThan(0);
		const counts = receivedCounts(server);
		expect(counts.size).toBe(count);
		for (let i = 0; i < count; i++) expect(counts.get(address(i))).toBe(1);
		const status = await campaignStatus(store, campaignId);
		expect(status.campaign.status).toBe('finished');
		expect(status.counters).toMatchObject({ sent: count, failed: 0, unknown: 0 });
		await expectCountersMatchLog(store, campaignId);
	});

	it('after kill -9 mid-campaign a re-run sends no duplicates and everyone else exactly once', async () => {
		const count = 5000;
		const campaignId = await setup(count);
		const leaseMs = 1500;
		const worker = startWorker({
			store: fixture.config,
			campaignId,
			smtp: smtpSettingsFor(server),
			options: { batchSize: 200, leaseMs },
		});
		await worker.ready;
		worker.go();
		await new Promise<void>((resolve, reject) => {
			const timer = setInterval(() => {
				if (server.messages.length >= 1500) {
					clearInterval(timer);
					worker.child.kill('SIGKILL');
					resolve();
				}
			}, 5);
			worker.done.then((result) => {
				clearInterval(timer);
				reject(new Error(`the worker ended before it was killed: ${result.stderr}`));
			}, reject);
		});
		const killed = await worker.done;
		expect(killed.signal).toBe('SIGKILL');
		const receivedBeforeRerun = server.messages.length;
		expect(receivedBeforeRerun).toBeLessThan(count);
		const before = await logStates(store, campaignId);
		const inFlightAtDeath = before.sending ?? 0;

		// the dead run's leases lapse; then a new run takes over
		await new Promise((resolve) => setTimeout(resolve, leaseMs + 200));
		const rerun = await runCampaign(store, campaignId, { smtp: smtpSettingsFor(server) });
		expect(rerun.outcome).toBe('finished');
		expect(rerun.recoveredUnknown).toBe(inFlightAtDeath);
		// only the dead run's in-flight window can be unknown
		expect(rerun.recoveredUnknown).toBeLessThanOrEqual(rerun.inFlightWindow);

		const states = await logStates(store, campaignId);
		expect(states).toEqual({
			sent: count - inFlightAtDeath,
			...(inFlightAtDeath ? { unknown: inFlightAtDeath } : {}),
		});
		const counts = receivedCounts(server);
		const unknownRows = await store.sql.all(
			"SELECT s.email FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id WHERE l.campaign_id = ? AND l.state = 'unknown'",
			[campaignId],
		);
		const unknownEmails = new Set(unknownRows.map((r) => String(r.email)));
		for (let i = 0; i < count; i++) {
			const received = counts.get(address(i)) ?? 0;
			if (unknownEmails.has(address(i))) expect(received).toBeLessThanOrEqual(1);
			else expect(received).toBe(1);
		}
		expect(Math.max(...counts.values())).toBe(1);
		const status = await campaignStatus(store, campaignId);
		expect(status.campaign.status).toBe('finished');
		await expectCountersMatchLog(store, campaignId);
	});
});
