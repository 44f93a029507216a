import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireSqliteDriver } from '../../lib/store';
import { openStore, resolveStoreFile } from '../../lib/store/openStore';
import { storeContract } from './contract';

storeContract('sqlite');

describe('SQLite store location', () => {
	const base = '/srv/n8n/.n8n/bulk-mail';

	it('keeps store files inside the store folder', () => {
		expect(resolveStoreFile('news.sqlite', base)).toBe(`${base}/news.sqlite`);
		expect(resolveStoreFile('tenants/acme.sqlite', base)).toBe(`${base}/tenants/acme.sqlite`);
	});

	it.each([
		['/etc/passwd', /outside the store folder/],
		['../escape.sqlite', /outside the store folder/],
		['a/../../escape.sqlite', /outside the store folder/],
		['a/../b.sqlite', /must not contain '..'/],
		['database.sqlite', /n8n's own database/],
		['', /empty/],
	])('refuses %p', (file, message) => {
		expect(() => resolveStoreFile(file, base)).toThrow(message);
	});

	it('opens in WAL mode and reports an unwritable folder clearly', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'bm-wal-'));
		try {
			const store = await openStore({ backend: 'sqlite', file: 's.sqlite', baseDir: dir });
			const mode = await store.sql.get<{ journal_mode: string }>('PRAGMA journal_mode');
			expect(mode?.journal_mode).toBe('wal');
			await store.close();
			// A plain file where the folder should be: the folder cannot be made.
			writeFileSync(path.join(dir, 'not-a-folder'), '');
			await expect(
				openStore({ backend: 'sqlite', file: 's.sqlite', baseDir: path.join(dir, 'not-a-folder') }),
			).rejects.toThrow(/Cannot create the store folder .*not-a-folder: EEXIST/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('opens while another process keeps opening, writing and closing the same file', async () => {
		// Closing a process's last connection checkpoints the WAL and deletes it under an exclusive
		// lock; an opening connection that meets it must wait, not fail with "database is locked".
		const dir = mkdtempSync(path.join(tmpdir(), 'bm-wal-'));
		const file = path.join(dir, 'shared.sqlite');
		const churn = `
			const { DatabaseSync } = require('node:sqlite');
			const end = Date.now() + 2500;
			while (Date.now() < end) {
				const db = new DatabaseSync(process.argv[1], { timeout: 15000 });
				db.exec('PRAGMA journal_mode = WAL');
				db.exec('CREATE TABLE IF NOT EXISTS t (x)');
				db.exec('BEGIN IMMEDIATE');
				for (let i = 0; i < 500; i += 1) db.prepare('INSERT INTO t VALUES (?)').run(i);
				db.exec('COMMIT');
				db.close();
			}`;
		const other = spawn(process.execPath, ['-e', churn, file], { stdio: ['ignore', 'ignore', 'pipe'] });
		let otherErrors = '';
		other.stderr.on('data', (chunk) => (otherErrors += String(chunk)));
		const otherDone = new Promise<number | null>((resolve) => other.on('exit', resolve));
		try {
			await new Promise((resolve) => setTimeout(resolve, 200));
			let opened = 0;
			const end = Date.now() + 2000;
			while (Date.now() < end) {
				const driver = acquireSqliteDriver(file);
				await driver.get('SELECT 1 AS one');
				await driver.close();
				opened += 1;
				await new Promise((resolve) => setTimeout(resolve, 2));
			}
			expect(opened).toBeGreaterThan(50);
			expect(await otherDone).toBe(0);
			expect(otherErrors).toBe('');
		} finally {
			other.kill();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
