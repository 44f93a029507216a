import { readFileSync } from 'node:fs';
import { importCsv, type ImportOptions } from '../../../lib/import';
import { StoreError, type SubscriberStore } from '../../../lib/store/types';
import {
	allSubscribers,
	BACKENDS,
	csvRows,
	expectImportError,
	fixture,
	openTestStore,
	streamOf,
	subscriberByEmail,
	uniqueList,
	type TestBackend,
	useIsolatedTmpdir,
} from './helpers';

useIsolatedTmpdir();

describe.each(BACKENDS)('bad input: clear messages, nothing lost (%s)', (backend) => {
	let handle: TestBackend;
	let store: SubscriberStore;

	beforeAll(async () => {
		handle = await openTestStore(backend);
		store = handle.store;
	});
	afterAll(async () => handle?.close());

	async function newList() {
		return store.createList({ name: uniqueList(backend) }, { type: 'test' });
	}

	function run(
		data: Buffer | string,
		listId: string,
		options: Partial<ImportOptions> = {},
		into = store,
	) {
		return importCsv(into, {
			source: { stream: streamOf(data), name: 'upload.csv' },
			list: listId,
			...options,
		});
	}

	test('empty file', async () => {
		const list = await newList();
		const error = await expectImportError(run(readFileSync(fixture('empty.csv')), list.id));
		expect(error.code).toBe('empty-file');
		expect(error.message).toBe('Upload.csv is empty (0 bytes)');
		const blank = await expectImportError(run('\r\n\n  \n', list.id));
		expect(blank.code).toBe('empty-file');
		expect(blank.message).toContain('no CSV records');
	});

	test('header only', async () => {
		const list = await newList();
		const error = await expectImportError(run(readFileSync(fixture('header-only.csv')), list.id));
		expect(error.code).toBe('no-data-rows');
		expect(error.message).toBe("Upload.csv has a header row ('email', 'name') but no data rows");
	});

	test('no e-mail column: fails before reading data, listing the headers found', async () => {
		const list = await newList();
		const error = await expectImportError(run(readFileSync(fixture('no-email.csv')), list.id));
		expect(error.code).toBe('no-email-column');
		expect(error.message).toContain("Headers found: 'Name', 'Company', 'Phone'");
		expect(error.message).toContain('set the e-mail column');
		expect(await allSubscribers(store, list.id)).toHaveLength(0);
	});

	test('unterminated quote: only the line where the quote opens is rejected; every other row is imported', async () => {
		const list = await newList();
		const result = await run(readFileSync(fixture('unterminated-quote.csv')), list.id, { batchSize: 4 });
		expect(result.summary).toMatchObject({ rows: 8, created: 7, invalid: 1 });
		expect(result.rejected).toEqual([
			expect.objectContaining({
				line: 8,
				outcome: 'invalid',
				raw: 'broken@example.com,"Never closed',
				reason: expect.stringMatching(/^Line 8: a quoted value starts on this line and is never closed/),
			}),
		]);
		const emails = (await allSubscribers(store, list.id)).map((s) => s.email).sort();
		expect(emails).toEqual(
			['later', 'ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'ok5'].map((local) => `${local}@example.com`),
		);

		// Re-running the corrected file is idempotent: the rows already in come back unchanged.
		const fixed = readFileSync(fixture('unterminated-quote.csv'), 'utf8').replace(
			'"Never closed',
			'"Now closed"',
		);
		const rerun = await run(fixed, list.id);
		expect(rerun.summary).toMatchObject({ rows: 8, unchanged: 7, created: 1 });
	});

	test('a 10 MB single field is refused with a clear error, not read into memory; earlier batches stay', async () => {
		const list = await newList();
		const huge = 'x'.repeat(10 * 1024 * 1024);
		const before = 'email,name\n' + csvRows(2500);
		for (const field of [`"${huge}"`, huge]) {
			const data = `${before}big@example.com,${field}\nafter@example.com,After\n`;
			const heapBefore = process.memoryUsage().heapUsed;
			const error = await expectImportError(run(data, list.id, { batchSize: 1000 }));
			expect(error.code).toBe('record-too-large');
			expect(error.line).toBe(2502);
			expect(error.message).toMatch(
				/^Line 2502: the record is longer than 1,000,000 characters \(maxRecordSize\)/,
			);
			expect(error.result?.summary.committedRows).toBe(2500);
			// The parser stops at the limit: far less than the 10 MB field (20 MB as a JS string) is held.
			expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(60 * 1024 * 1024);
		}
		expect(await store.countSubscribers({ listId: list.id })).toBe(2500);
		expect(await subscriberByEmail(store, list.id, 'after@example.com')).toBeNull();
	});

	test('binary files are refused up front', async () => {
		const list = await newList();
		const png = await expectImportError(run(readFileSync(fixture('image.png')), list.id));
		expect(png.code).toBe('binary-file');
		expect(png.message).toBe('Upload.csv is not a CSV file: it looks like a PNG image');
		const xlsx = await expectImportError(
			run(Buffer.from('504b030414000600080000002100', 'hex'), list.id),
		);
		expect(xlsx.message).toContain('an Excel .xlsx workbook? Save it as CSV first');
		const nul = await expectImportError(run(readFileSync(fixture('binary.bin')), list.id));
		expect(nul.code).toBe('binary-file');
		expect(nul.message).toContain('contains a NUL byte at offset 2');
	});

	test('a store failure mid-file keeps the committed batches and says what was committed', async () => {
		const list = await newList();
		let calls = 0;
		const failing = Object.create(store) as SubscriberStore;
		failing.bulkUpsert = async (...args) => {
			if (++calls === 3) throw new Error('connection lost');
			return store.bulkUpsert(...args);
		};
		const error = await expectImportError(
			run('email,name\n' + csvRows(25), list.id, { batchSize: 10 }, failing),
		);
		expect(error.code).toBe('store-error');
		expect(error.message).toMatch(
			/^Writing rows 22–26 to the store failed: connection lost\. 20 rows in 2 batches were committed/,
		);
		expect(error.result?.summary).toMatchObject({ committedRows: 20, created: 20, batches: 2 });
		expect(await store.countSubscribers({ listId: list.id })).toBe(20);
	});

	test('a batch the store refuses for one row is split until that row is found; the others are written', async () => {
		const list = await newList();
		const picky = Object.create(store) as SubscriberStore;
		picky.bulkUpsert = async (listId, rows, options, actor) => {
			if (rows.some((row) => row.email === 'user13@example.com')) {
				throw new StoreError('user13 is not welcome', 'invalid');
			}
			return store.bulkUpsert(listId, rows, options, actor);
		};
		const result = await run('email,name\n' + csvRows(30), list.id, { batchSize: 16 }, picky);
		expect(result.summary).toMatchObject({ rows: 30, created: 29, invalid: 1 });
		expect(result.rejected).toEqual([
			expect.objectContaining({
				line: 15,
				email: 'user13@example.com',
				reason: 'Line 15: user13 is not welcome',
			}),
		]);
		expect(await store.countSubscribers({ listId: list.id })).toBe(29);
	});

	test('cancelling (AbortSignal) stops the import with a clear error', async () => {
		const list = await newList();
		const controller = new AbortController();
		controller.abort();
		const error = await expectImportError(
			run('email\na@example.com\n', list.id, { signal: controller.signal }),
		);
		expect(error.code).toBe('aborted');
		expect(await store.countSubscribers({ listId: list.id })).toBe(0);
	});

	test('bad options are refused with a message that says what is allowed', async () => {
		const list = await newList();
		const badMode = await expectImportError(
			run('email\na@example.com\n', list.id, { mode: 'merge' as never }),
		);
		expect(badMode.message).toContain(
			'use one of upsert, createOnly, updateOnly, unsubscribe, suppress, trash',
		);
		const badEncoding = await expectImportError(
			run('email\na@example.com\n', list.id, { csv: { encoding: 'klingon' } }),
		);
		expect(badEncoding.message).toMatch(/^Unknown encoding 'klingon'/);
		const badDelimiter = await expectImportError(
			run('email\na@example.com\n', list.id, { csv: { delimiter: ';;' } }),
		);
		expect(badDelimiter.message).toContain('The delimiter must be one character');
		const badBatch = await expectImportError(
			run('email\na@example.com\n', list.id, { batchSize: 0 }),
		);
		expect(badBatch.message).toContain('batchSize must be a whole number from 1 to 50000');
	});
});
