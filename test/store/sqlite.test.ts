import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
});
