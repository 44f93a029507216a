/**
 * Proves the real-n8n harness on n8n's default SQLite database: the packed package is installed
 * the way n8n's community installer does it and n8n loads it; `n8n execute` runs a workflow and
 * its run data comes back per node; credentials import; `n8n start` serves a published webhook
 * over real HTTP. (harness.postgres.test.ts covers n8n on PostgreSQL.)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createN8nInstance, type N8nInstance } from './harness';
import { failingWorkflow, manualSetWorkflow, webhookEchoWorkflow } from './builtinWorkflows';

jest.setTimeout(240_000);

const projectRoot = path.join(__dirname, '..', '..');
const projectPackage = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[] };
};

/** `<package>.<node name>` for every node listed in package.json, read from the built classes. */
function expectedNodeTypes(): string[] {
	return projectPackage.n8n.nodes.map((file) => {
		const className = path.basename(file).replace(/\.node\.js$/, '');
		const moduleExports = require(path.join(projectRoot, file)) as Record<string, new () => unknown>;
		const node = new moduleExports[className]() as { description: { name: string } };
		return `${projectPackage.name}.${node.description.name}`;
	});
}

const timings: Record<string, number> = {};
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
	const started = Date.now();
	try {
		return await fn();
	} finally {
		timings[label] = Date.now() - started;
	}
}

describe('n8n harness on the embedded SQLite database', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await timed('create instance', () => createN8nInstance({ dbType: 'sqlite' }));
		await timed('import 3 workflows', () =>
			n8n.importWorkflow([
				manualSetWorkflow('harnessManual01'),
				failingWorkflow('harnessFail0001', 'deliberate failure'),
				webhookEchoWorkflow('harnessHook0001', 'harness-ping'),
			]),
		);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		process.stderr.write(`[harness timings ms, sqlite] ${JSON.stringify(timings)}\n`);
	});

	it('installs the packed package the way the n8n community installer does', () => {
		const nodesDir = path.join(n8n.userFolder, '.n8n', 'nodes');
		const installedDir = path.join(nodesDir, 'node_modules', projectPackage.name);
		const installed = JSON.parse(readFileSync(path.join(installedDir, 'package.json'), 'utf8'));
		expect(installed.name).toBe(projectPackage.name);
		expect(installed.devDependencies).toBeUndefined();
		expect(installed.peerDependencies).toBeUndefined();
		expect(installed.optionalDependencies).toBeUndefined();
		// Runtime dependencies were installed beside it by npm, dev dependencies were not.
		expect(existsSync(path.join(installedDir, 'node_modules', 'nodemailer', 'package.json'))).toBe(true);
		expect(existsSync(path.join(installedDir, 'node_modules', 'jest'))).toBe(false);
		expect(existsSync(path.join(installedDir, 'dist'))).toBe(true);
		expect(existsSync(path.join(installedDir, 'test'))).toBe(false);
		const listing = JSON.parse(readFileSync(path.join(nodesDir, 'package.json'), 'utf8'));
		expect(listing.dependencies[projectPackage.name]).toBe(installed.version);
	});

	it('n8n loads every node the package lists, under the package name', async () => {
		const types = await timed('export:nodes', () => n8n.nodeTypes());
		const ours = expectedNodeTypes();
		expect(ours).toContain(`${projectPackage.name}.subscriberList`);
		expect(types).toContain('n8n-nodes-base.set');
		expect(types).toEqual(expect.arrayContaining(ours));
		expect(n8n.logs()).not.toMatch(/Failed to load package/);
	});

	it('executes a workflow and returns each node run data', async () => {
		const result = await timed('execute', () => n8n.execute('harnessManual01'));
		expect(result.status).toBe('success');
		expect(Object.keys(result.runData)).toEqual(['Start', 'Set Greeting']);
		expect(result.json('Set Greeting')).toEqual([{ greeting: 'hello', answer: 42 }]);
		expect(result.items('Set Greeting')[0].pairedItem).toEqual({ item: 0 });
		expect(() => result.items('Nope')).toThrow("Node 'Nope' did not run; nodes that ran: Start, Set Greeting");
	});

	it('reports a failed execution with the failing node and its message', async () => {
		await expect(n8n.execute('harnessFail0001')).rejects.toThrow(
			"Workflow harnessFail0001 failed in node 'Boom': deliberate failure",
		);
		const result = await n8n.execute('harnessFail0001', { allowFailure: true });
		expect(result.status).toBe('error');
		expect(result.error).toMatchObject({ message: 'deliberate failure', node: 'Boom' });
		expect(result.json('Start')).toEqual([{}]);
		expect(() => result.items('Boom')).toThrow("Node 'Boom' failed: deliberate failure");
	});

	it('imports credentials given as plain data, which n8n stores encrypted', async () => {
		await n8n.importCredentials([
			{ id: 'harnessCred0001', name: 'Harness basic auth', type: 'httpBasicAuth', data: { user: 'ann', password: 's3cret' } },
		]);
		const db = new DatabaseSync(path.join(n8n.userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
		const row = db.prepare('SELECT type, data FROM credentials_entity WHERE id = ?').get('harnessCred0001') as
			| { type: string; data: string }
			| undefined;
		db.close();
		expect(row?.type).toBe('httpBasicAuth');
		expect(row?.data).not.toContain('s3cret');

		const exported = path.join(n8n.userFolder, 'decrypted-credentials.json');
		const result = await n8n.cli(['export:credentials', '--id=harnessCred0001', '--decrypted', `--output=${exported}`]);
		expect(result.code).toBe(0);
		const [credential] = JSON.parse(readFileSync(exported, 'utf8'));
		expect(credential.data).toEqual({ user: 'ann', password: 's3cret' });
	});

	it('serves a published webhook workflow from `n8n start`, then stops cleanly', async () => {
		await n8n.publish('harnessHook0001');
		await timed('start until healthy', () => n8n.start());
		const health = await fetch(`${n8n.baseUrl}/healthz`);
		expect(await health.json()).toEqual({ status: 'ok' });
		await timed('webhook registered after healthy', () => n8n.waitForWebhook('harness-ping'));

		const response = await fetch(n8n.webhookUrl('harness-ping'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ ping: 'hello' }),
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ pong: 'HELLO' });

		const baseUrl = n8n.baseUrl;
		await timed('stop', () => n8n.stop());
		await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
	});
});
