/**
 * The Import CSV node inside a real n8n 2.40.7 (filesystem binary mode, n8n's default), with the
 * package installed the way n8n's community installer does it, on both stores:
 *
 *   JSON rows → Convert to File (CSV binary) → Import CSV → HTTP Request (a Shift_JIS file from a
 *   local server, as binary) → Import CSV → Import CSV (URL source, unsubscribe mode) →
 *   Subscriber List (Get Many, the list) reads everything back.
 *
 * And a file without an e-mail column fails the execution with the node's clear message.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { openStore } from '../../lib/store/openStore';
import type { StoreConfig } from '../../lib/store/openStore';
import { PG_CONNECTION, storeFixture, type Backend } from '../helpers/stores';
import { fixture, startServer, type TestServer } from '../unit/import/helpers';
import {
	createN8nInstance,
	storedBinary,
	type N8nInstance,
	type WorkflowInput,
	type WorkflowNode,
} from './harness';

jest.setTimeout(300_000);

const IMPORT = 'n8n-nodes-bulk-mail.importCsv';
const SUBSCRIBER_LIST = 'n8n-nodes-bulk-mail.subscriberList';
const IMPORT_NODE_FILE = 'dist/nodes/ImportCsv/ImportCsv.node.js';
const CREDENTIALS: Record<Backend, { id: string; name: string }> = {
	sqlite: { id: 'storeSqlite', name: 'SQLite Store' },
	postgres: { id: 'storePg', name: 'PostgreSQL Store' },
};
const LIST = 'Members';

const members = [
	{ email: 'ann@example.com', name: 'Ann', city: 'Osaka' },
	{ email: 'not-an-email', name: 'Bad Row', city: 'Nowhere' },
	{ email: 'bob@example.com', name: 'Bob', city: 'Kyoto' },
	{ email: 'ann@example.com', name: 'Ann Again', city: 'Nara' },
];

/**
 * Until package.json lists the Import CSV node, add it to the installed copy's manifest (the
 * built file is already in the packed dist/). A no-op once the package registers it itself.
 */
