/**
 * A real n8n 2.40.7 with this package installed the way users get it, for end-to-end tests.
 *
 *   const n8n = await createN8nInstance({ dbType: 'sqlite' });
 *   await n8n.importCredentials([{ id: 'cred1', name: 'Store', type: 'bulkMailSubscriberStoreApi', data: {...} }]);
 *   await n8n.importWorkflow(workflow);            // the workflow JSON needs an `id`
 *   const result = await n8n.execute(workflow.id); // Manual Trigger workflows, via `n8n execute`
 *   result.json('Subscriber List');                // the items a node output
 *   await n8n.cleanup();
 *
 * For triggers and webhooks: `publish(id)` before `start()`, then `waitForWebhook(path)` and real
 * HTTP requests to `webhookUrl(path)`.
 *
 * The package is built if dist/ is stale, packed and installed ONCE per content of dist/ (cached in
 * .tmp/n8n-package/<hash>, shared by every jest worker), then copied into each instance's temp
 * N8N_USER_FOLDER. n8n's own database starts from a migrated template (SQLite file, or a
 * PostgreSQL database used as TEMPLATE), so an instance does not pay for ~300 migrations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	appendFileSync,
	copyFileSync,
	cpSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureN8n, n8nBin, N8N_VERSION, nodeBinary, runtimeDir } from '../../scripts/n8n-runtime';
import { preparedInstall } from '../../scripts/package-install';
import { createDatabase, dropDatabase, freePort, POSTGRES, withPostgres } from '../helpers/services';

export type N8nDbType = 'sqlite' | 'postgres';

export interface N8nInstanceOptions {
	dbType?: N8nDbType;
	/** Extra environment for every n8n process of this instance (wins over the harness's own). */
	env?: Record<string, string>;
}

export interface CredentialInput {
	/** Chosen by the test so workflows can reference it; any short alphanumeric string. */
	id: string;
	name: string;
	/** The credential type's `name`, e.g. `bulkMailSubscriberStoreApi` (no package prefix). */
	type: string;
	/** Plain values; `n8n import:credentials` encrypts them. */
	data: Record<string, unknown>;
}

export interface WorkflowNode {
	id?: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
	[key: string]: unknown;
}

export interface WorkflowInput {
	id: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	active?: boolean;
	[key: string]: unknown;
}

export interface NodeItem {
	json: Record<string, unknown>;
	binary?: Record<string, { data?: string; mimeType?: string; fileName?: string; [key: string]: unknown }>;
	pairedItem?: unknown;
	error?: unknown;
}

export interface NodeRun {
	executionStatus?: string;
	executionTime?: number;
	data?: { main?: Array<NodeItem[] | null> };
	error?: { message?: string; description?: string; [key: string]: unknown };
	[key: string]: unknown;
}

export interface ExecutionError {
	message: string;
	description?: string;
	node?: string;
}

export interface ExecutionResult {
	/** n8n's execution status: 'success', 'error', ... */
	status: string;
	/** Run data per node name, as n8n stores it. */
	runData: Record<string, NodeRun[]>;
	lastNodeExecuted?: string;
	error?: ExecutionError;
	/** The whole IRun object `n8n execute --rawOutput` printed. */
	raw: Record<string, unknown>;
	/** Items one node output (output 0 of run 0 unless told); throws if the node did not run. */
	items(nodeName: string, options?: { output?: number; run?: number }): NodeItem[];
	/** The `json` of those items. */
	json(nodeName: string, options?: { output?: number; run?: number }): Array<Record<string, unknown>>;
}

/** An `n8n worker` process of a queue-mode instance (see N8nInstance.startWorker). */
export interface N8nWorker {
	/** Process id of the worker's Node process (the one that runs the nodes). */
	readonly pid: number;
	/** Port of the worker's health server (`/healthz`, `/healthz/readiness`). */
	readonly healthPort: number;
	/** Everything this worker printed so far. */
	logs(): string;
	/** Stops the worker (its whole process tree). */
	stop(): Promise<void>;
}

export interface CliResult {
	code: number | null;
	output: string;
}

