import { readFileSync } from 'node:fs';
import { importCsv, type ImportOptions } from '../../../lib/import';
import type { SubscriberStore } from '../../../lib/store/types';
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

const JAPANESE = [
	{ email: 'taro@example.jp', name: '山田 太郎', company: '株式会社テスト' },
	{ email: 'hanako@example.jp', name: '髙﨑 花子', company: '①商事' },
	{ email: 'jiro@example.jp', name: 'ｼﾞﾛｳ', company: '～波ダッシュ～' },
];

useIsolatedTmpdir();

describe.each(BACKENDS)('encodings, delimiters and line endings (%s)', (backend) => {
	let handle: TestBackend;
	let store: SubscriberStore;

	beforeAll(async () => {
		handle = await openTestStore(backend);
		store = handle.store;
	});
	afterAll(async () => handle?.close());

	async function run(
		file: string | Buffer,
		options: Partial<ImportOptions> = {},
		chunkSize?: number,
	) {
		const data = typeof file === 'string' ? readFileSync(fixture(file)) : file;
		const list = uniqueList(backend);
		const result = await importCsv(store, {
			source: { stream: streamOf(data, chunkSize) },
			list,
			createList: true,
			...options,
		});
		return { result, listId: String(result.summary.listId) };
	}

	async function expectJapanese(listId: string) {
		for (const expected of JAPANESE) {
			const subscriber = await subscriberByEmail(store, listId, expected.email);
			expect(subscriber).toMatchObject({ name: expected.name, fields: { 会社: expected.company } });
		}
	}

	test.each([
		['sjis.csv', 'shift_jis', 'auto'],
		['sjis.csv', 'shift_jis', 'Shift_JIS'],
		['sjis.csv', 'shift_jis', 'CP932'],
		['eucjp.csv', 'euc-jp', 'auto'],
		['eucjp.csv', 'euc-jp', 'EUC-JP'],
		['utf8-bom.csv', 'utf-8', 'auto'],
		['utf8-bom.csv', 'utf-8', 'utf-8'],
		['utf8.csv', 'utf-8', 'auto'],
		['utf16le.txt', 'utf-16le', 'auto'],
	])(
		'%s is read as %s (encoding option %s), Japanese names intact',
		async (file, detected, encoding) => {
			const { result, listId } = await run(file, { csv: { encoding } });
			expect(result.summary).toMatchObject({ rows: 3, created: 3, invalid: 0 });
			expect(result.detected?.encoding).toBe(detected);
			expect(result.detected?.header?.[0]).toBe('メールアドレス');
			await expectJapanese(listId);
		},
	);

	test('multi-byte characters and CRLF split across tiny chunks decode correctly', async () => {
		for (const [file, chunkSize] of [
			['sjis.csv', 1],
			['eucjp.csv', 3],
			['utf8-bom.csv', 2],
			['utf16le.txt', 3],
		] as const) {
			const { result, listId } = await run(file, {}, chunkSize);
			expect(result.summary.created).toBe(3);
			await expectJapanese(listId);
		}
	});

	test('Latin-1 with semicolons is detected; a quoted comma stays inside its value', async () => {
		const { result, listId } = await run('latin1-semicolon.csv');
		expect(result.detected).toMatchObject({ encoding: 'latin1', delimiter: ';' });
		expect(result.summary.created).toBe(2);
		expect(await subscriberByEmail(store, listId, 'francois@example.fr')).toMatchObject({
			name: 'François Müller',
			fields: { Stadt: 'Köln' },
		});
		expect((await subscriberByEmail(store, listId, 'zoe@example.fr'))?.name).toBe('Zoë, Ærø');
	});

	test('invalid bytes for the chosen encoding reject that row with a clear message; the rest is imported', async () => {
		const { result, listId } = await run('invalid-utf8.csv', { csv: { encoding: 'utf-8' } });
		expect(result.summary).toMatchObject({ rows: 3, created: 2, invalid: 1 });
		expect(result.rejected[0]).toMatchObject({
			line: 3,
			email: 'bad@example.com',
			outcome: 'invalid',
		});
		expect(result.rejected[0].reason).toContain('invalid bytes for encoding utf-8 on line 3');
		expect(await subscriberByEmail(store, listId, 'bad@example.com')).toBeNull();
		expect(await subscriberByEmail(store, listId, 'fine@example.com')).not.toBeNull();
	});

	test('auto-detection looks at the first 64 KB; a different encoding later is reported per row with a hint', async () => {
		const head = Buffer.from('email,name\n' + csvRows(3000));
		const late = Buffer.concat([
			Buffer.from('late@example.com,M'),
			Buffer.from([0xfc]),
			Buffer.from('ller\n'),
		]);
		const { result } = await run(Buffer.concat([head, late]));
		expect(result.detected?.encoding).toBe('utf-8');
		expect(result.summary).toMatchObject({ rows: 3001, created: 3000, invalid: 1 });
		expect(result.rejected[0].line).toBe(3002);
		expect(result.rejected[0].reason).toContain(
			'detected from the first 64 KB of the file: set it explicitly',
		);
	});

	test('a Shift_JIS file read as UTF-8 fails with a message that names the likely encoding', async () => {
		const error = await expectImportError(
			run('sjis.csv', { csv: { encoding: 'utf-8' } }).then((r) => r.result),
		);
		expect(error.code).toBe('no-email-column');
		expect(error.message).toContain('Line 1 is not valid utf-8 text');
		expect(error.message).toContain("set the encoding to 'shift_jis'");
	});

	test('Shift_JIS rows read as UTF-8 are rejected per row, not imported as garbage', async () => {
		const sjis = readFileSync(fixture('sjis.csv'));
		const csv = Buffer.concat([
			Buffer.from('email,name,company\n'),
			sjis.subarray(sjis.indexOf(0x0a) + 1),
		]);
		const { result } = await run(csv, { csv: { encoding: 'utf-8' } });
		expect(result.summary).toMatchObject({ rows: 3, created: 0, invalid: 3 });
		expect(result.rejected.map((row) => row.reason)).toEqual([
			expect.stringContaining('invalid bytes for encoding utf-8 on line 2'),
			expect.stringContaining('invalid bytes for encoding utf-8 on line 3'),
			expect.stringContaining('invalid bytes for encoding utf-8 on line 4'),
		]);
		expect(result.warnings.join(' ')).toContain('shift_jis');
	});

	test.each([
		['tab.tsv', '\t', { email: 'a@example.com', name: 'Ann Tab', fields: { city: 'Oslo' } }],
		['pipe.csv', '|', { email: 'a@example.com', name: 'Ann Pipe', fields: {} }],
		[
			'semicolon-commas.csv',
			';',
			{ email: 'a@example.com', name: 'Doe, Ann', fields: { note: 'x, y, z' } },
		],
	])('%s: the delimiter is detected as %j', async (file, delimiter, first) => {
		const { result, listId } = await run(file);
		expect(result.detected?.delimiter).toBe(delimiter);
		expect(result.summary.invalid).toBe(0);
		expect(await subscriberByEmail(store, listId, first.email)).toMatchObject({
			name: first.name,
			fields: first.fields,
		});
	});

	test('a wrong delimiter fails fast, naming the headers and the delimiter the file really uses', async () => {
		const error = await expectImportError(
			run('semicolon-commas.csv', { csv: { delimiter: ',' } }).then((r) => r.result),
		);
		expect(error.code).toBe('no-email-column');
		expect(error.message).toContain("Headers found: 'email;name;note'");
		expect(error.message).toContain("separated by ';', not ','");
	});

	test('an explicit delimiter is honoured (tab given as "tab")', async () => {
		const { result } = await run('tab.tsv', { csv: { delimiter: 'tab' } });
		expect(result.summary.created).toBe(2);
	});

	test('mixed line endings (CRLF, LF, CR) and a quoted multi-line value: every row, right line numbers', async () => {
		// Update-only on an empty list skips every row, which reports each row's line number.
		const { result } = await run('mixed-endings.csv', { mode: 'updateOnly' });
		expect(result.summary).toMatchObject({ rows: 5, skipped: 5, invalid: 0 });
		expect(result.rejected.map((row) => [row.line, row.email])).toEqual([
			[2, 'a@example.com'],
			[3, 'b@example.com'],
			[4, 'c@example.com'],
			[5, 'd@example.com'],
			[7, 'e@example.com'],
		]);
		const { listId } = await run('mixed-endings.csv');
		expect((await subscriberByEmail(store, listId, 'd@example.com'))?.name).toBe('Multi\nline');
		expect((await subscriberByEmail(store, listId, 'e@example.com'))?.name).toBe('Last no newline');
	});

	test('skip lines, no header row with columns by number, and e-mail column found by content', async () => {
		const preamble = 'Exported by CRM\nDate: 2024-01-01\n';
		const byNumber = await run(
			Buffer.from(`${preamble}Ann,ann@example.com,42\nBob,bob@example.com,7\n`),
			{
				csv: { skipLines: 2, header: false },
				mapping: {
					emailColumn: 2,
					nameColumn: 1,
					fields: [{ column: 3, field: 'score', type: 'number' }],
				},
			},
		);
		expect(byNumber.result.summary.created).toBe(2);
		expect(await subscriberByEmail(store, byNumber.listId, 'bob@example.com')).toMatchObject({
			name: 'Bob',
			fields: { score: 7 },
		});

		const sniffed = await run(Buffer.from('Cy,cy@example.com\nDee,dee@example.com\n'), {
			csv: { header: false },
		});
		expect(sniffed.result.detected?.mapping.email).toBe(2);
		expect(sniffed.result.summary.created).toBe(2);
		const noSuchColumn = await expectImportError(
			run(Buffer.from('a@example.com\n'), {
				csv: { header: false },
				mapping: { emailColumn: 3 },
			}).then((r) => r.result),
		);
		expect(noSuchColumn.code).toBe('column-not-found');
		expect(noSuchColumn.message).toContain('columns are numbered 1 to 1');
	});

	test('a mapped column that does not exist fails fast and lists the headers', async () => {
		const error = await expectImportError(
			run(Buffer.from('email,name\na@example.com,A\n'), {
				mapping: { fields: [{ column: 'birthday', type: 'date' }] },
			}).then((r) => r.result),
		);
		expect(error.code).toBe('column-not-found');
		expect(error.message).toBe(
			"The field column 'birthday' is not in the file. Headers found: 'email', 'name'",
		);
	});

	test('relaxColumnCount accepts short and long rows; unmapped columns can be ignored', async () => {
		const csv = Buffer.from('email,name,city\na@example.com,Ann\nb@example.com,Bob,Rome,extra\n');
		const strict = await run(csv);
		expect(strict.result.summary).toMatchObject({ created: 0, invalid: 2 });
		const relaxed = await run(csv, {
			csv: { relaxColumnCount: true },
			mapping: { unmappedColumns: 'ignore' },
		});
		expect(relaxed.result.summary).toMatchObject({ created: 2, invalid: 0 });
		expect(await subscriberByEmail(store, relaxed.listId, 'b@example.com')).toMatchObject({
			name: 'Bob',
			fields: {},
		});
		expect(await allSubscribers(store, relaxed.listId)).toHaveLength(2);
	});
});
