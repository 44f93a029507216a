/**
 * The n8n part of the send benchmark (issue 5): Bulk Send inside a real n8n 2.40.7 (installed
 * as users get it), against Postfix's smtp-sink on loopback with 5 pooled connections and the
 * same 4 KB HTML message as bench/send.bench.ts:
 *
 * - n8nCampaignPerSec: Bulk Send, Campaign → Start, 20,000 recipients of a SQLite store;
 * - n8nItemModePerSec: Bulk Send, Message → Send, 2,000 items;
 * - n8nSendEmailPerSec: n8n's built-in Send Email node (n8n-nodes-base.emailSend v2.1, n8n's
 *   own `smtp` credential), the same 2,000 items, in the same n8n.
 *
 * The campaign rate is recipients / the node's execution time as n8n records it; the item-mode
 * rates are items / the time from the first to the last message arriving at smtp-sink (their
 * run data is too large for `n8n execute` to print reliably). n8n's start-up and the nodes that
 * build the items are never counted; smtp-sink's counter confirms every message arrived. The last line printed is one JSON object with those three keys; details go to stderr,
 * with a raw pooled-nodemailer rate measured in the same run as a reference for the targets
 * (n8nCampaignPerSec ≥ 80% of raw, n8nItemModePerSec ≥ 30× n8nSendEmailPerSec).
 *
 *   node scripts/run-bench.js bench/send-n8n.bench.ts [--scale=0.1] [--engine-results=FILE]
 *
 * With --engine-results=FILE (written by bench/send.bench.ts --results=FILE) the last line is the
 * whole send benchmark's object: the engine's keys with the three n8n ones filled in.
 *
 * Needs a built package (npm run build; the harness rebuilds a stale dist/).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import nodemailer, { type SendMailOptions } from 'nodemailer';

import { createCampaign } from '../lib/campaign';
import { compileTemplate, toSendMailOptions } from '../lib/compose';
import { openStore } from '../lib/store/openStore';
import type { BulkUpsertRow } from '../lib/store/types';
import { startSmtpSink, type SmtpSink } from '../test/helpers/smtpSink';
import {
	createN8nInstance,
	type ExecutionResult,
	type N8nInstance,
	type WorkflowInput,
	type WorkflowNode,
} from '../test/n8n/harness';

const PACKAGE = 'n8n-nodes-bulk-mail';
const CONNECTIONS = 5;
const STORE_FILE = 'bench.sqlite';
const actor = { type: 'bench' };

function argument(name: string): string | undefined {
	const prefix = `--${name}=`;
	return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

const scale = Number(argument('scale') ?? 1);
const CAMPAIGN_RECIPIENTS = Math.max(10, Math.round(20_000 * scale));
const ITEMS = Math.max(10, Math.round(2_000 * scale));

function log(message: string): void {
	process.stderr.write(`[send-n8n] ${message}\n`);
}

// ------------------------------------------------------------------ the message

const FILLER =
	'<p style="margin:0 0 12px;line-height:1.5;font-family:Arial,sans-serif;color:#333333">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.</p>\n';

/** The 4 KB HTML newsletter of bench/send.bench.ts (benchTemplate there), kept identical. */
function benchTemplate() {
	let html =
		'<!doctype html><html><head><meta charset="utf-8"><title>Spring news</title></head>' +
		'<body style="margin:0;padding:24px;background:#f4f4f4">\n<h1 style="font-size:22px">Hello {{ name }},</h1>\n' +
		'<p><a href="https://shop.example.com/spring">See the spring collection</a></p>\n';
	while (html.length < 4000) html += FILLER;
	html += '</body></html>';
	return { subject: 'Spring news for {{ name }}', html, from: 'Shop News <news@sender.example>' };
}

// ------------------------------------------------------------------ n8n set-up

const BULK_SEND_FILES = {
	nodes: ['dist/nodes/BulkSend/BulkSend.node.js'],
	credentials: ['dist/credentials/SmtpApi.credentials.js', 'dist/credentials/RedisLimiterApi.credentials.js'],
};