export interface N8nInstance {
	readonly dbType: N8nDbType;
	readonly userFolder: string;
	/** n8n's own PostgreSQL database for dbType 'postgres' (dropped by cleanup()). */
	readonly database: string | undefined;
	/** `n8n-nodes-bulk-mail`; node types are `<packageName>.<nodeName>`. */
	readonly packageName: string;
	/** Port of the started server (after start()). */
	readonly port: number | undefined;
	readonly baseUrl: string;
	/** Runs any n8n CLI command against this instance. */
	cli(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
	importCredentials(credentials: CredentialInput[]): Promise<void>;
	importWorkflow(workflow: WorkflowInput | WorkflowInput[]): Promise<void>;
	/** `n8n execute --id <id> --rawOutput`; throws on a failed execution unless allowFailure. */
	execute(workflowId: string, options?: { allowFailure?: boolean; timeoutMs?: number }): Promise<ExecutionResult>;
	/** `n8n publish:workflow --id=<id>`; do it before start(). */
	publish(workflowId: string): Promise<void>;
	/** Names of every node type this n8n loaded (via `n8n export:nodes`). */
	nodeTypes(): Promise<string[]>;
	/** `n8n start` on a free port (or the one given); waits until healthy unless told not to. */
	start(options?: { port?: number; waitHealthy?: boolean; timeoutMs?: number }): Promise<void>;
	/** Waits for /healthz and for n8n to report the editor URL (startup done). */
	waitHealthy(timeoutMs?: number): Promise<void>;
	/** Waits until a published workflow's webhook is registered (no longer 404). */
	waitForWebhook(webhookPath: string, options?: { method?: string; timeoutMs?: number }): Promise<void>;
	/** `http://127.0.0.1:<port>/webhook/<path>` (for static node paths: `<webhookId>/<path>`). */
	webhookUrl(webhookPath: string): string;
	/**
	 * Queue mode: starts an `n8n worker` on this instance's user folder (same encryption key, same
	 * installed package) and database, and waits until it is ready. Give the instance the queue
	 * environment (EXECUTIONS_MODE=queue, QUEUE_BULL_*) through `env`; needs dbType 'postgres'.
	 */
	startWorker(options?: { concurrency?: number; timeoutMs?: number }): Promise<N8nWorker>;
	/** Everything the n8n processes of this instance printed so far. */
	logs(): string;
	/** Stops the server started by start() (its whole process tree). */
	stop(): Promise<void>;
	/** stop(), stop the workers, remove the user folder and drop the PostgreSQL database. */
	cleanup(): Promise<void>;
}

const QUIET_ENV: Record<string, string> = {
	N8N_DIAGNOSTICS_ENABLED: 'false',
	N8N_PERSONALIZATION_ENABLED: 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
	N8N_TEMPLATES_ENABLED: 'false',
	N8N_SECURE_COOKIE: 'false',
	N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
	// Fetches a server list from api.n8n.io at startup; there is no internet here.
	N8N_DISABLED_MODULES: 'mcp-registry',
	N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
};

// Beside the n8n runtime cache, so every checkout on the machine shares one template (and one lock).
const templatesRoot = path.join(path.dirname(runtimeDir()), 'templates', `n8n-${N8N_VERSION}`);
const PG_TEMPLATE_DB = `bm_n8n_template_${N8N_VERSION.replace(/\W/g, '_')}`;
const running = new Set<ChildProcess>();

/** The parent's environment without anything that would steer n8n (or make it think it is in a test). */
function baseEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|NODE_ENV$|NODE_OPTIONS$|JEST_)/.test(key)) continue;
		env[key] = value;
	}
	const nodeDir = path.dirname(nodeBinary());
	env.PATH = `${nodeDir}${path.delimiter}${env.PATH ?? ''}`;
	return env;
}

function postgresEnv(database: string): Record<string, string> {
	return {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: POSTGRES.host,
		DB_POSTGRESDB_PORT: String(POSTGRES.port),
		DB_POSTGRESDB_DATABASE: database,
		DB_POSTGRESDB_USER: POSTGRES.user,
		DB_POSTGRESDB_PASSWORD: POSTGRES.password,
	};
}

