/**
 * The operator command line (lib/ops/cli.ts, behind scripts/backup.js): backup, list, verify,
 * restore by backup name, export, and usage errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../../lib/ops/cli';
import type { BackupEntry, BackupResult, ExportedFile, RestoreResult } from '../../../lib/ops';
import { LATEST_SCHEMA_VERSION } from '../../../lib/store/migrations';
import { storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor, addSubscribers } from './helpers';

describe('ops command line', () => {
	let fixture: StoreFixture;
	let baseDir: string;

	beforeEach(async () => {
		fixture = storeFixture('sqlite');
		baseDir = (fixture.config as { baseDir: string }).baseDir;
		const store = await fixture.open();
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, 4, 'cli');
		await store.close();
	});
	afterEach(async () => {
		await fixture.cleanup();
	});

	it('backs up, lists, verifies, restores by name and exports', async () => {
		const dir = ['--dir', baseDir];
		const backup = (await runCli(['backup', '--file', 'test.sqlite', '--keep', '3', ...dir])) as BackupResult;
		expect(backup.file.startsWith(path.join(baseDir, 'backups'))).toBe(true);
		const listed = (await runCli(['list', '--file', 'test.sqlite', ...dir])) as BackupEntry[];
		expect(listed.map((entry) => entry.file)).toEqual([backup.file]);
		expect(await runCli(['verify', backup.file])).toMatchObject({ schemaVersion: LATEST_SCHEMA_VERSION, lists: 1, subscribers: 4 });

		const restored = (await runCli(['restore', '--file', 'test.sqlite', '--from', path.basename(backup.file), ...dir])) as RestoreResult;
		expect(restored).toMatchObject({ restored: path.join(baseDir, 'test.sqlite'), from: backup.file, subscribers: 4 });
		expect(restored.previous && existsSync(restored.previous)).toBe(true);

		const out = path.join(baseDir, 'export');
		const files = (await runCli(['export', '--file', 'test.sqlite', '--out', out, '--no-bom', ...dir])) as ExportedFile[];
		expect(files.find((file) => file.table === 'subscribers')).toMatchObject({ rows: 4 });
		expect(readFileSync(path.join(out, 'lists.csv'), 'utf8')).toMatch(/^id,name,description,subscribers,created_at,updated_at\n1,Readers,,4,/);
	});

	it('says what is wrong with a command', async () => {
		await expect(runCli([])).rejects.toThrow('no command given');
		await expect(runCli(['rewind'])).rejects.toThrow("unknown command 'rewind'");
		await expect(runCli(['backup', '--dir', baseDir])).rejects.toThrow('--file is required');
		await expect(runCli(['backup', '--file', '../elsewhere.sqlite', '--dir', baseDir])).rejects.toThrow(/outside the store folder|must not contain/);
		await expect(runCli(['restore', '--file', 'test.sqlite', '--dir', baseDir])).rejects.toThrow('--from is required');
		await expect(runCli(['export', '--file', 'missing.sqlite', '--out', baseDir, '--dir', baseDir])).rejects.toThrow(/There is no store file .*missing\.sqlite/);
	});
});