/** Lists Bulk Send in the installed copy's manifest if the package does not yet. */
function registerBulkSend(n8n: N8nInstance): void {
	const packageDir = path.join(n8n.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE);
	const manifestPath = path.join(packageDir, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
	for (const kind of ['nodes', 'credentials'] as const) {
		for (const file of BULK_SEND_FILES[kind]) {
			if (!existsSync(path.join(packageDir, file))) throw new Error(`${file} is missing: run npm run build`);
			if (!manifest.n8n[kind].includes(file)) manifest.n8n[kind].push(file);
		}
	}
	writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
}

const smtpCredential = { bulkMailSmtpApi: { id: 'sinkSmtp1', name: 'smtp-sink' } };
const storeCredential = { bulkMailSubscriberStoreApi: { id: 'benchStore1', name: 'Bench store' } };
const n8nSmtpCredential = { smtp: { id: 'n8nSmtp1', name: 'smtp-sink (n8n)' } };

function node(name: string, type: string, typeVersion: number, x: number, parameters: Record<string, unknown>, extra: Partial<WorkflowNode> = {}): WorkflowNode {
	return { id: name.replace(/\W/g, '').toLowerCase(), name, type, typeVersion, position: [x, 0], parameters, ...extra };
}

function chain(names: string[]): Record<string, unknown> {
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

const trigger = node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, {});

/** Manual → ITEMS numbers → one message item each (from, to, subject, html, text) → `sender`. */
function itemWorkflow(id: string, sender: WorkflowNode, message: { subject: string; html: string; text: string }): WorkflowInput {
	const numbers = node('Numbers', 'n8n-nodes-base.set', 3.4, 200, {
		mode: 'raw',
		jsonOutput: JSON.stringify({ n: Array.from({ length: ITEMS }, (_, i) => i) }),
		options: {},
	});
	const split = node('Split', 'n8n-nodes-base.splitOut', 1, 400, { fieldToSplitOut: 'n', options: {} });
	const assignment = (name: string, value: string) => ({ id: name, name, value, type: 'string' });
	const messages = node('Messages', 'n8n-nodes-base.set', 3.4, 600, {
		assignments: {
			assignments: [
				assignment('from', 'Shop News <news@sender.example>'),
				assignment('to', '=reader{{ $json.n }}@example.org'),
				assignment('subject', message.subject),
				assignment('html', message.html),
				assignment('text', message.text),
			],
		},
		options: {},
	});
	return {
		id,
		name: `Bench: ${sender.name}`,
		nodes: [trigger, numbers, split, messages, { ...sender, position: [800, 0] }],
		connections: chain(['Start', 'Numbers', 'Split', 'Messages', sender.name]),
		settings: {},
	};
}

function campaignWorkflow(id: string, campaignId: string): WorkflowInput {
	return {
		id,
		name: 'Bench: Bulk Send campaign',
		nodes: [
			trigger,
			node('Bulk Send', `${PACKAGE}.bulkSend`, 1, 200, {
				resource: 'campaign',
				operation: 'start',
				campaignId,
				throttling: { maxConnections: CONNECTIONS },
			}, { credentials: { ...smtpCredential, ...storeCredential } }),
		],
		connections: chain(['Start', 'Bulk Send']),
		settings: {},
	};
}

/** The node's execution time (ms) as n8n recorded it. */
function nodeTime(result: ExecutionResult, name: string): number {
	const run = result.runData[name]?.[0];
	if (!run || typeof run.executionTime !== 'number') throw new Error(`no execution time for node '${name}'`);
	if (run.error) throw new Error(`node '${name}' failed: ${run.error.message}`);
	return run.executionTime;
}

/**
 * Watches smtp-sink's counter (it counts every "." received) every 5 ms: the time from the
 * first to the last of `expected` new messages is the sending time as the server saw it.
 */
function watchSink(sink: SmtpSink, expected: number) {
	const base = sink.messageCount();
	let first: number | null = null;
	let last: number | null = null;
	const timer = setInterval(() => {
		const arrived = sink.messageCount() - base;
		const now = performance.now();
		if (arrived > 0 && first === null) first = now;
		if (arrived >= expected && last === null) last = now;
	}, 5);
	return {
		async done(graceMs = 10_000): Promise<{ ms: number; arrived: number }> {
			const deadline = performance.now() + graceMs;
			while (last === null && performance.now() < deadline) {
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			clearInterval(timer);
			const arrived = sink.messageCount() - base;
			if (arrived !== expected) throw new Error(`smtp-sink received ${arrived} messages, expected ${expected}`);
			// n messages span n-1 gaps between first and last arrival
			return { ms: ((last! - first!) * expected) / Math.max(1, expected - 1), arrived };
		},
	};
}

/** The summary bench/send.bench.ts --results=FILE wrote, when --engine-results=FILE is given. */
function engineSummary(): Record<string, unknown> | null {
	const file = argument('engine-results');
	if (!file) return null;
	if (!existsSync(file)) throw new Error(`--engine-results: ${file} does not exist (run bench/send.bench.ts --results=${file} first)`);
	return (JSON.parse(readFileSync(file, 'utf8')) as { summary: Record<string, unknown> }).summary;
}

const perSec = (count: number, ms: number) => Math.round((count / ms) * 1000 * 10) / 10;

/**
 * A plain loop over one pooled nodemailer transport (5 connections, 20 in flight), as
 * rawNodemailerPerSec in bench/send.bench.ts: a reference taken under the same machine load.
 */
async function rawReference(sink: SmtpSink, message: SendMailOptions, count: number): Promise<number> {
	const transport = nodemailer.createTransport({
		host: sink.host,
		port: sink.port,
		secure: false,
		ignoreTLS: true,
		name: 'bench.test',
		pool: true,
		maxConnections: CONNECTIONS,
	});
	const started = performance.now();
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const i = next++;
			await transport.sendMail({ ...message, to: `reader${i}@example.org` });
		}
	};
	try {
		await Promise.all(Array.from({ length: CONNECTIONS * 4 }, worker));
	} finally {
		transport.close();
	}
	return Math.round((count / (performance.now() - started)) * 1000 * 10) / 10;
}