function tail(text: string, chars = 6000): string {
	return text.length > chars ? `…${text.slice(-chars)}` : text;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `n8n <args>` to completion with the Node 24 binary. */
async function runN8n(
	args: string[],
	env: NodeJS.ProcessEnv,
	logFile: string | undefined,
	timeoutMs = 180_000,
): Promise<CliResult> {
	const brokerPort = await freePort();
	return new Promise((resolve, reject) => {
		const child = spawn(nodeBinary(), [n8nBin(), ...args], {
			env: { ...env, N8N_RUNNERS_BROKER_PORT: String(brokerPort) },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		running.add(child);
		let output = '';
		const collect = (chunk: Buffer) => {
			output += chunk.toString('utf8');
			if (logFile) appendFileSync(logFile, chunk);
		};
		child.stdout?.on('data', collect);
		child.stderr?.on('data', collect);
		const timer = setTimeout(() => {
			killTree(child, 'SIGKILL');
			reject(new Error(`\`n8n ${args.join(' ')}\` took longer than ${timeoutMs} ms:\n${tail(output)}`));
		}, timeoutMs);
		child.once('error', (error) => {
			clearTimeout(timer);
			running.delete(child);
			reject(error);
		});
		child.once('close', (code) => {
			clearTimeout(timer);
			running.delete(child);
			resolve({ code, output });
		});
	});
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		try {
			child.kill(signal);
		} catch {
			// already gone
		}
	}
}

/** SIGTERM, then SIGKILL after graceMs; afterwards the whole process group (task runners) is gone. */
async function stopTree(child: ChildProcess, exited: Promise<void>, graceMs = 20_000): Promise<void> {
	killTree(child, 'SIGTERM');
	let timer: NodeJS.Timeout | undefined;
	const stopped = await Promise.race([
		exited.then(() => true),
		new Promise<boolean>((resolve) => {
			timer = setTimeout(() => resolve(false), graceMs);
		}),
	]);
	clearTimeout(timer);
	if (!stopped) {
		killTree(child, 'SIGKILL');
		await exited;
	}
	if (child.pid !== undefined) {
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {
			// group already gone
		}
	}
}

// A test that forgets cleanup() must not leave n8n servers behind when the worker exits.
process.once('exit', () => {
	for (const child of running) killTree(child, 'SIGKILL');
});

async function cliOrThrow(args: string[], env: NodeJS.ProcessEnv, logFile?: string, timeoutMs?: number) {
	const result = await runN8n(args, env, logFile, timeoutMs);
	if (result.code !== 0) {
		throw new Error(`\`n8n ${args.join(' ')}\` exited with ${result.code}:\n${tail(result.output)}`);
	}
	return result;
}

/** mkdir-based lock shared by all jest workers (and processes). */
async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
	mkdirSync(path.dirname(lockDir), { recursive: true });
	const started = Date.now();
	for (;;) {
		try {
			mkdirSync(lockDir);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			try {
				if (Date.now() - statSync(lockDir).mtimeMs > timeoutMs) rmSync(lockDir, { recursive: true, force: true });
			} catch {
				// released meanwhile
			}
			if (Date.now() - started > timeoutMs) throw new Error(`lock ${lockDir} held for too long`);
			await sleep(250);
		}
	}
	try {
		return await fn();
	} finally {
		rmSync(lockDir, { recursive: true, force: true });
	}
}

/** A user folder holding n8n's config (encryption key) and, once migrated, database.sqlite. */
function templateUserFolder(): string {
	const folder = path.join(templatesRoot, 'user');
	const config = path.join(folder, '.n8n', 'config');
	if (!existsSync(config)) {
		mkdirSync(path.dirname(config), { recursive: true });
		writeFileSync(config, JSON.stringify({ encryptionKey: randomBytes(24).toString('base64') }, null, '\t'));
	}
	return folder;
}

async function ensureSqliteTemplate(): Promise<string> {
	const marker = path.join(templatesRoot, 'sqlite.complete');
	if (existsSync(marker)) return templateUserFolder();
	return withLock(path.join(templatesRoot, 'sqlite.lock'), async () => {
		const folder = templateUserFolder();
		if (existsSync(marker)) return folder;
		// Any command runs the migrations; list:workflow does nothing else.
		await cliOrThrow(['list:workflow'], { ...baseEnv(), ...QUIET_ENV, N8N_USER_FOLDER: folder });
		writeFileSync(marker, new Date().toISOString());
		return folder;
	});
}

async function pgTemplateExists(): Promise<boolean> {
	return withPostgres(async (client) => {
		const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_TEMPLATE_DB]);
		return (found.rowCount ?? 0) > 0;
	});
}

async function ensurePostgresTemplate(): Promise<string> {
	const marker = path.join(templatesRoot, 'postgres.complete');
	if (existsSync(marker) && (await pgTemplateExists())) return PG_TEMPLATE_DB;
	return withLock(path.join(templatesRoot, 'postgres.lock'), async () => {
		if (existsSync(marker) && (await pgTemplateExists())) return PG_TEMPLATE_DB;
		await dropDatabase(PG_TEMPLATE_DB);
		await withPostgres((client) => client.query(`CREATE DATABASE "${PG_TEMPLATE_DB}"`));
		await cliOrThrow(['list:workflow'], {
			...baseEnv(),
			...QUIET_ENV,
			N8N_USER_FOLDER: templateUserFolder(),
			...postgresEnv(PG_TEMPLATE_DB),
		});
		writeFileSync(marker, new Date().toISOString());
		return PG_TEMPLATE_DB;
	});
}

