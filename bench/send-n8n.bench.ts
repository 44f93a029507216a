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
 * Each rate is messages / the node's own execution time as n8n records it (n8n's start-up and
 * the nodes that build the items are not counted); smtp-sink's counter confirms every message
 * arrived. The last line printed is one JSON object with those three keys; details go to stderr.
 *
 *   node scripts/run-bench.js bench/send-n8n.bench.ts [--scale=0.1]
 *
 * Needs a built package (npm run build; the harness rebuilds a stale dist/).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createCampaign } from '../lib/campaign';
import { compileTemplate } from '../lib/compose';
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
const storeCredential = { subscriberStoreApi: { id: 'benchStore1', name: 'Bench store' } };
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

async function countedRun(sink: SmtpSink, expected: number, run: () => Promise<number>) {
	const before = sink.messageCount();
	const ms = await run();
	// smtp-sink prints its counter when a session ends; give the last QUITs a moment
	for (let i = 0; i < 50 && sink.messageCount() - before < expected; i++) {
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	const arrived = sink.messageCount() - before;
	if (arrived !== expected) throw new Error(`smtp-sink received ${arrived} messages, expected ${expected}`);
	return { ms, perSec: Math.round((expected / ms) * 1000 * 10) / 10 };
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

		await n8n.importCredentials([
			{
				id: 'sinkSmtp1',
				name: 'smtp-sink',
				type: 'bulkMailSmtpApi',
				data: { host: sink.host, port: sink.port, security: 'none', allowPlain: true, ehloName: 'bench.test' },
			},
			{ id: 'benchStore1', name: 'Bench store', type: 'subscriberStoreApi', data: { backend: 'sqlite', file: STORE_FILE } },
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

		const timeout = { timeoutMs: 30 * 60_000 };
		log(`campaign: ${CAMPAIGN_RECIPIENTS} recipients through Bulk Send in n8n`);
		const campaign = await countedRun(sink, CAMPAIGN_RECIPIENTS, async () => {
			const result = await n8n!.execute('benchCampaign1', timeout);
			const summary = result.json('Bulk Send')[0];
			if (summary.sentThisRun !== CAMPAIGN_RECIPIENTS || summary.status !== 'finished') {
				throw new Error(`the campaign run ended with ${JSON.stringify(summary)}`);
			}
			log(`  engine's own duration ${String(summary.durationMs)} ms`);
			return nodeTime(result, 'Bulk Send');
		});
		log(`  ${campaign.ms} ms → ${campaign.perSec} msg/s`);

		log(`item mode: ${ITEMS} items through Bulk Send`);
		const items = await countedRun(sink, ITEMS, async () => {
			const result = await n8n!.execute('benchItems1', timeout);
			const sent = result.json('Bulk Send', { output: 0 }).filter((entry) => entry.status === 'sent').length;
			if (sent !== ITEMS) throw new Error(`Bulk Send sent ${sent} of ${ITEMS}`);
			return nodeTime(result, 'Bulk Send');
		});
		log(`  ${items.ms} ms → ${items.perSec} msg/s`);

		log(`Send Email: ${ITEMS} items through n8n-nodes-base.emailSend v2.1`);
		const sendEmailRun = await countedRun(sink, ITEMS, async () => {
			const result = await n8n!.execute('benchSendEmail1', timeout);
			const sent = result.json('Send Email').length;
			if (sent !== ITEMS) throw new Error(`Send Email output ${sent} of ${ITEMS} items`);
			return nodeTime(result, 'Send Email');
		});
		log(`  ${sendEmailRun.ms} ms → ${sendEmailRun.perSec} msg/s`);

		const ratio = items.perSec / sendEmailRun.perSec;
		log(`n8nItemModePerSec ≥ 30× n8nSendEmailPerSec: ${ratio >= 30 ? 'met' : 'MISSED'} (${ratio.toFixed(1)}×)`);
		process.stdout.write(
			`${JSON.stringify({
				n8nCampaignPerSec: campaign.perSec,
				n8nItemModePerSec: items.perSec,
				n8nSendEmailPerSec: sendEmailRun.perSec,
			})}\n`,
		);
	} finally {
		await n8n?.cleanup();
		await sink.stop();
	}
}

main().catch((error) => {
	console.error(error instanceof Error ? error.stack : error);
	process.exit(1);
});
