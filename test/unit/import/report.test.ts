import { parse } from 'csv-parse/sync';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { importCsv, REPORT_COLUMNS } from '../../../lib/import';
import type { SubscriberStore } from '../../../lib/store/types';
import {
	openTestStore,
	streamOf,
	uniqueList,
	useIsolatedTmpdir,
	type TestBackend,
} from './helpers';

useIsolatedTmpdir();

describe('rejected-rows report', () => {
	let handle: TestBackend;
	let store: SubscriberStore;
	let dir: string;

	beforeAll(async () => {
		handle = await openTestStore('sqlite');
		store = handle.store;
		dir = mkdtempSync(path.join(tmpdir(), 'import-report-'));
	});
	afterAll(async () => {
		rmSync(dir, { recursive: true, force: true });
		await handle?.close();
	});

	/** Every third row is good; the others are bad in two different ways. */
	function mixedFile(rows: number): string {
		let text = 'email,name\n';
		for (let index = 0; index < rows; index++) {
			if (index % 3 === 0) text += `good${index}@example.com,Good ${index}\n`;
			else if (index % 3 === 1) text += `broken${index},"Bad, ${index}"\n`;
			else text += `,No address ${index}\n`;
		}
		return text;
	}

	test('memory keeps the first N rejected rows; the CSV report (UTF-8 with BOM) has every one, in order', async () => {
		const rows = 30_000;
		const result = await importCsv(store, {
			source: { stream: streamOf(mixedFile(rows)) },
			list: uniqueList('report'),
			createList: true,
			report: { maxInMemory: 100 },
		});
		expect(result.summary).toMatchObject({ rows, created: rows / 3, invalid: (rows * 2) / 3 });
		expect(result.rejected).toHaveLength(100);
		expect(result.rejectedTotal).toBe((rows * 2) / 3);
		expect(result.rejected[0]).toEqual({
			line: 3,
			email: 'broken1',
			outcome: 'invalid',
			reason: "Line 3: 'broken1' is not a valid e-mail address (column 'email')",
			raw: 'broken1,"Bad, 1"',
		});
		expect(result.reportPath).toBe(
			path.join(tmpdir(), `bulk-mail-import-${result.summary.importRunId}-rejected.csv`),
		);

		const bytes = readFileSync(result.reportPath as string);
		expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
		const records = parse(bytes, { bom: true }) as string[][];
		expect(records[0]).toEqual([...REPORT_COLUMNS]);
		expect(records).toHaveLength(1 + result.rejectedTotal);
		expect(records[1]).toEqual([
			'3',
			'broken1',
			'invalid',
			"Line 3: 'broken1' is not a valid e-mail address (column 'email')",
			'broken1,"Bad, 1"',
		]);
		expect(records[2]).toEqual([
			'4',
			'',
			'invalid',
			"Line 4: the e-mail address is empty (column 'email')",
			',No address 2',
		]);
		const lines = records.slice(1).map((record) => Number(record[0]));
		expect(lines[lines.length - 1]).toBe(rows + 1);
		expect(lines.every((line, index) => index === 0 || line > lines[index - 1])).toBe(true);
		rmSync(result.reportPath as string);
	});

	test('the report can go to a given path or to the caller’s stream', async () => {
		const reportPath = path.join(dir, 'rejected.csv');
		const toPath = await importCsv(store, {
			source: { stream: streamOf(mixedFile(9)) },
			list: uniqueList('report'),
			createList: true,
			report: { path: reportPath },
		});
		expect(toPath.reportPath).toBe(reportPath);
		expect(parse(readFileSync(reportPath), { bom: true })).toHaveLength(7);

		const sink = new PassThrough();
		const chunks: Buffer[] = [];
		sink.on('data', (chunk: Buffer) => chunks.push(chunk));
		const toStream = await importCsv(store, {
			source: { stream: streamOf(mixedFile(9)) },
			list: uniqueList('report'),
			createList: true,
			report: { stream: sink },
		});
		expect(toStream.reportPath).toBeNull();
		expect(sink.writableEnded).toBe(true);
		expect(parse(Buffer.concat(chunks), { bom: true })).toHaveLength(7);
	});

	test('no rejected rows: no report file', async () => {
		const result = await importCsv(store, {
			source: { stream: streamOf('email\nok@example.com\n') },
			list: uniqueList('report'),
			createList: true,
		});
		expect(result.rejectedTotal).toBe(0);
		expect(result.reportPath).toBeNull();
	});

	test('the report of a failed import is complete up to the failure and stays on disk', async () => {
		const error = await importCsv(store, {
			source: { stream: streamOf(`email\nbad1\nok@example.com\nbad2\n${'x'.repeat(2000)}\n`) },
			list: uniqueList('report'),
			createList: true,
			csv: { maxRecordSize: 1000 },
		}).catch((caught) => caught);
		expect(error.code).toBe('record-too-large');
		expect(error.result.rejectedTotal).toBe(2);
		expect(existsSync(error.result.reportPath)).toBe(true);
		expect(parse(readFileSync(error.result.reportPath), { bom: true })).toHaveLength(3);
		rmSync(error.result.reportPath);
	});
});
