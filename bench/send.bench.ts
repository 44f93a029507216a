/**
 * Send benchmark (issue 5), against Postfix's smtp-sink on loopback, 5 pooled connections and
 * the same 4 KB HTML message throughout (rendered by the Compose engine: HTML + derived text
 * part, List/correlation headers). Every measurement runs in its own child process (a bundle
 * of this file made with esbuild, so memory is that of compiled JavaScript, as in n8n):
 *
 * - rawNodemailerPerSec: a plain loop over one pooled nodemailer transport (20 in flight),
 *   100,000 copies of the prebuilt message;
 * - perMessageTransportPerSec: a new transport per message, one after the other (what n8n's
 *   Send Email node does), 10,000;
 * - itemModePerSec: lib/send sendMessages (item mode, as the node runs it), 100,000, unlimited;
 * - campaignModePerSec: lib/campaign runCampaign on a SQLite store of 100,000 subscribers,
 *   composing each message, unlimited; its child's peak RSS is campaignPeakRssMb100k;
 * - campaignPeakRssMb1M: the same for 1,000,000 subscribers;
 * - rateLimitErrorPct, maxSendsInAnySecond: a campaign with a 200 msg/s limit and a 30 s time
 *   budget; the start time of every SMTP send is recorded: the achieved rate's deviation from
 *   200/s (in %) and the most sends in any 1-second window.
 *
 * The last line is one JSON object with those keys (the n8n* keys are filled by the n8n
 * benchmark; null here). Details and target verdicts go to stderr. With --results=FILE the
 * object (and every child's figures) goes to FILE instead, for bench/send-n8n.bench.ts
 * --engine-results=FILE to merge: `npm run bench:send` runs both and prints one object last.
 *
 *   node scripts/run-bench.js bench/send.bench.ts [--only=raw,perMessage,item,campaign,rate,rss1m]
 *     [--scale=0.1]   (fewer messages everywhere, for a quick look) [--results=FILE]
 *     [--node-flags="--max-semi-space-size=16"]   (V8 flags for the children)
 *
 * What the campaign's peak RSS is made of (measured with heaptrack and /proc/self/smaps): about
 * 60 MB of the node binary, the V8 heap — mostly the young generation, which V8 grows to 64 MB
 * semi-spaces on a machine this size and whose pages come into memory as a long run cycles
 * through them (newSpaceResidentMb) — and 30–40 MB of malloc. The campaign's retained data
 * (old space) is the same at 100k and 1M. Each message allocates one Buffer (its raw bytes):
 * intermediate Buffers, freed only at the next garbage collection, once held 50+ MB of malloc
 * at a time and made the 1M run's RSS 1.26–1.30× the 100k run's.
 *
 * Seeded stores are cached in bench/.data/ (gitignored) and copied for each run.
 */
import { spawn } from 'node:child_process';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { createCampaign, runCampaign } from '../lib/campaign';
import { compileTemplate, toSendMailOptions } from '../lib/compose';
import {
	createPooledTransport,
	sendMessages,
	type OutgoingMessage,
	type SmtpSettings,
} from '../lib/send';
import { openStore } from '../lib/store';
import type { SqlSubscriberStore } from '../lib/store/sqlStore';
import { startSmtpSink } from '../test/helpers/smtpSink';

const DATA_DIR = path.basename(__dirname) === '.data' ? __dirname : path.join(__dirname, '.data');
const CONNECTIONS = 5;
const IN_FLIGHT = CONNECTIONS * 4;
const SEED_VERSION = 1;
/** Seconds the rate run may take to start sending (open the store, claim the first batch). */
const RATE_STARTUP_ALLOWANCE_S = 10;
const actor = { type: 'bench' };