/** Finds the pretty-printed IRun JSON (`{` … `}` at column 0) in n8n's console output. */
function extractRun(output: string): Record<string, unknown> | undefined {
	const lines = output.split('\n');
	for (let start = 0; start < lines.length; start++) {
		if (lines[start] !== '{') continue;
		for (let end = start + 1; end < lines.length; end++) {
			if (lines[end] !== '}') continue;
			try {
				return JSON.parse(lines.slice(start, end + 1).join('\n')) as Record<string, unknown>;
			} catch {
				break;
			}
		}
	}
	return undefined;
}

function toExecutionResult(run: Record<string, unknown>): ExecutionResult {
	const data = (run.data ?? {}) as { resultData?: Record<string, unknown> };
	const resultData = data.resultData ?? {};
	const runData = (resultData.runData ?? {}) as Record<string, NodeRun[]>;
	const rawError = resultData.error as
		| { message?: string; description?: string; node?: { name?: string } }
		| undefined;
	const error = rawError
		? { message: rawError.message ?? 'unknown error', description: rawError.description ?? undefined, node: rawError.node?.name }
		: undefined;
	const items = (nodeName: string, { output = 0, run: runIndex = 0 } = {}): NodeItem[] => {
		const runs = runData[nodeName];
		if (!runs) {
			throw new Error(`Node '${nodeName}' did not run; nodes that ran: ${Object.keys(runData).join(', ') || 'none'}`);
		}
		const nodeRun = runs[runIndex];
		if (!nodeRun) throw new Error(`Node '${nodeName}' has ${runs.length} run(s), not a run ${runIndex}`);
		if (nodeRun.error) {
			throw new Error(`Node '${nodeName}' failed: ${nodeRun.error.message ?? JSON.stringify(nodeRun.error)}`);
		}
		return nodeRun.data?.main?.[output] ?? [];
	};
	return {
		status: String(run.status ?? (error ? 'error' : 'success')),
		runData,
		lastNodeExecuted: resultData.lastNodeExecuted as string | undefined,
		error,
		raw: run,
		items,
		json: (nodeName, options) => items(nodeName, options).map((item) => item.json),
	};
}

async function httpStatus(url: string, method = 'GET'): Promise<number> {
	try {
		const response = await fetch(url, { method, signal: AbortSignal.timeout(5000) });
		await response.arrayBuffer();
		return response.status;
	} catch {
		return 0;
	}
}