async function main(): Promise<void> {
	const sink = await startSmtpSink();
	let n8n: N8nInstance | undefined;
	try {
		log(`smtp-sink on port ${sink.port}; starting n8n`);
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		registerBulkSend(n8n);

		// the store and the campaign, seeded directly (only the sending is measured in n8n)
		const store = await openStore({ backend: 'sqlite', file: STORE_FILE, baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') });
		let campaignId: string;
		try {
			const list = await store.createList({ name: 'Bench' }, actor);
			for (let from = 0; from < CAMPAIGN_RECIPIENTS; from += 5000) {
				const rows: BulkUpsertRow[] = [];
				for (let i = from; i < Math.min(CAMPAIGN_RECIPIENTS, from + 5000); i++) {
					rows.push({ email: `reader${i}@example.org`, name: `Reader ${i}` });
				}
				await store.bulkUpsert(list.id, rows, {}, actor);
			}
			campaignId = (await createCampaign(store, { name: 'Bench campaign', listId: list.id, template: benchTemplate() }, actor)).id;
		} finally {
			await store.close();
		}
		log(`seeded ${CAMPAIGN_RECIPIENTS} subscribers, campaign ${campaignId}`);

		const rendered = compileTemplate(benchTemplate()).render({ id: '1', email: 'reader@example.org', name: 'Reader' });
		const message = { subject: rendered.subject, html: rendered.html, text: rendered.text };
		const rawCount = Math.max(100, Math.round(10_000 * scale));
		const raw = await rawReference(sink, toSendMailOptions(rendered), rawCount);
		log(`reference: raw pooled nodemailer in this process, ${rawCount} messages → ${raw} msg/s`);

		await n8n.importCredentials([
			{
				id: 'sinkSmtp1',
				name: 'smtp-sink',
				type: 'bulkMailSmtpApi',
				data: { host: sink.host, port: sink.port, security: 'none', allowPlain: true, ehloName: 'bench.test' },
			},
			{ id: 'benchStore1', name: 'Bench store', type: 'bulkMailSubscriberStoreApi', data: { backend: 'sqlite', file: STORE_FILE } },
			{
				id: 'n8nSmtp1',
				name: 'smtp-sink (n8n)',
				type: 'smtp',
				data: { user: '', password: '', host: sink.host, port: sink.port, secure: false, disableStartTls: true, hostName: 'bench.test' },
			},
		]);
		const bulkSend = node('Bulk Send', `${PACKAGE}.bulkSend`, 1, 0, {
			resource: 'message',
			operation: 'send',
			throttling: { maxConnections: CONNECTIONS },
		}, { credentials: smtpCredential });
		const sendEmail = node('Send Email', 'n8n-nodes-base.emailSend', 2.1, 0, {
			resource: 'email',
			operation: 'send',
			fromEmail: '={{ $json.from }}',
			toEmail: '={{ $json.to }}',
			subject: '={{ $json.subject }}',
			emailFormat: 'both',
			text: '={{ $json.text }}',
			html: '={{ $json.html }}',
			options: { appendAttribution: false },
		}, { credentials: n8nSmtpCredential });
		await n8n.importWorkflow([
			campaignWorkflow('benchCampaign1', campaignId),
			itemWorkflow('benchItems1', bulkSend, message),
			itemWorkflow('benchSendEmail1', sendEmail, message),
		]);

		const timeoutMs = 30 * 60_000;
		log(`campaign: ${CAMPAIGN_RECIPIENTS} recipients through Bulk Send in n8n`);
		const campaignWatch = watchSink(sink, CAMPAIGN_RECIPIENTS);
		const result = await n8n.execute('benchCampaign1', { timeoutMs });
		const summary = result.json('Bulk Send')[0];
		if (summary.sentThisRun !== CAMPAIGN_RECIPIENTS || summary.status !== 'finished') {
			throw new Error(`the campaign run ended with ${JSON.stringify(summary)}`);
		}
		const campaignNodeMs = nodeTime(result, 'Bulk Send');
		const campaignSink = await campaignWatch.done();
		const campaign = { perSec: perSec(CAMPAIGN_RECIPIENTS, campaignNodeMs) };
		log(
			`  node ${campaignNodeMs} ms → ${campaign.perSec} msg/s (engine's own duration ${String(summary.durationMs)} ms; first to last arrival ${Math.round(campaignSink.ms)} ms → ${perSec(CAMPAIGN_RECIPIENTS, campaignSink.ms)} msg/s)`,
		);

		// Item runs print ~40 MB of run data, which `n8n execute` may cut short when it exits:
		// their send time is taken at the SMTP server, from the first to the last arrival.
		const itemRun = async (workflowId: string, label: string) => {
			log(`${label}: ${ITEMS} items`);
			const watch = watchSink(sink, ITEMS);
			const { code, output } = await n8n!.cli(['execute', `--id=${workflowId}`, '--rawOutput'], { timeoutMs });
			if (code !== 0) throw new Error(`n8n execute --id=${workflowId} exited with ${code}: ${output.slice(-2000)}`);
			const { ms } = await watch.done();
			const rate = perSec(ITEMS, ms);
			log(`  first to last arrival ${Math.round(ms)} ms → ${rate} msg/s`);
			return { perSec: rate };
		};
		const items = await itemRun('benchItems1', 'item mode through Bulk Send');
		const sendEmailRun = await itemRun('benchSendEmail1', "n8n's Send Email (n8n-nodes-base.emailSend v2.1)");

		// the machine's load may change during the run: the reference is taken before and after
		const rawAfter = await rawReference(sink, toSendMailOptions(rendered), rawCount);
		const reference = (raw + rawAfter) / 2;
		log(`reference again after the runs: ${rawAfter} msg/s (mean ${Math.round(reference)})`);
		const share = campaign.perSec / reference;
		log(`n8nCampaignPerSec ≥ 80% of raw (this run's reference): ${share >= 0.8 ? 'met' : 'MISSED'} (${Math.round(share * 100)}%)`);
		const ratio = items.perSec / sendEmailRun.perSec;
		log(`n8nItemModePerSec ≥ 30× n8nSendEmailPerSec: ${ratio >= 30 ? 'met' : 'MISSED'} (${ratio.toFixed(1)}×)`);
		const n8nFigures = {
			n8nCampaignPerSec: campaign.perSec,
			n8nItemModePerSec: items.perSec,
			n8nSendEmailPerSec: sendEmailRun.perSec,
		};
		const engine = engineSummary();
		if (engine) {
			const raw = engine.rawNodemailerPerSec;
			if (typeof raw === 'number' && raw > 0) {
				const ofRaw = campaign.perSec / raw;
				log(`n8nCampaignPerSec ≥ 80% of the engine run's rawNodemailerPerSec: ${ofRaw >= 0.8 ? 'met' : 'MISSED'} (${Math.round(ofRaw * 100)}%)`);
			}
		}
		// one object, the last line: the engine's figures (when given) with the n8n ones filled in
		process.stdout.write(`${JSON.stringify({ ...(engine ?? {}), ...n8nFigures })}\n`);
	} finally {
		await n8n?.cleanup();
		await sink.stop();
	}
}

main().catch((error) => {
	console.error(error instanceof Error ? error.stack : error);
	process.exit(1);
});