function argument(name: string): string | undefined {
	const prefix = `--${name}=`;
	return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** V8 flags for the children (--node-flags="…"), e.g. to fix the young generation's size. */
const nodeFlags = argument('node-flags')?.split(' ').filter(Boolean) ?? [];

// ------------------------------------------------------------------ the message

const FILLER =
	'<p style="margin:0 0 12px;line-height:1.5;font-family:Arial,sans-serif;color:#333333">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.</p>\n';

/** A 4 KB HTML newsletter with one merge field. */
export function benchTemplate() {
	let html =
		'<!doctype html><html><head><meta charset="utf-8"><title>Spring news</title></head>' +
		'<body style="margin:0;padding:24px;background:#f4f4f4">\n<h1 style="font-size:22px">Hello {{ name }},</h1>\n' +
		'<p><a href="https://shop.example.com/spring">See the spring collection</a></p>\n';
	while (html.length < 4000) html += FILLER;
	html += '</body></html>';
	return { subject: 'Spring news for {{ name }}', html, from: 'Shop News <news@sender.example>' };
}

function prebuiltMessage(): SendMailOptions {
	const composed = compileTemplate(benchTemplate()).render(
		{ id: '1', email: 'reader@example.org', name: 'Reader 1' },
		{ campaignId: '1' },
	);
	return toSendMailOptions(composed);
}

function sinkSettings(port: number): SmtpSettings {
	return {
		host: '127.0.0.1',
		port,
		security: 'none',
		ehloName: 'bench.test',
		pool: { maxConnections: CONNECTIONS },
	};
}

// ------------------------------------------------------------------ child measurements

interface ChildResult {
	kind: string;
	messages: number;
	perSec: number;
	durationMs: number;
	cpuMs: number;
	peakRssMb: number;
	newSpaceMb: number;
	/** Largest part of the young generation actually in memory (its pages in use). */
	newSpaceResidentMb: number;
	oldSpaceMb: number;
	extra?: Record<string, unknown>;
}

function heapSampler() {
	const spaces = { new: 0, newResident: 0, old: 0 };
	const timer = setInterval(() => {
		for (const space of v8.getHeapSpaceStatistics()) {
			if (space.space_name === 'new_space') {
				spaces.new = Math.max(spaces.new, space.space_size);
				spaces.newResident = Math.max(spaces.newResident, space.physical_space_size);
			}
			if (space.space_name === 'old_space') spaces.old = Math.max(spaces.old, space.space_size);
		}
	}, 100);
	return {
		stop: () => {
			clearInterval(timer);
			return spaces;
		},
	};
}

async function measure(
	kind: string,
	messages: number,
	work: () => Promise<Record<string, unknown> | void>,
): Promise<ChildResult> {
	const sampler = heapSampler();
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	const extra = (await work()) ?? undefined;
	const durationMs = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	const spaces = sampler.stop();
	return {
		kind,
		messages,
		perSec: Math.round(messages / (durationMs / 1000)),
		durationMs: Math.round(durationMs),
		cpuMs: Math.round((cpu.user + cpu.system) / 1000),
		// resourceUsage().maxRSS is the process's peak resident set size, in kilobytes
		peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
		newSpaceMb: Math.round(spaces.new / 1024 / 1024),
		newSpaceResidentMb: Math.round(spaces.newResident / 1024 / 1024),
		oldSpaceMb: Math.round(spaces.old / 1024 / 1024),
		...(extra ? { extra } : {}),
	};
}

async function childRaw(port: number, count: number): Promise<ChildResult> {
	const message = prebuiltMessage();
	const transport = nodemailer.createTransport({
		host: '127.0.0.1',
		port,
		pool: true,
		maxConnections: CONNECTIONS,
		ignoreTLS: true,
		name: 'bench.test',
	});
	try {
		return await measure('raw', count, async () => {
			let next = 0;
			let done = 0;
			let failed = 0;
			await new Promise<void>((resolve) => {
				const pump = () => {
					while (next < count && next - done < IN_FLIGHT) {
						const i = next++;
						transport
							.sendMail({ ...message, to: `reader${i}@example.org` })
							.catch(() => failed++)
							.finally(() => {
								done++;
								if (done === count) resolve();
								else pump();
							});
					}
				};
				pump();
			});
			if (failed) throw new Error(`${failed} raw sends failed`);
		});
	} finally {
		transport.close();
	}
}

async function childPerMessage(port: number, count: number): Promise<ChildResult> {
	const message = prebuiltMessage();
	return measure('perMessage', count, async () => {
		for (let i = 0; i < count; i++) {
			const transport = nodemailer.createTransport({
				host: '127.0.0.1',
				port,
				ignoreTLS: true,
				name: 'bench.test',
			});
			try {
				await transport.sendMail({ ...message, to: `reader${i}@example.org` });
			} finally {
				transport.close();
			}
		}
	});
}

async function childItem(port: number, count: number): Promise<ChildResult> {
	const message = prebuiltMessage();
	function* messages(): Generator<OutgoingMessage> {
		for (let i = 0; i < count; i++) yield { ...message, to: `reader${i}@example.org`, ref: i };
	}
	return measure('item', count, async () => {
		const report = await sendMessages(messages(), {
			smtp: sinkSettings(port),
			collectResults: false,
			breaker: false,
		});
		if (report.counts.sent !== count)
			throw new Error(`item mode sent ${report.counts.sent} of ${count}: ${report.message}`);
	});
}

async function openBenchStore(dir: string): Promise<SqlSubscriberStore> {
	return openStore({ backend: 'sqlite', file: 'bench.sqlite', baseDir: dir });
}

async function childCampaign(
	port: number,
	storeDir: string,
	campaignId: string,
	count: number,
): Promise<ChildResult> {
	const store = await openBenchStore(storeDir);
	try {
		return await measure('campaign', count, async () => {
			const summary = await runCampaign(store, campaignId, {
				smtp: sinkSettings(port),
				breaker: false,
			});
			if (summary.sentThisRun !== count || summary.outcome !== 'finished') {
				throw new Error(`the campaign sent ${summary.sentThisRun} of ${count}: ${summary.message}`);
			}
		});
	} finally {
		await store.close();
	}
}

async function childRate(
	port: number,
	storeDir: string,
	campaignId: string,
	seconds: number,
): Promise<ChildResult> {
	const store = await openBenchStore(storeDir);
	const smtp = sinkSettings(port);
	const transport = createPooledTransport(smtp);
	const starts: number[] = [];
	// every message reaches the pool's send(), prebuilt or composed by nodemailer's Mailer
	const pool = (transport as unknown as { transporter: { send: (...args: unknown[]) => unknown } })
		.transporter;
	const send = pool.send.bind(pool);
	pool.send = (...args: unknown[]) => {
		starts.push(performance.now());
		return send(...args);
	};
	try {
		let sent = 0;
		const result = await measure('rate', 0, async () => {
			const summary = await runCampaign(store, campaignId, {
				smtp,
				transport,
				limiter: { perSecond: 200 },
				// the run gets longer than the measured window: the rate is taken over `seconds` of
				// sending from the first send, not over the run's start-up (store, first claim)
				timeBudgetMs: (seconds + RATE_STARTUP_ALLOWANCE_S) * 1000,
				breaker: false,
			});
			sent = summary.sentThisRun;
		});
		const first = starts[0] ?? 0;
		const last = starts[starts.length - 1] ?? 0;
		if (last - first < (seconds - 1) * 1000) {
			throw new Error(
				`the rate run sent for ${Math.round(last - first)} ms only (${sent} messages): too few recipients or a stalled run`,
			);
		}
		const inWindow = starts.filter((t) => t - first < seconds * 1000).length;
		const rate = inWindow / seconds;
		let maxInSecond = 0;
		for (let i = 0, j = 0; i < starts.length; i++) {
			while (starts[i] - starts[j] >= 1000) j++;
			maxInSecond = Math.max(maxInSecond, i - j + 1);
		}
		result.messages = sent;
		result.extra = {
			achievedPerSec: Math.round(rate * 100) / 100,
			rateLimitErrorPct: Math.round((Math.abs(rate - 200) / 200) * 10000) / 100,
			maxSendsInAnySecond: maxInSecond,
		};
		return result;
	} finally {
		transport.close();
		await store.close();
	}
}

async function child(): Promise<void> {
	const kind = argument('child')!;
	const port = Number(argument('port'));
	const count = Number(argument('count') ?? 0);
	let result: ChildResult;
	switch (kind) {
		case 'raw':
			result = await childRaw(port, count);
			break;
		case 'perMessage':
			result = await childPerMessage(port, count);
			break;
		case 'item':
			result = await childItem(port, count);
			break;
		case 'campaign':
			result = await childCampaign(port, argument('store')!, argument('campaign')!, count);
			break;
		case 'rate':
			result = await childRate(
				port,
				argument('store')!,
				argument('campaign')!,
				Number(argument('seconds')),
			);
			break;
		default:
			throw new Error(`unknown child kind ${kind}`);
	}
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ------------------------------------------------------------------ parent

async function bundleChild(): Promise<string | null> {
	try {
		const esbuild = (await import('esbuild')) as typeof import('esbuild');
		const outfile = path.join(DATA_DIR, 'send-bench.cjs');
		await esbuild.build({
			entryPoints: [__filename],
			outfile,
			bundle: true,
			platform: 'node',
			format: 'cjs',
			target: 'node22',
			packages: 'external',
			logLevel: 'error',
		});
		return outfile;
	} catch (error) {
		console.error(`esbuild unavailable (${(error as Error).message}); children run through tsx`);
		return null;
	}
}

function runChild(bundle: string | null, args: string[]): Promise<ChildResult> {
	const argv = [...nodeFlags, ...(bundle ? [bundle] : ['--import', 'tsx', __filename]), ...args];
	return new Promise((resolve, reject) => {
		const proc = spawn(process.execPath, argv, {
			stdio: ['ignore', 'pipe', 'inherit'],
			env: process.env,
		});
		let output = '';
		proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
		proc.on('error', reject);
		proc.on('close', (code) => {
			const line = output.trim().split('\n').pop() ?? '';
			if (code !== 0 || !line.startsWith('{')) {
				reject(new Error(`bench child ${args.join(' ')} exited with ${code}: ${output.trim()}`));
				return;
			}
			resolve(JSON.parse(line) as ChildResult);
		});
	});
}

/** A SQLite store with `count` active subscribers, seeded once and cached; copied per run. */
async function seededStore(
	count: number,
): Promise<{ dir: string; campaignId: string; dispose: () => void }> {
	mkdirSync(DATA_DIR, { recursive: true });
	const seedDir = path.join(DATA_DIR, `send-seed-${count}`);
	const stamp = path.join(seedDir, 'seed.json');
	const wanted = JSON.stringify({ count, version: SEED_VERSION });
	if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
		rmSync(seedDir, { recursive: true, force: true });
		mkdirSync(seedDir, { recursive: true });
		const started = performance.now();
		const store = await openBenchStore(seedDir);
		const list = await store.createList({ name: 'Bench readers' }, actor);
		for (let from = 0; from < count; from += 10_000) {
			const rows = [];
			for (let i = from; i < Math.min(count, from + 10_000); i++) {
				rows.push({ email: `reader${i}@example.org`, name: `Reader ${i}` });
			}
			await store.bulkUpsert(list.id, rows, {}, actor);
		}
		await store.close();
		writeFileSync(stamp, wanted);
		console.error(
			`seeded ${count.toLocaleString('en-US')} subscribers in ${Math.round(performance.now() - started)} ms`,
		);
	}
	mkdirSync(path.join(DATA_DIR, 'stores'), { recursive: true });
	const dir = mkdtempSync(path.join(DATA_DIR, 'stores', 'send-'));
	copyFileSync(path.join(seedDir, 'bench.sqlite'), path.join(dir, 'bench.sqlite'));
	const store = await openBenchStore(dir);
	const list = (await store.getLists())[0];
	const campaign = await createCampaign(
		store,
		{ name: 'Bench campaign', listId: list.id, template: benchTemplate() },
		actor,
	);
	await store.close();
	return {
		dir,
		campaignId: campaign.id,
		dispose: () => rmSync(dir, { recursive: true, force: true }),
	};
}

async function main(): Promise<void> {
	const scale = Number(argument('scale') ?? 1);
	const only = argument('only')?.split(',');
	const wants = (name: string) => !only || only.includes(name);
	const n = (full: number) => Math.max(100, Math.round(full * scale));
	// a failed run must not leave an older run's figures for the n8n part to merge
	const resultsFile = argument('results');
	if (resultsFile) rmSync(resultsFile, { force: true });
	const bundle = await bundleChild();
	const sink = await startSmtpSink({ maxConcurrency: 256 });
	const port = String(sink.port);
	const results: Record<string, ChildResult> = {};
	const log = (label: string, result: ChildResult) =>
		console.error(`${label}: ${JSON.stringify(result)}`);
	try {
		console.error(
			`message: ${benchTemplate().html.length} bytes of HTML template; smtp-sink on port ${port}`,
		);
		if (wants('raw')) {
			results.raw = await runChild(bundle, [
				'--child=raw',
				`--port=${port}`,
				`--count=${n(100_000)}`,
			]);
			log('raw pooled nodemailer', results.raw);
		}
		if (wants('perMessage')) {
			results.perMessage = await runChild(bundle, [
				'--child=perMessage',
				`--port=${port}`,
				`--count=${n(10_000)}`,
			]);
			log('transport per message', results.perMessage);
		}
		if (wants('item')) {
			results.item = await runChild(bundle, [
				'--child=item',
				`--port=${port}`,
				`--count=${n(100_000)}`,
			]);
			log('item mode', results.item);
		}
		if (wants('campaign')) {
			const seeded = await seededStore(n(100_000));
			try {
				results.campaign = await runChild(bundle, [
					'--child=campaign',
					`--port=${port}`,
					`--store=${seeded.dir}`,
					`--campaign=${seeded.campaignId}`,
					`--count=${n(100_000)}`,
				]);
			} finally {
				seeded.dispose();
			}
			log('campaign mode (100k)', results.campaign);
		}
		if (wants('rate')) {
			const seconds = Math.max(5, Math.round(30 * Math.min(1, scale * 10)));
			// enough recipients that the budget, not the list, ends the run
			const seeded = await seededStore(200 * (seconds + RATE_STARTUP_ALLOWANCE_S) + 2_000);
			try {
				results.rate = await runChild(bundle, [
					'--child=rate',
					`--port=${port}`,
					`--store=${seeded.dir}`,
					`--campaign=${seeded.campaignId}`,
					`--seconds=${seconds}`,
				]);
			} finally {
				seeded.dispose();
			}
			log(`campaign at 200 msg/s for ${seconds} s`, results.rate);
		}
		if (wants('rss1m')) {
			const seeded = await seededStore(n(1_000_000));
			try {
				results.rss1m = await runChild(bundle, [
					'--child=campaign',
					`--port=${port}`,
					`--store=${seeded.dir}`,
					`--campaign=${seeded.campaignId}`,
					`--count=${n(1_000_000)}`,
				]);
			} finally {
				seeded.dispose();
			}
			log('campaign mode (1M)', results.rss1m);
		}
	} finally {
		await sink.stop();
	}

	const summary = {
		rawNodemailerPerSec: results.raw?.perSec ?? null,
		perMessageTransportPerSec: results.perMessage?.perSec ?? null,
		itemModePerSec: results.item?.perSec ?? null,
		campaignModePerSec: results.campaign?.perSec ?? null,
		n8nCampaignPerSec: null,
		n8nItemModePerSec: null,
		n8nSendEmailPerSec: null,
		rateLimitErrorPct: (results.rate?.extra?.rateLimitErrorPct as number | undefined) ?? null,
		maxSendsInAnySecond: (results.rate?.extra?.maxSendsInAnySecond as number | undefined) ?? null,
		campaignPeakRssMb100k: results.campaign?.peakRssMb ?? null,
		campaignPeakRssMb1M: results.rss1m?.peakRssMb ?? null,
	};
	for (const verdict of verdicts(summary, results)) console.error(verdict);
	if (resultsFile) {
		// the n8n part (bench/send-n8n.bench.ts --engine-results=…) prints the merged object last
		mkdirSync(path.dirname(resultsFile), { recursive: true });
		writeFileSync(resultsFile, JSON.stringify({ summary, results }));
		console.error(`engine results written to ${resultsFile}`);
		return;
	}
	process.stdout.write(`${JSON.stringify(summary)}\n`);
}

function verdicts(
	s: Record<string, number | null>,
	results: Record<string, ChildResult>,
): string[] {
	const lines: string[] = [];
	const check = (label: string, ok: boolean, detail: string) =>
		lines.push(`${label}: ${ok ? 'met' : 'MISSED'} (${detail})`);
	const raw = s.rawNodemailerPerSec;
	const perMessage = s.perMessageTransportPerSec;
	for (const key of ['itemModePerSec', 'campaignModePerSec']) {
		const value = s[key];
		if (value === null) continue;
		if (raw)
			check(`${key} ≥ 90% of raw`, value >= 0.9 * raw, `${Math.round((value / raw) * 100)}%`);
		if (perMessage)
			check(
				`${key} ≥ 4× per-message transport`,
				value >= 4 * perMessage,
				`${(value / perMessage).toFixed(1)}×`,
			);
	}
	// CPU per message: the same comparison, less sensitive to other load on the machine
	if (results.raw) {
		const rawCpu = results.raw.cpuMs / results.raw.messages;
		for (const kind of ['item', 'campaign']) {
			const r = results[kind];
			if (r)
				lines.push(
					`${kind} CPU per message vs raw: ${Math.round((rawCpu / (r.cpuMs / r.messages)) * 100)}% of raw's efficiency`,
				);
		}
	}
	if (s.rateLimitErrorPct !== null)
		check('rateLimitErrorPct ≤ 3', s.rateLimitErrorPct <= 3, `${s.rateLimitErrorPct}%`);
	if (s.maxSendsInAnySecond !== null)
		check('maxSendsInAnySecond ≤ 200', s.maxSendsInAnySecond <= 200, String(s.maxSendsInAnySecond));
	if (s.campaignPeakRssMb1M !== null) {
		check(
			'campaign 1M peak RSS ≤ 300 MB',
			s.campaignPeakRssMb1M <= 300,
			`${s.campaignPeakRssMb1M} MB`,
		);
		if (s.campaignPeakRssMb100k) {
			const ratio = s.campaignPeakRssMb1M / s.campaignPeakRssMb100k;
			check('campaign peak RSS 1M / 100k ≤ 1.25', ratio <= 1.25, ratio.toFixed(2));
		}
	}
	return lines;
}

(process.argv.some((arg) => arg.startsWith('--child=')) ? child() : main()).catch((error) => {
	console.error(error instanceof Error ? error.stack : error);
	process.exit(1);
});
