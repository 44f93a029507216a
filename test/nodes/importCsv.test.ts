/**
 * The Import CSV node driven through the strict IExecuteFunctions mock, on a real SQLite store and
 * a real PostgreSQL schema: binary and URL sources, every mode, Shift_JIS, explicit mapping with
 * typed fields, the rejected-rows output and CSV report, continueOnFail, partial commits and the
 * errors a user sees.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INodeExecutionData,
} from 'n8n-workflow';

import { ImportCsv } from '../../nodes/ImportCsv/ImportCsv.node';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { binaryItem, createExecuteMock, type ExecuteMockOptions } from '../helpers/n8nMock';
import {
	BACKENDS,
	PG_CONNECTION,
	storeFixture,
	type Backend,
	type StoreFixture,
} from '../helpers/stores';
import { allSubscribers, fixture, startServer, type TestServer } from '../unit/import/helpers';

jest.setTimeout(60_000);

const node = new ImportCsv();
const ACTOR = { type: 'test' };
const read = (name: string) => readFileSync(fixture(name));

/** A mock run with the cancel signal n8n gives every execution (the shared mock has none). */
type RunOptions = ExecuteMockOptions & { signal?: AbortSignal };

async function run(credentials: ICredentialDataDecryptedObject, options: RunOptions = {}) {
	const mock = createExecuteMock(node, {
		...options,
		credentials: { bulkMailSubscriberStoreApi: credentials },
	});
	const signal = options.signal ?? new AbortController().signal;
	const context = new Proxy(mock.context, {
		get: (target, property) =>
			property === 'getExecutionCancelSignal' ? () => signal : Reflect.get(target, property),
	});
	const output = (await node.execute.call(context)) as INodeExecutionData[][];
	return { output, mock, summary: output[0], rejected: output[1] };
}

async function runError(
	credentials: ICredentialDataDecryptedObject,
	options: RunOptions,
): Promise<NodeOperationError> {
	try {
		await run(credentials, options);
	} catch (error) {
		if (error instanceof NodeOperationError) return error;
		throw error;
	}
	throw new Error('Expected the node to fail, but it succeeded');
}

const csvItem = (content: Buffer | string, fileName = 'subscribers.csv', json: IDataObject = {}) =>
	binaryItem(json, { data: { content, fileName, mimeType: 'text/csv' } });

function reportRows(item: INodeExecutionData): Array<Record<string, string>> {
	const binary = item.binary?.report;
	if (!binary) throw new Error('the summary item has no report binary');
	expect(binary).toMatchObject({
		mimeType: 'text/csv',
		fileName: expect.stringMatching(/-rejected-rows\.csv$/),
	});
	return parse(Buffer.from(binary.data, 'base64'), { columns: true, bom: true });
}

// Reports are written to os.tmpdir(): point it at a folder of this file's own to prove none is left.
let reportDir = '';
let tmpdirSpy: jest.SpyInstance | undefined;
beforeAll(() => {
	reportDir = mkdtempSync(path.join(os.tmpdir(), 'import-node-'));
	tmpdirSpy = jest.spyOn(os, 'tmpdir').mockReturnValue(reportDir);
});
afterAll(() => {
	tmpdirSpy?.mockRestore();
	rmSync(reportDir, { recursive: true, force: true });
});
afterEach(() => {
	expect(readdirSync(reportDir).filter((name) => name.endsWith('.csv'))).toEqual([]);
});

