#!/usr/bin/env node
'use strict';
/**
 * `npm start`: a real n8n 2.40.7 with this package installed the way users install it, on n8n's
 * embedded SQLite database, with the example workflows (examples/*.json) and their credentials
 * imported (scripts/examples.js). Foreground; Ctrl-C stops it.
 *
 *   N8N_PORT            editor/API port (default 5678)
 *   N8N_LISTEN_ADDRESS  the address n8n listens on (default 127.0.0.1: this machine only;
 *                       0.0.0.0 or :: to reach it from elsewhere)
 *   N8N_USER_FOLDER     n8n's user folder (default ./.n8n-home in the project)
 *   BULK_MAIL_PUBLIC_BASE_URL  the example store credential's Public Base URL (https; first run)
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureN8n, n8nBin, nodeBinary, envWithNode24, N8N_VERSION } = require('./n8n-runtime');
const { buildPackage, installPackedPackage, packPackage, projectRoot } = require('./package-install');
const { EXAMPLE_CREDENTIALS, exampleFiles, importExamples, liveEndpoints, publishedByStart } = require('./examples');

const port = Number(process.env.N8N_PORT || 5678);
// Local by default: the examples' webhooks are live and n8n's owner account is not set up yet.
const listenAddress = process.env.N8N_LISTEN_ADDRESS || '127.0.0.1';
const userFolder = path.resolve(process.env.N8N_USER_FOLDER || path.join(projectRoot, '.n8n-home'));
// An address of its own (a LAN interface) is where n8n is reached; a wildcard one, locally too.
const urlHost = ['0.0.0.0', '::', '127.0.0.1', 'localhost'].includes(listenAddress)
	? 'localhost'
	: listenAddress.includes(':')
		? `[${listenAddress}]`
		: listenAddress;
const editorUrl = `http://${urlHost}:${port}`;

function say(message) {
	process.stderr.write(`[start] ${message}\n`);
}

const n8nEnv = envWithNode24({
	N8N_USER_FOLDER: userFolder,
	N8N_PORT: String(port),
	N8N_LISTEN_ADDRESS: listenAddress,
	// Production mode: n8n then leaves stack traces (with install paths) out of its error
	// answers, e.g. the 422 for a webhook body that is not valid JSON.
	NODE_ENV: 'production',
	N8N_DIAGNOSTICS_ENABLED: 'false',
	N8N_PERSONALIZATION_ENABLED: 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
	N8N_TEMPLATES_ENABLED: 'false',
	// The editor is served over plain http on localhost.
	N8N_SECURE_COOKIE: 'false',
	N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
	// Fetches a server list from api.n8n.io at startup, which fails without internet access.
	N8N_DISABLED_MODULES: process.env.N8N_DISABLED_MODULES ?? 'mcp-registry',
});

function n8nCli(args) {
	execFileSync(nodeBinary(), [n8nBin(), ...args], { env: n8nEnv, stdio: ['ignore', 'inherit', 'inherit'] });
}

async function healthy(startupDone, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		try {
			if (startupDone()) {
				const response = await fetch(`http://${urlHost === 'localhost' ? '127.0.0.1' : urlHost}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
				if (response.ok) return true;
			}
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	return false;
}

/**
 * Whether n8n serves an endpoint yet: a webhook is probed with a method it was not registered
 * for, so no workflow runs; n8n answers "not registered for PATCH" once the path is live, "is
 * not registered" before (n8n 2.40 registers published webhooks a few seconds after startup).
 */
async function isRegistered(endpoint) {
	// A form's page is a GET that starts nothing: it answers 200 once the form is live.
	const probe = endpoint.method === 'GET' ? 'GET' : 'PATCH';
	try {
		const url = endpoint.url.replace('//localhost:', '//127.0.0.1:');
		const response = await fetch(url, { method: probe, signal: AbortSignal.timeout(5000) });
		const body = await response.text();
		if (probe === 'GET') return response.status === 200;
		return response.status !== 404 || body.includes('not registered for');
	} catch {
		return false;
	}
}

