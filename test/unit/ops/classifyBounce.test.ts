/** `cli.js classify-bounce <file or folder>…`: one JSON line per message, errors per file. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../lib/ops/cli';
import { dsn, plainBounce } from '../bounce/samples';

describe('classify-bounce command', () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(path.join(tmpdir(), 'classify-bounce-'));
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it('prints one line per message in a folder (recursively, in name order) and per file named', async () => {
		mkdirSync(path.join(dir, 'more'));
		writeFileSync(path.join(dir, 'a-hard.eml'), dsn({ text: 'Failed.', recipients: [{ address: 'gone@example.org', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' }] }));
		writeFileSync(path.join(dir, 'more', 'b-note.eml'), plainBounce({ from: 'Reader <reader@example.org>', subject: 'Hello', text: 'Just a note.', top: { 'Return-Path': '<reader@example.org>' } }));
		const single = path.join(dir, 'c-auto.eml');
		writeFileSync(single, 'From: reader@example.org\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nAway.\n');
		const lines: string[] = [];
		const result = await runCli(['classify-bounce', path.join(dir, 'a-hard.eml'), path.join(dir, 'more'), single], (line) => lines.push(line));
		expect(result).toEqual({ streamed: true, read: 3, unreadable: 0 });
		const parsed = lines.map((line) => JSON.parse(line));
		expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
		expect(parsed[0]).toEqual({
			file: path.join(dir, 'a-hard.eml'),
			type: 'bounce',
			recipients: [{ address: 'gone@example.org', kind: 'hard', reason: 'userunknown', status: '5.1.1', replyCode: '550', diagnostic: '550 5.1.1 User unknown' }],
		});
		expect(parsed[1]).toMatchObject({ file: path.join(dir, 'more', 'b-note.eml'), type: 'not-bounce', recipients: [] });
		expect(parsed[2]).toMatchObject({ file: single, type: 'auto-reply', recipients: [] });
	});

	it('reports a missing path as an error line and counts it unreadable (exit 1)', async () => {
		const lines: string[] = [];
		const missing = path.join(dir, 'nope.eml');
		const result = await runCli(['classify-bounce', missing], (line) => lines.push(line));
		expect(result).toEqual({ streamed: true, read: 0, unreadable: 1 });
		expect(JSON.parse(lines[0])).toEqual({ file: missing, error: 'no such file or folder' });
	});

	it('is a usage error without a path', async () => {
		await expect(runCli(['classify-bounce'])).rejects.toThrow(/needs at least one file or folder/);
	});
});
