/**
 * `npm start` as a new user runs it: scripts/start.js on a fresh user folder (it builds, packs and
 * installs the package, creates the example credentials, imports and publishes the examples and
 * starts n8n 2.40.7). Then, against that n8n:
 * - it prints what is live and at which URL; the webhook examples are published, the scheduled
 *   ones are not;
 * - the README's first commands (the CSV upload) work as written;
 * - n8n listens on 127.0.0.1 only;
 * - the transactional welcome example called before its list exists answers 502 with the reason;
 * - n8n's own error answers (JSON it cannot parse) carry no stack trace (NODE_ENV=production).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { exampleFiles, liveEndpoints, publishedByStart, type ExampleWorkflow } from '../../scripts/examples';
import { freePort } from '../helpers/services';

jest.setTimeout(600_000);

const root = path.resolve(__dirname, '..', '..');
let child: ChildProcess;
let userFolder: string;
let workDir: string;
let port: number;
let output = '';

const examples = exampleFiles().map((file) => ({
	file: path.basename(file),
	workflow: JSON.parse(readFileSync(file, 'utf8')) as ExampleWorkflow,
}));
const example = (file: string) => examples.find((entry) => entry.file === file)!.workflow;

/** The environment a user's shell would have: none of the test runner's n8n or jest settings. */
function userEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|NODE_ENV$|NODE_OPTIONS$|JEST_|BULK_MAIL_)/.test(key)) continue;
		env[key] = value;
	}
	return { ...env, ...extra };
}

/** Listening TCP sockets on `port` from /proc/net: the local addresses, hex as the kernel writes them. */
function listeners(listenPort: number): string[] {
	const found: string[] = [];
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
			const fields = line.trim().split(/\s+/);
			if (fields.length < 4 || fields[3] !== '0A') continue; // 0A = LISTEN
			const [address, hexPort] = fields[1].split(':');
			if (parseInt(hexPort, 16) === listenPort) found.push(address);
		}
	}
	return found;
}

beforeAll(async () => {
	port = await freePort();
	userFolder = mkdtempSync(path.join(tmpdir(), 'bm-start-'));
	workDir = mkdtempSync(path.join(tmpdir(), 'bm-start-work-'));
	child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
		cwd: root,
		env: userEnvironment({
			N8N_PORT: String(port),
			N8N_USER_FOLDER: userFolder,
			// other n8n instances on this machine use the default task-runner port
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		}),
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
	child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
	await new Promise<void>((resolve, reject) => {
		const timer = setInterval(() => {
			if (output.includes('[start] Press Ctrl-C to stop.')) {
				clearInterval(timer);
				resolve();
			} else if (child.exitCode !== null || output.includes('[start] FAILED')) {
				clearInterval(timer);
				reject(new Error(`npm start ended:\n${output.slice(-4000)}`));
			}
		}, 250);
	});
});

afterAll(async () => {
	if (child && child.exitCode === null) {
		// start.js and the n8n it started: the process group this test created
		process.kill(-child.pid!, 'SIGTERM');
		await new Promise((resolve) => child.once('exit', resolve));
	}
	if (userFolder) rmSync(userFolder, { recursive: true, force: true });
	if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('the webhook examples are published and printed with their URLs; the scheduled ones are not', () => {
	const base = `http://localhost:${port}`;
	const live = examples.filter((entry) => publishedByStart(entry.workflow)).map((entry) => entry.file);
	expect(live.sort()).toEqual(['bounce-handling.json', 'double-opt-in.json', 'import-csv-upload.json', 'transactional-welcome.json']);
	for (const entry of examples.filter((candidate) => publishedByStart(candidate.workflow))) {
		for (const endpoint of liveEndpoints(entry.workflow, base)) expect(output).toContain(`${endpoint.method} ${endpoint.url}`);
	}
	expect(output).toContain(`POST ${base}/webhook/bulk-mail/import-csv`);
	expect(output).not.toContain('Published but not answering yet');
	expect(output).toMatch(/Not published \(scheduled and manual sends, mailbox polling.*\): bounce-mailbox\.json, bounce-report\.json, campaign-report\.json, follow-up-non-openers\.json, weekly-newsletter\.json/);

	// What n8n holds: published exactly the four.
	const db = new DatabaseSync(path.join(userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
	try {
		const rows = db.prepare('SELECT id, active FROM workflow_entity').all() as Array<{ id: string; active: number }>;
		const active = new Map(rows.map((row) => [row.id, Boolean(row.active)]));
		for (const entry of examples) expect([entry.file, active.get(entry.workflow.id)]).toEqual([entry.file, publishedByStart(entry.workflow)]);
	} finally {
		db.close();
	}
});

test("the README's first commands import a CSV upload on a fresh start", () => {
	const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
	const block = /Once it says \*n8n is up\*[^\n]*\n\n```sh\n([\s\S]*?)```/.exec(readme);
	expect(block).not.toBeNull();
	const script = block![1].replaceAll('http://localhost:5678', `http://localhost:${port}`);
	expect(script).toContain(`http://localhost:${port}/webhook/bulk-mail/import-csv`);
	const run = spawnSync('sh', ['-e', '-c', script], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
	expect(run.status).toBe(0);
	const answer = JSON.parse(run.stdout) as Record<string, unknown>;
	expect(answer).toMatchObject({ list: 'Newsletter', rows: 2, created: 2, rejectedRows: [] });
});

test('n8n listens on 127.0.0.1 only', async () => {
	// 0100007F is 127.0.0.1 as /proc/net/tcp writes it; no IPv6 or wildcard listener.
	expect(listeners(port)).toEqual(['0100007F']);
	expect(output).toContain(`listening on 127.0.0.1:${port}`);
	expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
});

test('the welcome example before its list exists: 502 with the reason', async () => {
	const hook = example('transactional-welcome.json').nodes.find((node) => node.name === 'Sign-up Received')!;
	const response = await fetch(`http://localhost:${port}/webhook/${String(hook.parameters.path)}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: 'nao@example.com', name: 'Nao' }),
	});
	expect(response.status).toBe(502);
	expect(await response.json()).toEqual({
		status: 'failed',
		to: 'nao@example.com',
		reason: expect.stringMatching(/There is no list named or numbered 'Customers'/),
	});
});

test("n8n's own answer to JSON it cannot parse carries no stack trace", async () => {
	const bounce = example('bounce-handling.json').nodes.find((node) => node.type === 'n8n-nodes-bulk-mail.bounceWebhookTrigger')!;
	const response = await fetch(`http://localhost:${port}/webhook/${bounce.webhookId}/events`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: '{"events": [',
	});
	expect(response.status).toBe(422);
	const text = await response.text();
	expect(JSON.parse(text)).toMatchObject({ message: 'Failed to parse request body' });
	expect(text).not.toMatch(/stacktrace|node_modules|\/dist\/|    at /);
});