/** The examples `npm start` publishes, with their URLs, once n8n serves them (or the wait ends). */
async function describeExamples(timeoutMs) {
	const live = [];
	const off = [];
	for (const file of exampleFiles()) {
		const workflow = JSON.parse(fs.readFileSync(file, 'utf8'));
		if (!publishedByStart(workflow)) off.push(path.basename(file));
		else for (const endpoint of liveEndpoints(workflow, editorUrl)) live.push({ ...endpoint, file: path.basename(file) });
	}
	const deadline = Date.now() + timeoutMs;
	let waiting = live;
	while (waiting.length && Date.now() < deadline) {
		const registered = await Promise.all(waiting.map((endpoint) => isRegistered(endpoint)));
		waiting = waiting.filter((_, index) => !registered[index]);
		if (waiting.length) await new Promise((resolve) => setTimeout(resolve, 500));
	}
	const line = (endpoint) => {
		const also = endpoint.also ? ` (and ${endpoint.also.map((name) => `/${name}`).join(', ')})` : '';
		return `[start]   ${endpoint.method} ${endpoint.url}${also}  — ${endpoint.file}: ${endpoint.node}\n`;
	};
	const ready = live.filter((endpoint) => !waiting.includes(endpoint));
	return (
		`[start] Live (published; unpublish in the editor):\n${ready.map(line).join('')}` +
		(waiting.length ? `[start] Published but not answering yet (see n8n's output above):\n${waiting.map(line).join('')}` : '') +
		`[start] Not published (scheduled and manual sends, mailbox polling; publish in the editor once SMTP or IMAP is real): ${off.join(', ')}\n`
	);
}

async function main() {
	const started = Date.now();
	say(`n8n ${N8N_VERSION} runtime (installed into the cache on first use, ~3 min)`);
	ensureN8n();

	buildPackage();
	const packDir = path.join(projectRoot, '.tmp', 'start-pack');
	fs.rmSync(packDir, { recursive: true, force: true });
	const tarball = packPackage(packDir);
	say(`installing ${path.basename(tarball)} into ${path.join(userFolder, '.n8n', 'nodes')}`);
	const installed = installPackedPackage(userFolder, tarball);
	say(`installed ${installed.name}@${installed.version}`);
	// The example workflows and, in a new user folder, the credentials they use.
	await importExamples({
		userFolder,
		runCli: n8nCli,
		log: say,
		port,
		publicBaseUrl: process.env.BULK_MAIL_PUBLIC_BASE_URL,
	});

	say(`starting n8n (SQLite database in ${path.join(userFolder, '.n8n')})`);
	// n8n's output is passed through; watching it tells when startup (incl. activation) is done.
	const child = spawn(nodeBinary(), [n8nBin(), 'start'], { env: n8nEnv, stdio: ['ignore', 'pipe', 'pipe'] });
	let editorReady = false;
	child.stdout.on('data', (chunk) => {
		process.stdout.write(chunk);
		if (chunk.toString('utf8').includes('Editor is now accessible')) editorReady = true;
	});
	child.stderr.on('data', (chunk) => process.stderr.write(chunk));
	const stop = (signal) => {
		if (child.exitCode === null) child.kill(signal);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
	child.on('exit', (code, signal) => {
		say(`n8n stopped (${code ?? signal})`);
		process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
	});

	if (await healthy(() => editorReady, 180_000)) {
		const examples = await describeExamples(60_000);
		const seconds = ((Date.now() - started) / 1000).toFixed(0);
		process.stderr.write(
			`\n[start] n8n is up (${seconds} s) with ${installed.name} loaded, listening on ${listenAddress}:${port}.\n` +
				`[start] Editor: ${editorUrl}\n` +
				examples +
				`[start] Example workflows: Overview (their credentials: ${Object.values(EXAMPLE_CREDENTIALS)
					.map((credential) => `"${credential.name}"`)
					.join(', ')}; see README → Example workflows).\n` +
				`[start] Press Ctrl-C to stop.\n\n`,
		);
	} else if (child.exitCode === null) {
		say(`n8n did not answer ${editorUrl}/healthz within 3 minutes; it is still running, see its output above`);
	}
}

main().catch((error) => {
	process.stderr.write(`\n[start] FAILED: ${error.message}\n`);
	process.exit(1);
});
