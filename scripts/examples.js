'use strict';
/**
 * The example workflows (examples/*.json) and the credentials they reference, for `npm start`
 * and its test. The examples refer to credentials by these ids and names; `npm start` creates
 * them once, in a new n8n user folder, so every example opens with its credentials filled in.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const examplesDir = path.resolve(__dirname, '..', 'examples');

/** Ids, names and types as the example workflows reference them. */
const EXAMPLE_CREDENTIALS = {
	store: { id: 'bulkMailStore001', name: 'Subscriber Store (embedded SQLite)', type: 'bulkMailSubscriberStoreApi' },
	smtp: { id: 'bulkMailSmtp0001', name: 'Local SMTP (localhost:1025, plain)', type: 'bulkMailSmtpApi' },
	bounce: { id: 'bulkMailBounce01', name: 'Bounce Webhook Secrets', type: 'bulkMailBounceWebhookApi' },
	mailbox: { id: 'bulkMailMailbox1', name: 'Bounce Mailbox (IMAP)', type: 'bulkMailBounceMailboxApi' },
};

/** The production URL prefix of the bounce example's trigger, `/webhook/<webhookId>`. */
function bounceWebhookPath(dir = examplesDir) {
	const workflow = JSON.parse(fs.readFileSync(path.join(dir, 'bounce-handling.json'), 'utf8'));
	const trigger = workflow.nodes.find((node) => node.type === 'n8n-nodes-bulk-mail.bounceWebhookTrigger');
	return `/webhook/${trigger.webhookId}`;
}

/**
 * What `npm start` puts in them: the embedded SQLite store, a plain SMTP relay on
 * localhost:1025 (a local mail catcher; the plain connection is an explicit opt-in the user sees
 * in the credential) and fresh random secrets. Templates with unsubscribe links need a public
 * base URL, which must be https: `publicBaseUrl`, else the bounce example's trigger under
 * https://localhost:<port> (links then compose and verify, but only answer once n8n is reached
 * over https there — set the real address for real use).
 */
function localCredentialData({ port = 5678, publicBaseUrl } = {}) {
	const secret = () => crypto.randomBytes(24).toString('base64url');
	return {
		store: {
			backend: 'sqlite',
			file: 'examples.sqlite',
			publicBaseUrl: publicBaseUrl || `https://localhost:${port}${bounceWebhookPath()}`,
			signingSecret: secret(),
		},
		smtp: { host: 'localhost', port: 1025, security: 'none', allowPlain: true, ehloName: 'localhost' },
		bounce: { genericSecret: secret() },
		// A placeholder the user replaces with the mailbox their bounce domain delivers to.
		mailbox: { host: 'imap.example.com', port: 993, security: 'tls', user: 'bounces@bounce.example.com', password: '', allowSelfSigned: false },
	};
}

/**
 * Triggers that only answer requests sent to this n8n (webhooks, forms, the Bounce Webhook), and
 * the Manual trigger, which never fires on its own. A workflow with any other trigger (a
 * Schedule, a poller) would start sending mail by itself once published: `npm start` leaves those
 * off. n8n publishes a whole workflow, so an example that mixes both kinds is split in two.
 */
const SAFE_TRIGGER_TYPES = new Set([
	'n8n-nodes-base.webhook',
	'n8n-nodes-base.formTrigger',
	'n8n-nodes-base.manualTrigger',
	'n8n-nodes-bulk-mail.bounceWebhookTrigger',
]);

function isTrigger(node) {
	return /trigger$/i.test(node.type) || node.type === 'n8n-nodes-base.webhook';
}

/** Whether `npm start` publishes this workflow: it has a request trigger and nothing that fires by itself. */
function publishedByStart(workflow) {
	const triggers = workflow.nodes.filter(isTrigger);
	return (
		triggers.every((node) => SAFE_TRIGGER_TYPES.has(node.type)) &&
		triggers.some((node) => node.type !== 'n8n-nodes-base.manualTrigger')
	);
}

