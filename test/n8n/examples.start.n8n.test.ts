/**
 * What `npm start` does to a new n8n user folder before it starts n8n (scripts/examples.js):
 * it creates the three credentials the examples reference and imports every example workflow,
 * into a real n8n 2.40.7; a second run imports nothing. Every credential a node references is
 * one `npm start` created, with the type the node expects. (That the examples' nodes load and
 * run is examples.n8n.test.ts.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLE_CREDENTIALS, exampleFiles, importExamples } from '../../scripts/examples';
import { createN8nInstance, type N8nInstance, type WorkflowInput } from './harness';

jest.setTimeout(300_000);

let n8n: N8nInstance;

beforeAll(async () => {
	n8n = await createN8nInstance({ dbType: 'sqlite' });
});

afterAll(async () => {
	await n8n?.cleanup();
});

async function runCli(args: string[]): Promise<void> {
	const result = await n8n.cli(args);
	if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} exited with ${result.code}:\n${result.output.slice(-3000)}`);
}

async function exported<T>(what: 'credentials' | 'workflow', extra: string[] = []): Promise<T[]> {
	const file = path.join(n8n.userFolder, `export-${what}-${Date.now()}.json`);
	await runCli([`export:${what}`, '--all', `--output=${file}`, ...extra]);
	return JSON.parse(readFileSync(file, 'utf8')) as T[];
}

test('npm start imports the example workflows and creates the credentials they use, once', async () => {
	const files = exampleFiles();
	expect(files.length).toBeGreaterThanOrEqual(4);
	const log: string[] = [];
	const first = await importExamples({ userFolder: n8n.userFolder, runCli, log: (line) => log.push(line), port: 5999 });
	expect(first.credentials.sort()).toEqual(Object.values(EXAMPLE_CREDENTIALS).map((c) => c.id).sort());
	expect(first.workflows).toEqual(files.map((file) => path.basename(file)));
	// Published: the examples whose triggers only answer requests; the scheduled ones stay off.
	expect(first.published).toEqual(['bounce-handling.json', 'double-opt-in.json', 'import-csv-upload.json', 'transactional-welcome.json']);

	// Nothing twice: the credentials (and edits to them) stay, unchanged files are not re-imported.
	const second = await importExamples({ userFolder: n8n.userFolder, runCli, port: 5999 });
	expect(second).toEqual({ credentials: [], workflows: [], published: [] });

	const credentials = await exported<{ id: string; name: string; type: string; data: Record<string, unknown> }>('credentials', ['--decrypted']);
	const byId = new Map(credentials.map((credential) => [credential.id, credential]));
	const store = byId.get(EXAMPLE_CREDENTIALS.store.id)!;
	expect(store).toMatchObject({ name: EXAMPLE_CREDENTIALS.store.name, type: 'bulkMailSubscriberStoreApi' });
	expect(store.data).toMatchObject({
		backend: 'sqlite',
		file: 'examples.sqlite',
		publicBaseUrl: expect.stringMatching(/^https:\/\/localhost:5999\/webhook\/[0-9a-f-]{36}$/),
	});
	expect(String(store.data.signingSecret).length).toBeGreaterThanOrEqual(16);
	expect(byId.get(EXAMPLE_CREDENTIALS.smtp.id)).toMatchObject({
		type: 'bulkMailSmtpApi',
		data: { host: 'localhost', port: 1025, security: 'none', allowPlain: true },
	});
	// The mailbox example's credential is a placeholder to fill in, TLS and certificate checks on.
	expect(byId.get(EXAMPLE_CREDENTIALS.mailbox.id)).toMatchObject({
		type: 'bulkMailBounceMailboxApi',
		data: { security: 'tls', port: 993, allowSelfSigned: false },
	});
	const bounce = byId.get(EXAMPLE_CREDENTIALS.bounce.id)!;
	expect(bounce.type).toBe('bulkMailBounceWebhookApi');
	expect(String(bounce.data.genericSecret).length).toBeGreaterThanOrEqual(16);
	// The secrets are random, never printed, and stored encrypted (not in n8n's database file).
	const secrets = [String(store.data.signingSecret), String(bounce.data.genericSecret)];
	const database = readFileSync(path.join(n8n.userFolder, '.n8n', 'database.sqlite'));
	for (const secret of secrets) {
		expect(log.join('\n')).not.toContain(secret);
		expect(database.includes(secret)).toBe(false);
	}

	// Every example is in n8n as shipped, and its credentials are the ones above.
	const workflows = await exported<WorkflowInput>('workflow');
	const typeOf = new Map(Object.values(EXAMPLE_CREDENTIALS).map((c) => [c.id, c.type]));
	for (const file of files) {
		const example = JSON.parse(readFileSync(file, 'utf8')) as WorkflowInput;
		const imported = workflows.find((workflow) => workflow.id === example.id);
		expect(imported?.name).toBe(example.name);
		expect(imported!.nodes.map((node) => node.name).sort()).toEqual(example.nodes.map((node) => node.name).sort());
		for (const node of example.nodes) {
			for (const [type, reference] of Object.entries(node.credentials ?? {})) {
				expect([file, node.name, typeOf.get(reference.id)]).toEqual([file, node.name, type]);
			}
		}
	}
});