export async function createN8nInstance(options: N8nInstanceOptions = {}): Promise<N8nInstance> {
	const dbType = options.dbType ?? 'sqlite';
	ensureN8n();
	const prepared = preparedInstall();

	const userFolder = mkdtempSync(path.join(tmpdir(), 'bulk-mail-n8n-'));
	const dotN8n = path.join(userFolder, '.n8n');
	mkdirSync(dotN8n, { recursive: true });
	const logFile = path.join(userFolder, 'n8n.log');
	writeFileSync(logFile, '');

	let database: string | undefined;
	try {
		const templateFolder = dbType === 'sqlite' ? await ensureSqliteTemplate() : templateUserFolder();
		const templateDotN8n = path.join(templateFolder, '.n8n');
		copyFileSync(path.join(templateDotN8n, 'config'), path.join(dotN8n, 'config'));
		if (dbType === 'sqlite') {
			for (const file of readdirSync(templateDotN8n).filter((name) => name.startsWith('database.sqlite'))) {
				copyFileSync(path.join(templateDotN8n, file), path.join(dotN8n, file));
			}
		} else {
			database = await createDatabase('bm_n8n', await ensurePostgresTemplate());
		}
		cpSync(prepared.nodesDir, path.join(dotN8n, 'nodes'), { recursive: true, verbatimSymlinks: true });
	} catch (error) {
		rmSync(userFolder, { recursive: true, force: true });
		if (database) await dropDatabase(database);
		throw error;
	}

	const env: NodeJS.ProcessEnv = {
		...baseEnv(),
		...QUIET_ENV,
		N8N_USER_FOLDER: userFolder,
		...(database ? postgresEnv(database) : {}),
		...options.env,
	};

	let server: ChildProcess | undefined;
	let serverExit: Promise<void> | undefined;
	const workers = new Set<N8nWorker>();
	let port: number | undefined;
	let serverOutput = '';
	/** Spawns a long-running n8n command (start, worker); its output also goes to the log file. */
	const spawnN8n = (args: string[], commandEnv: NodeJS.ProcessEnv, onOutput: (text: string) => void) => {
		const child = spawn(nodeBinary(), [n8nBin(), ...args], {
			env: { ...env, ...commandEnv, ...options.env },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		running.add(child);
		const collect = (chunk: Buffer) => {
			onOutput(chunk.toString('utf8'));
			appendFileSync(logFile, chunk);
		};
		child.stdout?.on('data', collect);
		child.stderr?.on('data', collect);
		const exited = new Promise<void>((resolve) =>
			child.once('close', () => {
				running.delete(child);
				resolve();
			}),
		);
		return { child, exited };
	};
	const cli = (args: string[], cliOptions: { timeoutMs?: number } = {}) =>
		runN8n(args, env, logFile, cliOptions.timeoutMs);
	const writeJson = (name: string, value: unknown) => {
		const file = path.join(userFolder, `${name}-${Date.now()}-${randomBytes(3).toString('hex')}.json`);
		writeFileSync(file, JSON.stringify(value, null, 2));
		return file;
	};
	const baseUrl = () => (port === undefined ? '' : `http://127.0.0.1:${port}`);

	const instance: N8nInstance = {
		dbType,
		userFolder,
		database,
		packageName: prepared.name,
		get port() {
			return port;
		},
		get baseUrl() {
			return baseUrl();
		},
		cli,

		async importCredentials(credentials) {
			const file = writeJson('credentials', credentials);
			await cliOrThrow(['import:credentials', `--input=${file}`], env, logFile);
		},

		async importWorkflow(workflow) {
			const workflows = Array.isArray(workflow) ? workflow : [workflow];
			for (const wf of workflows) {
				if (!wf.id) throw new Error(`Workflow '${wf.name}' needs an id to be imported and executed`);
			}
			const file = writeJson('workflows', workflows);
			await cliOrThrow(['import:workflow', `--input=${file}`], env, logFile);
		},

		async execute(workflowId, { allowFailure = false, timeoutMs } = {}) {
			const { code, output } = await cli(['execute', `--id=${workflowId}`, '--rawOutput'], { timeoutMs });
			const run = extractRun(output);
			if (!run) {
				throw new Error(`\`n8n execute --id=${workflowId}\` printed no run data (exit ${code}):\n${tail(output)}`);
			}
			const result = toExecutionResult(run);
			if (result.error && !allowFailure) {
				const where = result.error.node ? ` in node '${result.error.node}'` : '';
				const description = result.error.description ? ` (${result.error.description})` : '';
				throw new Error(`Workflow ${workflowId} failed${where}: ${result.error.message}${description}`);
			}
			return result;
		},

		async publish(workflowId) {
			await cliOrThrow(['publish:workflow', `--id=${workflowId}`], env, logFile);
		},

		async nodeTypes() {
			const file = path.join(userFolder, `node-types-${Date.now()}.json`);
			await cliOrThrow(['export:nodes', `--output=${file}`], env, logFile);
			// The command ends before its write stream is guaranteed to be flushed on slow disks.
			for (let attempt = 0; attempt < 20; attempt++) {
				try {
					const types = JSON.parse(readFileSync(file, 'utf8')) as Array<{ name: string }>;
					return types.map((type) => type.name);
				} catch {
					await sleep(100);
				}
			}
			throw new Error(`n8n export:nodes wrote no readable ${file}`);
		},

		async start({ port: wantedPort, waitHealthy = true, timeoutMs = 90_000 } = {}) {
			if (server) throw new Error('this n8n instance is already started');
			port = wantedPort ?? (await freePort());
			const brokerPort = await freePort();
			serverOutput = '';
			const started = spawnN8n(
				['start'],
				{
					N8N_PORT: String(port),
					N8N_LISTEN_ADDRESS: '127.0.0.1',
					WEBHOOK_URL: `http://127.0.0.1:${port}/`,
					N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				},
				(text) => (serverOutput += text),
			);
			server = started.child;
			serverExit = started.exited;
			if (waitHealthy) await instance.waitHealthy(timeoutMs);
		},

		async waitHealthy(timeoutMs = 90_000) {
			if (!server || port === undefined) throw new Error('start() the instance first');
			const deadline = Date.now() + timeoutMs;
			while (Date.now() < deadline) {
				if (server.exitCode !== null || server.signalCode !== null) {
					throw new Error(`n8n start exited (${server.exitCode ?? server.signalCode}) before it was healthy:\n${tail(serverOutput)}`);
				}
				if (
					serverOutput.includes('Editor is now accessible via') &&
					(await httpStatus(`${baseUrl()}/healthz`)) === 200
				) {
					return;
				}
				await sleep(200);
			}
			throw new Error(`n8n on port ${port} was not healthy within ${timeoutMs} ms:\n${tail(serverOutput)}`);
		},

		async waitForWebhook(webhookPath, { method = 'POST', timeoutMs = 60_000 } = {}) {
			const url = instance.webhookUrl(webhookPath);
			// Probe with another method so the workflow does not run: n8n answers "not registered for
			// PATCH requests. Did you mean …" once the path is registered, "is not registered" before.
			const probe = method.toUpperCase() === 'PATCH' ? 'PUT' : 'PATCH';
			const deadline = Date.now() + timeoutMs;
			// n8n 2.40 registers published workflows' webhooks a few seconds after startup.
			while (Date.now() < deadline) {
				const response = await fetch(url, { method: probe, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
				const body = response ? await response.text() : '';
				if (response && (response.status !== 404 || body.includes('not registered for'))) return;
				await sleep(300);
			}
			throw new Error(`webhook ${method} ${url} was not registered within ${timeoutMs} ms:\n${tail(serverOutput)}`);
		},

		webhookUrl(webhookPath) {
			if (port === undefined) throw new Error('start() the instance first');
			return `${baseUrl()}/webhook/${webhookPath.replace(/^\/+/, '')}`;
		},

		async startWorker({ concurrency = 10, timeoutMs = 120_000 } = {}) {
			if (dbType !== 'postgres') {
				throw new Error("queue-mode workers need n8n's database on PostgreSQL: createN8nInstance({ dbType: 'postgres' })");
			}
			const healthPort = await freePort();
			const brokerPort = await freePort();
			const config = JSON.parse(readFileSync(path.join(dotN8n, 'config'), 'utf8')) as { encryptionKey: string };
			let output = '';
			const { child, exited } = spawnN8n(
				['worker', `--concurrency=${concurrency}`],
				{
					EXECUTIONS_MODE: 'queue',
					// every process of a queue-mode setup must decrypt the same credentials
					N8N_ENCRYPTION_KEY: config.encryptionKey,
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
					N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				},
				(text) => (output += text),
			);
			const worker: N8nWorker = {
				pid: child.pid!,
				healthPort,
				logs: () => output,
				async stop() {
					workers.delete(worker);
					await stopTree(child, exited);
				},
			};
			workers.add(worker);
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				if (child.exitCode !== null || child.signalCode !== null) {
					workers.delete(worker);
					throw new Error(`n8n worker exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(output)}`);
				}
				if (
					output.includes('n8n worker is now ready') &&
					(await httpStatus(`http://127.0.0.1:${healthPort}/healthz/readiness`)) === 200
				) {
					return worker;
				}
				if (Date.now() > deadline) {
					await worker.stop();
					throw new Error(`n8n worker was not ready within ${timeoutMs} ms:\n${tail(output)}`);
				}
				await sleep(250);
			}
		},

		logs() {
			return readFileSync(logFile, 'utf8');
		},

		async stop() {
			const child = server;
			if (!child) return;
			// the task runner lives in the same process group: stopTree ends it too
			await stopTree(child, serverExit!);
			server = undefined;
			serverExit = undefined;
		},

		async cleanup() {
			await instance.stop();
			await Promise.all([...workers].map((worker) => worker.stop()));
			rmSync(userFolder, { recursive: true, force: true });
			if (database) await dropDatabase(database);
		},
	};
	return instance;
}

/** The file n8n stored for a binary id (filesystem binary mode, n8n's default) under the user folder. */
export function storedBinary(userFolder: string, binaryId: string): Buffer {
	const baseName = path.basename(binaryId.split(':').pop()!);
	const found: string[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir)) {
			const full = path.join(dir, entry);
			if (statSync(full).isDirectory()) walk(full);
			else if (entry === baseName) found.push(full);
		}
	};
	walk(path.join(userFolder, '.n8n'));
	if (found.length !== 1) throw new Error(`binary ${binaryId}: found ${found.length} files`);
	return readFileSync(found[0]);
}