describe.each(BACKENDS)('Import CSV node (%s store)', (backend: Backend) => {
	let storeFix: StoreFixture;
	let store: SqlSubscriberStore;
	let credentials: ICredentialDataDecryptedObject;
	let listCounter = 0;
	const previousDir = process.env.BULK_MAIL_STORE_DIR;
	const newList = async (label = 'list') => {
		const list = await store.createList({ name: `${label}-${++listCounter}` }, ACTOR);
		return list;
	};

	beforeAll(async () => {
		storeFix = storeFixture(backend);
		store = await storeFix.open();
		if (storeFix.config.backend === 'sqlite') {
			process.env.BULK_MAIL_STORE_DIR = storeFix.config.baseDir;
			credentials = { backend: 'sqlite', file: storeFix.config.file };
		} else {
			credentials = {
				backend: 'postgres',
				...PG_CONNECTION,
				ssl: 'disable',
				schema: storeFix.config.schema!,
			};
		}
	});
	afterAll(async () => {
		await store?.close();
		await storeFix?.cleanup();
		if (previousDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
		else process.env.BULK_MAIL_STORE_DIR = previousDir;
	});

	it('imports a binary CSV with typed fields: summary, rejected rows, CSV report, store contents', async () => {
		const list = await newList();
		const { summary, rejected, mock } = await run(credentials, {
			items: [csvItem(read('bad-rows.csv'), 'bad-rows.csv')],
			parameters: {
				list: list.name,
				mappingMode: 'define',
				emailColumn: 'email',
				nameColumn: '2',
				fieldColumns: {
					columns: [
						{ column: 'age', type: 'number' },
						{ column: 'birthday', field: 'born', type: 'date' },
						{ column: 'vip', type: 'boolean' },
					],
				},
			},
		});

		expect(summary).toHaveLength(1);
		expect(summary[0].pairedItem).toEqual({ item: 0 });
		expect(summary[0].json).toMatchObject({
			rows: 10,
			created: 3,
			updated: 0,
			unchanged: 0,
			skipped: 0,
			invalid: 6,
			duplicates: 1,
			importRunId: expect.stringMatching(/^[0-9a-f-]{36}$/),
			list: { id: list.id, name: list.name },
			mode: 'upsert',
			dryRun: false,
			committedRows: 4,
			rejected: 7,
			rejectedInOutput: 7,
			source: 'bad-rows.csv',
		});
		expect(summary[0].json.durationMs).toEqual(expect.any(Number));

		expect(rejected.map((item) => item.json.line)).toEqual([3, 4, 5, 6, 7, 8, 12]);
		expect(rejected.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
		expect(rejected[0].json).toEqual({
			line: 3,
			email: 'not-an-email',
			outcome: 'invalid',
			reason: "Line 3: 'not-an-email' is not a valid e-mail address (column 'email')",
			raw: 'not-an-email,Two,31,1990/1/2,no',
		});
		expect(rejected[3].json.reason).toMatch(
			/Line 6: column 'birthday' \(field 'born'\): '1990-02-30' is not a valid date/,
		);
		expect(rejected[6].json).toMatchObject({ outcome: 'duplicate', email: 'ok1@example.com' });

		const report = reportRows(summary[0]);
		expect(report.map((row) => Number(row.line))).toEqual([3, 4, 5, 6, 7, 8, 12]);
		expect(report[2]).toMatchObject({
			email: 'ok4@example.com',
			raw: 'ok4@example.com,Four,abc,1990-01-02,true',
		});
		expect(mock.preparedBinaries).toHaveLength(1);

		const stored = await allSubscribers(store, list.id);
		expect(stored.map((s) => s.email).sort()).toEqual([
			'ok1@example.com',
			'ok8@example.com',
			'ok9@example.com',
		]);
		const one = stored.find((s) => s.email === 'ok1@example.com')!;
		// First one wins: line 12's "Duplicate" did not overwrite line 2.
		expect(one).toMatchObject({ name: 'One', fields: { age: 30, born: '1990-01-02', vip: true } });
		expect(Object.keys(one.fields).sort()).toEqual(['age', 'born', 'vip']);
		const audit = await store.getAuditLog({ action: 'subscriber.bulk-upsert' }, { limit: 100 });
		expect(audit.items.find((entry) => entry.entityId === list.id)?.actor).toMatchObject({
			type: 'n8n',
			id: 'wf-test/exec-1',
			name: 'Test workflow / Import CSV',
		});
	});

	it('reads a Shift_JIS (CP932) Excel file, auto-detected or declared, by Japanese headers', async () => {
		const list = await newList('sjis');
		const auto = await run(credentials, {
			items: [csvItem(read('sjis.csv'), '会員.csv')],
			parameters: { list: list.name },
		});
		expect(auto.summary[0].json).toMatchObject({
			rows: 3,
			created: 3,
			invalid: 0,
			source: '会員.csv',
		});
		expect((auto.summary[0].json.detected as IDataObject).encoding).toBe('shift_jis');
		expect(auto.summary[0].binary).toBeUndefined();
		expect(auto.rejected).toEqual([]);
		const stored = await allSubscribers(store, list.id);
		expect(stored.find((s) => s.email === 'hanako@example.jp')).toMatchObject({
			name: '髙﨑 花子',
			fields: { 会社: '①商事' },
		});
		expect(stored.find((s) => s.email === 'jiro@example.jp')?.fields).toEqual({
			会社: '～波ダッシュ～',
		});

		const declared = await run(credentials, {
			items: [csvItem(read('sjis.csv'))],
			parameters: { list: list.name, options: { encoding: 'shift_jis', delimiter: ',' } },
		});
		expect(declared.summary[0].json).toMatchObject({ rows: 3, created: 0, unchanged: 3 });
	});

	it('reads UTF-8 with BOM, semicolons and tabs, skip lines, no header row and a custom delimiter', async () => {
		const list = await newList('formats');
		const bom = await run(credentials, {
			items: [csvItem(read('utf8-bom.csv'))],
			parameters: { list: list.name, options: { encoding: 'utf-8-bom' } },
		});
		expect(bom.summary[0].json).toMatchObject({ rows: 3, created: 3 });

		const tsv = await run(credentials, {
			items: [csvItem(read('tab.tsv'), 'people.tsv')],
			parameters: { list: list.name, options: { delimiter: 'tab' } },
		});
		expect(tsv.summary[0].json).toMatchObject({ rows: 2, created: 2 });

		const noHeader =
			'Export of 2024-04-01\n\nx1@example.com^Xavier One^Osaka\nx2@example.com^Xavier Two^Kobe\n';
		const custom = await run(credentials, {
			items: [csvItem(noHeader)],
			parameters: {
				list: list.name,
				mappingMode: 'define',
				emailColumn: '1',
				nameColumn: '2',
				fieldColumns: { columns: [{ column: '3', field: 'city' }] },
				options: { delimiter: 'custom', customDelimiter: '^', headerRow: false, skipLines: 2 },
			},
		});
		expect(custom.summary[0].json).toMatchObject({ rows: 2, created: 2, invalid: 0 });
		expect(await store.getSubscriber({ listId: list.id, email: 'x2@example.com' })).toMatchObject({
			name: 'Xavier Two',
			fields: { city: 'Kobe' },
		});
	});

	it('runs each mode: create only, update only, unsubscribe, suppress, trash', async () => {
		const list = await newList('modes');
		const seed = 'email,name\na@example.com,A\nb@example.com,B\n';
		await run(credentials, { items: [csvItem(seed)], parameters: { list: list.name } });
		const file = 'email,name\na@example.com,A2\nc@example.com,C\n';
		const runMode = async (mode: string) =>
			(await run(credentials, { items: [csvItem(file)], parameters: { list: list.name, mode } }))
				.summary[0].json;

		expect(await runMode('createOnly')).toMatchObject({ created: 1, updated: 0, skipped: 1 });
		expect(await runMode('updateOnly')).toMatchObject({
			created: 0,
			updated: 1,
			unchanged: 1,
			skipped: 0,
		});
		expect((await store.getSubscriber({ listId: list.id, email: 'a@example.com' }))?.name).toBe(
			'A2',
		);

		expect(await runMode('unsubscribe')).toMatchObject({
			rows: 2,
			updated: 2,
			skipped: 0,
			mode: 'unsubscribe',
		});
		expect((await store.getSubscriber({ listId: list.id, email: 'c@example.com' }))?.status).toBe(
			'unsubscribed',
		);
		expect(await runMode('unsubscribe')).toMatchObject({ updated: 0, unchanged: 2 });

		const other = 'email\nb@example.com\nnobody@example.com\n';
		const suppress = await run(credentials, {
			items: [csvItem(other)],
			parameters: { list: list.name, mode: 'suppress' },
		});
		expect(suppress.summary[0].json).toMatchObject({ rows: 2, mode: 'suppress' });
		expect(await store.isSuppressed('nobody@example.com')).toBe(true);
		expect(await store.isSuppressed('b@example.com')).toBe(true);

		const trash = await run(credentials, {
			items: [csvItem(other)],
			parameters: { list: list.name, mode: 'trash' },
		});
		expect(trash.summary[0].json).toMatchObject({ updated: 1, skipped: 1 });
		expect(trash.rejected).toHaveLength(1);
		expect(trash.rejected[0].json).toMatchObject({
			line: 3,
			outcome: 'skipped-missing',
			email: 'nobody@example.com',
		});
		expect((await store.getSubscriber({ listId: list.id, email: 'b@example.com' }))?.status).toBe(
			'trashed',
		);
	});

	it('never reactivates a blocked address unless Confirm Consent to Reactivate is on', async () => {
		const list = await newList('consent');
		await run(credentials, {
			items: [csvItem('email\nback@example.com\n')],
			parameters: { list: list.name },
		});
		await run(credentials, {
			items: [csvItem('email\nback@example.com\n')],
			parameters: { list: list.name, mode: 'unsubscribe' },
		});
		// Suppressed by an earlier provider's list, and not on this list yet.
		await run(credentials, {
			items: [csvItem('email\ngone@example.com\n')],
			parameters: { list: list.name, mode: 'suppress' },
		});
		const file = 'email,name\nback@example.com,Back\ngone@example.com,Gone\n';
		const again = await run(credentials, {
			items: [csvItem(file)],
			parameters: { list: list.name },
		});
		expect(again.summary[0].json).toMatchObject({ updated: 1, skipped: 1, created: 0 });
		expect(again.rejected.map((item) => item.json)).toEqual([
			expect.objectContaining({
				line: 3,
				email: 'gone@example.com',
				outcome: 'skipped-suppressed',
			}),
		]);
		expect(await store.getSubscriber({ listId: list.id, email: 'back@example.com' })).toMatchObject(
			{
				name: 'Back',
				status: 'unsubscribed',
			},
		);
		expect(await store.getSubscriber({ listId: list.id, email: 'gone@example.com' })).toBeNull();

		const consented = await run(credentials, {
			items: [csvItem(file)],
			parameters: { list: list.name, options: { allowReactivate: true } },
		});
		expect(consented.summary[0].json).toMatchObject({ updated: 1, created: 1, skipped: 0 });
		expect(
			(await store.getSubscriber({ listId: list.id, email: 'back@example.com' }))?.status,
		).toBe('active');
		expect(
			(await store.getSubscriber({ listId: list.id, email: 'gone@example.com' }))?.status,
		).toBe('active');
	});

	it('creates a missing list only when told, and a dry run writes nothing', async () => {
		const name = `fresh-${backend}-${Date.now()}`;
		const missing = await runError(credentials, {
			items: [csvItem('email\na@example.com\n')],
			parameters: { list: name },
		});
		expect(missing.message).toBe(
			`Item 1: The list '${name}' does not exist; create it first or turn on "create the list"`,
		);
		expect(missing.description).toMatch(/Create List If Missing/);

		const dry = await run(credentials, {
			items: [csvItem('email\na@example.com\nbad\n')],
			parameters: { list: name, options: { createList: true, dryRun: true } },
		});
		expect(dry.summary[0].json).toMatchObject({
			rows: 2,
			valid: 1,
			invalid: 1,
			created: 0,
			dryRun: true,
			committedRows: 0,
			list: { id: null, name },
		});
		expect(dry.summary[0].json.warnings).toEqual([expect.stringMatching(/does not exist yet/)]);
		expect(dry.mock.hints[0]).toMatchObject({
			message: expect.stringMatching(/^Item 1: The list .* does not exist yet/),
		});
		expect(dry.rejected).toHaveLength(1);
		expect(await store.getList(name)).toBeNull();

		const real = await run(credentials, {
			items: [csvItem('email\na@example.com\n')],
			parameters: { list: name, options: { createList: true } },
		});
		const created = await store.getList(name);
		expect(real.summary[0].json).toMatchObject({ created: 1, list: { id: created!.id, name } });
	});

	it('caps the Rejected Rows output while the report file keeps every rejected row', async () => {
		const list = await newList('cap');
		let csv = 'email,name\n';
		for (let index = 1; index <= 30; index++) csv += `broken-${index},Row ${index}\n`;
		csv += 'fine@example.com,Fine\n';
		const { summary, rejected, mock } = await run(credentials, {
			items: [csvItem(csv, 'cap.csv')],
			parameters: { list: list.name, options: { maxRejectedRows: 5, batchSize: 7 } },
		});
		expect(summary[0].json).toMatchObject({
			rows: 31,
			invalid: 30,
			created: 1,
			rejected: 30,
			rejectedInOutput: 5,
		});
		expect(rejected.map((item) => item.json.line)).toEqual([2, 3, 4, 5, 6]);
		const report = reportRows(summary[0]);
		expect(report).toHaveLength(30);
		expect(report[29]).toMatchObject({ line: '31', email: 'broken-30', raw: 'broken-30,Row 30' });
		expect(summary[0].binary!.report.fileName).toBe('cap-rejected-rows.csv');
		expect(mock.hints.map((hint) => hint.message)).toContain(
			"Item 1: 30 rows were rejected; the Rejected Rows output has the first 5, the 'report' file has them all",
		);
	});

	it('imports several input items, one summary each, with their own pairing', async () => {
		const first = await newList('multi');
		const second = await newList('multi');
		const { summary, rejected } = await run(credentials, {
			items: [
				csvItem('email\none@example.com\nnope\n', 'a.csv', { target: first.name }),
				csvItem('email\ntwo@example.com\nthree@example.com\n', 'b.csv', { target: second.name }),
			],
			parameters: { list: '={{ $json.target }}' },
		});
		expect(
			summary.map((item) => [
				item.pairedItem,
				item.json.created,
				(item.json.list as IDataObject).name,
			]),
		).toEqual([
			[{ item: 0 }, 1, first.name],
			[{ item: 1 }, 2, second.name],
		]);
		expect(summary[0].binary?.report).toBeDefined();
		expect(summary[1].binary).toBeUndefined();
		expect(rejected).toHaveLength(1);
		expect(rejected[0].pairedItem).toEqual({ item: 0 });
	});

	describe('bad input', () => {
		let list: { id: string; name: string };
		beforeAll(async () => {
			list = await newList('bad');
		});

		it.each([
			['empty.csv', "Item 1: The file 'empty.csv' is empty (0 bytes)"],
			[
				'header-only.csv',
				"Item 1: The file 'header-only.csv' has a header row ('email', 'name') but no data rows",
			],
			['image.png', "Item 1: The file 'image.png' is not a CSV file: it looks like a PNG image"],
			['binary.bin', /^Item 1: The file 'binary.bin' .*(binary|not a text)/i],
			[
				'no-email.csv',
				/^Item 1: No e-mail column found\. Headers found: 'Name', 'Company', 'Phone'/,
			],
		])('%s fails with a clear message naming the item', async (name, expected) => {
			const error = await runError(credentials, {
				items: [csvItem(read(name), name)],
				parameters: { list: list.name },
			});
			if (typeof expected === 'string') expect(error.message).toBe(expected);
			else expect(error.message).toMatch(expected);
			expect(error.context.itemIndex).toBe(0);
			expect(await store.countSubscribers({ listId: list.id })).toBe(0);
		});

		it('says which column is missing when an explicit mapping names one the file lacks', async () => {
			const error = await runError(credentials, {
				items: [csvItem('mail;name\na@example.com;A\n')],
				parameters: { list: list.name, mappingMode: 'define', emailColumn: 'e-mail address' },
			});
			expect(error.message).toMatch(
				/^Item 1: The e-mail column 'e-mail address' is not in the file\. Headers found: 'mail', 'name'/,
			);
			expect(error.description).toMatch(/Column Mapping/);
		});

		it('reports a missing binary field and a wrong custom delimiter before touching the store', async () => {
			const noBinary = await runError(credentials, {
				items: [{ json: {} }],
				parameters: { list: list.name },
			});
			expect(noBinary.message).toMatch(/^Item 1: .*binary file 'data'/);

			const wrongField = await runError(credentials, {
				items: [csvItem('email\na@example.com\n')],
				parameters: { list: list.name, binaryPropertyName: 'file' },
			});
			expect(wrongField.message).toBe("Item 1: The item has no binary field 'file' [item 0]");

			const delimiter = await runError(credentials, {
				items: [csvItem('email\na@example.com\n')],
				parameters: { list: list.name, options: { delimiter: 'custom', customDelimiter: '::' } },
			});
			expect(delimiter.message).toBe(
				'Item 1: The custom delimiter must be one character, got "::"',
			);
		});

		it('rejects only the line where an unterminated quote opens and imports the rest', async () => {
			const partial = await newList('partial');
			const { summary, rejected } = await run(credentials, {
				items: [csvItem(read('unterminated-quote.csv'), 'broken.csv')],
				parameters: { list: partial.name, options: { batchSize: 2 } },
			});
			expect(summary[0].json).toMatchObject({ rows: 8, created: 7, invalid: 1 });
			expect(rejected).toEqual([
				{
					json: expect.objectContaining({
						line: 8,
						raw: 'broken@example.com,"Never closed',
						reason: expect.stringMatching(/^Line 8: a quoted value starts on this line and is never closed/),
					}),
					pairedItem: { item: 0 },
				},
			]);
			expect(await store.countSubscribers({ listId: partial.id })).toBe(7);
		});

		it('with continueOnFail: an error item carrying what was committed, and the next item still runs', async () => {
			const partial = await newList('continue');
			const { summary, rejected } = await run(credentials, {
				continueOnFail: true,
				items: [
					csvItem(read('empty.csv'), 'empty.csv'),
					csvItem(
						`email,name\nnot-an-address,Bad\n${read('unterminated-quote.csv').toString('utf8').split('\n').slice(1, 7).join('\n')}\n` +
							`huge@example.com,${'x'.repeat(1_100_000)}\n`,
						'broken.csv',
					),
					csvItem('email\nlast@example.com\n', 'good.csv'),
				],
				parameters: { list: partial.name, options: { batchSize: 2 } },
			});
			expect(summary).toHaveLength(3);
			expect(summary[0]).toEqual({
				json: expect.objectContaining({
					error: "Item 1: The file 'empty.csv' is empty (0 bytes)",
					errorDescription: 'Check that the previous node produced the file you expect',
					rows: 0,
					committedRows: 0,
				}),
				pairedItem: { item: 0 },
			});
			expect(summary[0].binary).toBeUndefined();
			expect(summary[1].pairedItem).toEqual({ item: 1 });
			expect(summary[1].json).toMatchObject({
				error: expect.stringMatching(/^Item 2: Line 9: the record is longer than 1,000,000 characters/),
				errorDescription: expect.stringMatching(/^Committed before the failure: 6 rows/),
				created: 6,
				invalid: 1,
				committedRows: 6,
				list: { id: partial.id, name: partial.name },
			});
			// The rows rejected before the failure are not hidden either.
			expect(reportRows(summary[1]).map((row) => row.email)).toEqual(['not-an-address']);
			expect(rejected).toEqual([
				{
					json: expect.objectContaining({ line: 2, email: 'not-an-address' }),
					pairedItem: { item: 1 },
				},
			]);
			expect(summary[2]).toMatchObject({ json: { created: 1, rows: 1 }, pairedItem: { item: 2 } });
			expect(await store.countSubscribers({ listId: partial.id })).toBe(7);
		});

		it('stops when n8n cancels the execution', async () => {
			const controller = new AbortController();
			controller.abort();
			const error = await runError(credentials, {
				items: [csvItem('email\na@example.com\n')],
				parameters: { list: list.name },
				signal: controller.signal,
			});
			expect(error.message).toBe('Item 1: The import was cancelled');
		});
	});

	describe('URL source', () => {
		let server: TestServer;
		beforeAll(async () => {
			server = await startServer((req: IncomingMessage, res: ServerResponse) => {
				const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
				if (pathname === '/members.csv') {
					res.writeHead(200, { 'content-type': 'text/csv' });
					res.end(
						iconv.encode(
							'メールアドレス,氏名\nurl1@example.jp,佐藤\nurl2@example.jp,鈴木\nbad,x\n',
							'cp932',
						),
					);
				} else if (pathname === '/moved') {
					res.writeHead(302, { location: '/members.csv' });
					res.end();
				} else if (pathname === '/to-ftp') {
					res.writeHead(302, { location: 'ftp://127.0.0.1/x.csv' });
					res.end();
				} else if (pathname === '/slow') {
					// Answers nothing: the timeout must fire.
				} else if (pathname === '/forever') {
					res.writeHead(200, { 'content-type': 'text/csv' });
					res.write('email\n');
					const row = Buffer.from('stream@example.com\n'.repeat(2000));
					const pump = () => {
						while (!res.destroyed && res.write(row));
						if (!res.destroyed) res.once('drain', pump);
					};
					pump();
				} else {
					res.writeHead(404, { 'content-type': 'text/plain' });
					res.end('not here');
				}
			});
		});
		afterAll(async () => {
			await server?.close();
		});

		it('downloads an http URL (following a redirect) and imports it', async () => {
			const list = await newList('url');
			const { summary, rejected } = await run(credentials, {
				parameters: { source: 'url', url: `${server.url}/moved?token=secret`, list: list.name },
			});
			expect(summary[0].json).toMatchObject({
				rows: 3,
				created: 2,
				invalid: 1,
				source: `${server.url}/moved?…`,
			});
			expect(summary[0].binary!.report.fileName).toBe('moved-rejected-rows.csv');
			expect(rejected[0].json).toMatchObject({ line: 4, email: 'bad' });
			expect((await store.getSubscriber({ listId: list.id, email: 'url2@example.jp' }))?.name).toBe(
				'鈴木',
			);
		});

		it.each([
			[
				'/missing.csv',
				{},
				/^Item 1: Downloading http:\/\/127\.0\.0\.1:\d+\/missing\.csv failed: the server answered HTTP 404 Not Found \(check the URL\)$/,
			],
			[
				'/slow',
				{ timeoutSeconds: 0.5 },
				/^Item 1: Downloading http:\/\/127\.0\.0\.1:\d+\/slow timed out: no response within 0\.5 s$/,
			],
			[
				'/forever',
				{ sizeLimitMb: 1 },
				/^Item 1: http:\/\/127\.0\.0\.1:\d+\/forever is larger than the 1 MB limit/,
			],
			[
				'/moved',
				{ maxRedirects: 0 },
				/^Item 1: Downloading .*\/moved failed: HTTP 302 redirect was not followed/,
			],
			['/to-ftp', {}, /^Item 1: .*redirected to a 'ftp:' URL; only http and https are followed/],
		])('%s fails clearly (%j)', async (urlPath, urlOptions, expected) => {
			const list = await newList('url-bad');
			const error = await runError(credentials, {
				parameters: { source: 'url', url: `${server.url}${urlPath}`, list: list.name, urlOptions },
			});
			expect(error.message).toMatch(expected);
			expect(error.context.itemIndex).toBe(0);
		});

		it('refuses URLs that are not http(s) without fetching anything', async () => {
			const list = await newList('url-ftp');
			const error = await runError(credentials, {
				parameters: { source: 'url', url: 'file:///etc/passwd', list: list.name },
			});
			expect(error.message).toBe(
				"Item 1: Only http and https URLs can be imported; 'file:' is not allowed",
			);
		});
	});
});