function registerImportCsv(n8n: N8nInstance): void {
	const packageDir = path.join(n8n.userFolder, '.n8n', 'nodes', 'node_modules', n8n.packageName);
	if (!existsSync(path.join(packageDir, IMPORT_NODE_FILE))) {
		throw new Error(`${IMPORT_NODE_FILE} is missing from the installed package: run npm run build`);
	}
	const manifestPath = path.join(packageDir, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
	if (!manifest.n8n.nodes.includes(IMPORT_NODE_FILE)) {
		manifest.n8n.nodes.push(IMPORT_NODE_FILE);
		writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	}
}

function node(
	id: string,
	name: string,
	type: string,
	x: number,
	parameters: Record<string, unknown>,
	extra: Partial<WorkflowNode> = {},
	backend: Backend = 'sqlite',
): WorkflowNode {
	const typeVersion = type.startsWith('n8n-nodes-bulk-mail.')
		? 1
		: ({
				'n8n-nodes-base.manualTrigger': 1,
				'n8n-nodes-base.set': 3.4,
				'n8n-nodes-base.splitOut': 1,
				'n8n-nodes-base.convertToFile': 1.1,
				'n8n-nodes-base.httpRequest': 4.2,
			}[type] ?? 1);
	const credentials = type.startsWith('n8n-nodes-bulk-mail.')
		? { bulkMailSubscriberStoreApi: CREDENTIALS[backend] }
		: undefined;
	return {
		id,
		name,
		type,
		typeVersion,
		position: [x, 0],
		parameters,
		...(credentials ? { credentials } : {}),
		...extra,
	};
}

function chain(names: string[]): Record<string, unknown> {
	const connections: Record<string, unknown> = {};
	for (let index = 0; index < names.length - 1; index++) {
		connections[names[index]] = { main: [[{ node: names[index + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

/** Rows as JSON → one CSV file as binary (Convert to File). */
function csvFromRows(rows: object[], fileName: string): WorkflowNode[] {
	return [
		node('s', 'Rows', 'n8n-nodes-base.set', 200, {
			mode: 'raw',
			jsonOutput: JSON.stringify({ rows }),
			options: {},
		}),
		node('p', 'Split', 'n8n-nodes-base.splitOut', 400, { fieldToSplitOut: 'rows', options: {} }),
		node('f', 'To CSV', 'n8n-nodes-base.convertToFile', 600, {
			operation: 'csv',
			options: { fileName },
		}),
	];
}

function importWorkflow(id: string, serverUrl: string, backend: Backend): WorkflowInput {
	const nodes = [
		node('t', 'Start', 'n8n-nodes-base.manualTrigger', 0, {}),
		...csvFromRows(members, 'members.csv'),
		node(
			'i',
			'Import Members',
			IMPORT,
			800,
			{
				list: LIST,
				options: { createList: true, batchSize: 2 },
			},
			{},
			backend,
		),
		node('h', 'Download Japanese', 'n8n-nodes-base.httpRequest', 1000, {
			url: `${serverUrl}/japanese.csv`,
			options: { response: { response: { responseFormat: 'file' } } },
		}),
		node(
			'j',
			'Import Japanese',
			IMPORT,
			1200,
			{
				list: LIST,
				mappingMode: 'define',
				emailColumn: 'メールアドレス',
				nameColumn: '氏名',
				fieldColumns: { columns: [{ column: '会社', field: 'company', type: 'string' }] },
				options: { encoding: 'shift_jis' },
			},
			{},
			backend,
		),
		node(
			'u',
			'Unsubscribe Via URL',
			IMPORT,
			1400,
			{
				source: 'url',
				url: `${serverUrl}/unsubscribe.csv`,
				list: LIST,
				mode: 'unsubscribe',
				urlOptions: { timeoutSeconds: 10 },
			},
			{},
			backend,
		),
		node(
			'r',
			'Read Back',
			SUBSCRIBER_LIST,
			1600,
			{
				resource: 'subscriber',
				operation: 'getMany',
				returnAll: true,
				filters: { list: LIST },
			},
			{ executeOnce: true },
			backend,
		),
	];
	return {
		id,
		name: `Import CSV round trip (${backend})`,
		nodes,
		connections: chain(nodes.map((n) => n.name)),
		settings: {},
	};
}

function failingWorkflow(id: string): WorkflowInput {
	const nodes = [
		node('t', 'Start', 'n8n-nodes-base.manualTrigger', 0, {}),
		...csvFromRows([{ name: 'Ann', phone: '123' }], 'contacts.csv'),
		node('i', 'Import Contacts', IMPORT, 800, { list: LIST }),
	];
	return {
		id,
		name: 'Import CSV without e-mail column',
		nodes,
		connections: chain(nodes.map((n) => n.name)),
		settings: {},
	};
}

describe('Import CSV in real n8n', () => {
	let n8n: N8nInstance;
	let server: TestServer;
	const pgFixture = storeFixture('postgres');
	let storeConfigs: Record<Backend, StoreConfig>;

	beforeAll(async () => {
		server = await startServer((req, res) => {
			if (req.url === '/japanese.csv') {
				res.writeHead(200, {
					'content-type': 'text/csv',
					'content-disposition': 'attachment; filename="japanese.csv"',
				});
				res.end(readFileSync(fixture('sjis.csv')));
			} else if (req.url === '/unsubscribe.csv') {
				res.writeHead(200, { 'content-type': 'text/csv' });
				res.end('email;reason\nbob@example.com;asked\nstranger@example.com;never here\n');
			} else {
				res.writeHead(404);
				res.end();
			}
		});
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		registerImportCsv(n8n);
		storeConfigs = {
			sqlite: {
				backend: 'sqlite',
				file: 'import.sqlite',
				baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail'),
			},
			postgres: pgFixture.config,
		};
		// One instance, one credential per store, every workflow imported at once: each n8n CLI
		// call boots n8n, which is what makes these tests slow.
		await n8n.importCredentials([
			{
				...CREDENTIALS.sqlite,
				type: 'bulkMailSubscriberStoreApi',
				data: { backend: 'sqlite', file: 'import.sqlite' },
			},
			{
				...CREDENTIALS.postgres,
				type: 'bulkMailSubscriberStoreApi',
				data: {
					backend: 'postgres',
					...PG_CONNECTION,
					ssl: 'disable',
					schema: (pgFixture.config as { schema: string }).schema,
				},
			},
		]);
		await n8n.importWorkflow([
			importWorkflow('wfImportSqlite', server.url, 'sqlite'),
			importWorkflow('wfImportPg', server.url, 'postgres'),
			failingWorkflow('wfImportFail'),
		]);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await server?.close();
		await pgFixture.cleanup();
	});

	it.each([
		['sqlite', 'wfImportSqlite'],
		['postgres', 'wfImportPg'],
	] as Array<[Backend, string]>)(
		'%s store: imports CSV binaries and a URL into a list that Subscriber List reads back',
		async (backend, workflowId) => {
			const result = await n8n.execute(workflowId);
			// n8n's filesystem binary mode: the CSV reached Import CSV as a stored file (streamed by id).
			expect(result.items('To CSV')[0].binary?.data?.id).toMatch(/^filesystem/);
			// The UTF-8 file Convert to File made: 4 rows, one invalid, one duplicate (first wins).
			const [members1] = result.items('Import Members');
			expect(members1.json).toMatchObject({
				rows: 4,
				created: 2,
				updated: 0,
				invalid: 1,
				duplicates: 1,
				committedRows: 3,
				batches: 2,
				list: { name: LIST },
				source: 'members.csv',
				importRunId: expect.any(String),
			});
			const rejected = result.json('Import Members', { output: 1 });
			expect(rejected).toEqual([
				{
					line: 3,
					email: 'not-an-email',
					outcome: 'invalid',
					reason: "Line 3: 'not-an-email' is not a valid e-mail address (column 'email')",
					raw: 'not-an-email,Bad Row,Nowhere',
				},
				expect.objectContaining({ line: 5, email: 'ann@example.com', outcome: 'duplicate' }),
			]);
			// The full report is a CSV binary on the summary item, stored by n8n (filesystem mode).
			const report = members1.binary?.report;
			expect(report).toMatchObject({ fileName: 'members-rejected-rows.csv', mimeType: 'text/csv' });
			const reportCsv: Array<{ line: string }> = parse(
				storedBinary(n8n.userFolder, String(report!.id)),
				{
					columns: true,
					bom: true,
				},
			);
			expect(reportCsv.map((row) => row.line)).toEqual(['3', '5']);

			// Shift_JIS arriving as binary over HTTP, with an explicit mapping by Japanese headers.
			expect(result.json('Import Japanese')[0]).toMatchObject({ rows: 3, created: 3, invalid: 0 });
			expect(result.json('Import Japanese', { output: 1 })).toEqual([]);

			// The URL source in unsubscribe mode: one listed address changed, one not on the list.
			expect(result.json('Unsubscribe Via URL')[0]).toMatchObject({
				rows: 2,
				updated: 1,
				skipped: 1,
				mode: 'unsubscribe',
			});
			expect(result.json('Unsubscribe Via URL', { output: 1 })).toEqual([
				expect.objectContaining({
					line: 3,
					email: 'stranger@example.com',
					outcome: 'skipped-missing',
				}),
			]);

			const read = result.json('Read Back');
			const byEmail = Object.fromEntries(read.map((s) => [s.email, s]));
			expect(Object.keys(byEmail).sort()).toEqual([
				'ann@example.com',
				'bob@example.com',
				'hanako@example.jp',
				'jiro@example.jp',
				'taro@example.jp',
			]);
			expect(byEmail['ann@example.com']).toMatchObject({
				name: 'Ann',
				fields: { city: 'Osaka' },
				status: 'active',
			});
			expect(byEmail['bob@example.com']).toMatchObject({ status: 'unsubscribed' });
			expect(byEmail['hanako@example.jp']).toMatchObject({
				name: '髙﨑 花子',
				fields: { company: '①商事' },
			});

			const store = await openStore(storeConfigs[backend]);
			try {
				const list = await store.getList(LIST);
				expect(await store.countSubscribers({ listId: list!.id })).toBe(5);
				const audit = await store.getAuditLog({ action: 'subscriber.bulk-upsert' }, { limit: 10 });
				expect(audit.items.map((entry) => entry.actor.name).sort()).toEqual([
					`Import CSV round trip (${backend}) / Import Japanese`,
					`Import CSV round trip (${backend}) / Import Members`,
				]);
			} finally {
				await store.close();
			}
		},
	);

	it('a re-run of the same workflow is idempotent: nothing new, nothing lost', async () => {
		const again = await n8n.execute('wfImportSqlite');
		expect(again.json('Import Members')[0]).toMatchObject({
			created: 0,
			unchanged: 2,
			invalid: 1,
			duplicates: 1,
		});
		expect(again.json('Import Japanese')[0]).toMatchObject({ created: 0, unchanged: 3 });
		expect(again.json('Unsubscribe Via URL')[0]).toMatchObject({
			updated: 0,
			unchanged: 1,
			skipped: 1,
		});
		expect(again.json('Read Back')).toHaveLength(5);
	});

	it('fails the execution with a clear, item-numbered message for a file without an e-mail column', async () => {
		const result = await n8n.execute('wfImportFail', { allowFailure: true });
		expect(result.status).toBe('error');
		expect(result.error).toMatchObject({
			node: 'Import Contacts',
			message: expect.stringMatching(
				/^Item 1: No e-mail column found\. Headers found: 'name', 'phone'/,
			),
		});
	});
});
