/**
 * Issue 17, items 5–8: one bad line no longer refuses the whole file (an unterminated quote, a
 * quoted value over too many lines, a NUL byte), a repeated header is refused naming the
 * columns, invalid UTF-8 read as another encoding is said, and echoed input is cut short.
 */
import { readFileSync } from 'node:fs';
import { importCsv, type ImportOptions } from '../../../lib/import';
import {
	allSubscribers,
	BACKENDS,
	expectImportError,
	fixture,
	streamOf,
	uniqueList,
	useIsolatedTmpdir,
	useTestStore,
} from './helpers';

useIsolatedTmpdir();

describe.each(BACKENDS)('one bad line, not the whole file (%s)', (backend) => {
	const storeOf = useTestStore(backend);

	async function run(data: Buffer | string, options: Partial<ImportOptions> = {}, chunkSize?: number) {
		const store = storeOf();
		const list = await store.createList({ name: uniqueList(backend) }, { type: 'test' });
		const result = await importCsv(store, {
			source: { stream: streamOf(data, chunkSize), name: 'upload.csv' },
			list: list.id,
			...options,
		});
		const emails = (await allSubscribers(store, list.id)).map((s) => s.email).sort();
		return { result, emails, list };
	}

	test('an unterminated quote on line 2 rejects line 2 only; every later row is imported', async () => {
		const { result, emails } = await run(
			'email,name\n"ann@example.com,Ann\nbob@example.com,Bob\ncarl@example.com,"Carl, Jr."\n',
		);
		expect(emails).toEqual(['bob@example.com', 'carl@example.com']);
		expect(result.summary).toMatchObject({ rows: 3, created: 2, invalid: 1 });
		expect(result.rejected).toEqual([
			expect.objectContaining({
				line: 2,
				raw: '"ann@example.com,Ann',
				reason: expect.stringMatching(/^Line 2: a quoted value starts on this line and is never closed/),
			}),
		]);
	});

	test('several unterminated quotes, in tiny chunks and with CRLF: each bad line is reported, the rest kept', async () => {
		const lines = ['email,name'];
		for (let index = 0; index < 40; index++) {
			lines.push(index % 10 === 3 ? `"broken${index}@example.com,B` : `user${index}@example.com,"User ${index}"`);
		}
		const { result, emails } = await run(lines.join('\r\n') + '\r\n', {}, 7);
		expect(result.rejected.map((row) => row.line)).toEqual([5, 15, 25, 35]);
		expect(emails).toHaveLength(36);
		expect(result.summary).toMatchObject({ rows: 40, created: 36, invalid: 4 });
	});

	test('a quoted value spanning more lines than allowed is treated as an unterminated quote', async () => {
		const data =
			'email,note\n' +
			'ann@example.com,"two\nlines"\n' +
			'bob@example.com,"one\ntwo\nthree\nfour\nfive"\n' +
			'carl@example.com,fine\n';
		const { result, emails } = await run(data, { csv: { maxRecordLines: 3, relaxColumnCount: true } });
		expect(emails).toEqual(['ann@example.com', 'carl@example.com']);
		expect(result.rejected[0]).toMatchObject({
			line: 4,
			raw: 'bob@example.com,"one',
			reason: expect.stringContaining('spans more than 3 lines'),
		});
		// The lines after the rejected one were read again as records of their own.
		expect(result.rejected.slice(1).map((row) => row.line)).toEqual([5, 6, 7, 8]);
	});

	test('a quote that never closes in a long file is found without reading the rest as one value', async () => {
		const rows = Array.from({ length: 3000 }, (_, index) => `user${index}@example.com,User ${index}`);
		rows.splice(10, 0, 'broken@example.com,"never closed');
		const { result, emails } = await run('email,name\n' + rows.join('\n') + '\n', { batchSize: 500 });
		expect(result.rejected).toEqual([expect.objectContaining({ line: 12 })]);
		expect(emails).toHaveLength(3000);
	});

	test('a NUL byte rejects only its row', async () => {
		const { result, emails } = await run(
			Buffer.from('email,name\nann@example.com,Ann\nbob@example.com,B\u0000b\ncarl@example.com,Carl\n'),
		);
		expect(emails).toEqual(['ann@example.com', 'carl@example.com']);
		expect(result.rejected).toEqual([
			expect.objectContaining({ line: 3, email: 'bob@example.com', reason: expect.stringContaining('NUL byte') }),
		]);
	});

	test('a file that starts like a binary one is still refused: many NULs, or UTF-16 without a BOM', async () => {
		const binary = await expectImportError(run(readFileSync(fixture('binary.bin'))).then(({ result }) => result));
		expect(binary.code).toBe('binary-file');
		const utf16 = Buffer.from('email,name\nann@example.com,Ann\nbob@example.com,Bob\n', 'utf16le');
		const refused = await expectImportError(run(utf16).then(({ result }) => result));
		expect(refused.code).toBe('binary-file');
		expect(refused.message).toContain('UTF-16 text without a BOM');
	});

	test('a repeated column header is refused, naming the columns', async () => {
		const error = await expectImportError(run('email,name,Name\nann@example.com,Ann,A\n').then(({ result }) => result));
		expect(error.code).toBe('duplicate-column');
		expect(error.message).toBe(
			"The header names the same column more than once: 'name' (columns 2, 3). Rename or remove the " +
				'repeated columns, or turn off "header row" and map the columns by number',
		);
	});

	test('invalid UTF-8 read as Latin-1 is said: which lines, which encoding', async () => {
		const { result } = await run(readFileSync(fixture('latin1-semicolon.csv')));
		expect(result.detected?.encoding).toBe('latin1');
		expect(result.warnings).toEqual([
			'The file is not valid UTF-8 (invalid bytes on lines 2, 3); it was read as Latin-1 (ISO-8859-1), ' +
				'the closest fit to its content: set the encoding if that is wrong',
		]);
	});

	test('echoed input is cut to a readable length', async () => {
		const header = 'x'.repeat(4096);
		const noEmail = await expectImportError(run(`${header}\nvalue\n`).then(({ result }) => result));
		expect(noEmail.code).toBe('no-email-column');
		expect(noEmail.message.length).toBeLessThan(300);
		expect(noEmail.message).toContain(`'${'x'.repeat(60)}…' (4,096 characters)`);

		const longAddress = `${'a'.repeat(5000)}@`;
		const { result } = await run(`email,score\n${longAddress},1\nok@example.com,${'9'.repeat(5000)}x\n`, {
			mapping: { fields: [{ column: 'score', type: 'number' }] },
		});
		expect(result.rejected).toHaveLength(2);
		for (const row of result.rejected) expect(row.reason.length).toBeLessThan(300);
	});
});