/** What a published workflow serves: `{ node, method, url, also? }` per trigger, below `baseUrl`. */
function liveEndpoints(workflow, baseUrl) {
	const endpoints = [];
	for (const node of workflow.nodes) {
		if (node.disabled) continue;
		if (node.type === 'n8n-nodes-base.webhook') {
			const method = node.parameters.httpMethod || 'GET';
			endpoints.push({ node: node.name, method, url: `${baseUrl}/webhook/${node.parameters.path || node.webhookId}` });
		} else if (node.type === 'n8n-nodes-base.formTrigger') {
			endpoints.push({ node: node.name, method: 'GET', url: `${baseUrl}/form/${node.parameters.path || node.webhookId}` });
		} else if (node.type === 'n8n-nodes-bulk-mail.bounceWebhookTrigger') {
			// The store's URL layout (lib/store/urls.ts): provider events, and the link pages.
			endpoints.push({
				node: node.name,
				method: 'POST',
				url: `${baseUrl}/webhook/${node.webhookId}/events`,
				also: ['unsubscribe', 'open', 'click', 'confirm', 'preferences'],
			});
		}
	}
	return endpoints;
}

function exampleFiles(dir = examplesDir) {
	return fs.existsSync(dir)
		? fs.readdirSync(dir).filter((name) => name.endsWith('.json')).sort().map((name) => path.join(dir, name))
		: [];
}

/**
 * Imports the credentials (only into a user folder that has none of ours yet, so edits made in
 * the editor stay) and each example workflow whose file changed since it was last imported, and
 * publishes those of them that `publishedByStart` allows.
 * `runCli(args)` runs one n8n CLI command and may return a promise. Returns what it imported.
 */
async function importExamples({ userFolder, runCli, log = () => {}, dir = examplesDir, port, publicBaseUrl }) {
	const stampFile = path.join(userFolder, '.imported-examples.json');
	const stamps = fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, 'utf8')) : {};
	const save = () => fs.writeFileSync(stampFile, JSON.stringify(stamps, null, 2));
	const imported = { credentials: [], workflows: [], published: [] };

	if (!stamps['credentials']) {
		const data = localCredentialData({ port, publicBaseUrl });
		const credentials = Object.entries(EXAMPLE_CREDENTIALS).map(([key, credential]) => ({
			...credential,
			data: data[key],
		}));
		// n8n encrypts plain `data` on import; the file holds secrets, so it is removed at once.
		const file = path.join(userFolder, `.example-credentials-${process.pid}.json`);
		fs.mkdirSync(userFolder, { recursive: true });
		fs.writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
		try {
			log(`creating the example credentials: ${credentials.map((c) => c.name).join(', ')}`);
			await runCli(['import:credentials', `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
		stamps['credentials'] = new Date().toISOString();
		save();
		imported.credentials.push(...credentials.map((c) => c.id));
	}

	for (const full of exampleFiles(dir)) {
		const file = path.basename(full);
		const hash = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
		if (stamps[file] === hash) continue;
		log(`importing example workflow ${file}`);
		await runCli(['import:workflow', `--input=${full}`]);
		const workflow = JSON.parse(fs.readFileSync(full, 'utf8'));
		// Published here, before n8n starts: `n8n publish:workflow` takes effect at the next start.
		if (publishedByStart(workflow)) {
			log(`publishing ${file} (its webhooks answer only requests sent to this n8n)`);
			await runCli(['publish:workflow', `--id=${workflow.id}`]);
			imported.published.push(file);
		}
		stamps[file] = hash;
		save();
		imported.workflows.push(file);
	}
	return imported;
}

module.exports = {
	EXAMPLE_CREDENTIALS,
	bounceWebhookPath,
	examplesDir,
	exampleFiles,
	importExamples,
	liveEndpoints,
	localCredentialData,
	publishedByStart,
};
