/**
 * Backup and restore of the SQLite store: online backups while another process and this one
 * keep writing, generations, restore round trip (erasures made after the backup applied again),
 * and restores that must be refused.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
	backupSqliteFile,
	backupStore,
	inspectSqliteBackup,
	listBackups,
	restoreSqliteStore,
} from '../../../lib/ops';
import { openStore } from '../../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { LATEST_SCHEMA_VERSION } from '../../../lib/store/migrations';
import { storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor, addSubscribers, snapshotCounts, startWriter } from './helpers';

jest.setTimeout(60_000);

describe('SQLite backups', () => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let baseDir: string;
	let storeFile: string;

	beforeEach(async () => {
		fixture = storeFixture('sqlite');
		store = await fixture.open();
		baseDir = (fixture.config as { baseDir: string }).baseDir;
		storeFile = (await store.info()).location;
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
	});

	it('takes consistent, intact backups while another process and this one keep writing', async () => {
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, 3000, 'seed');
		const writer = startWriter({ baseDir, file: 'test.sqlite', listId: list.id, prefix: 'other' });
		await writer.ready;
		let writing = true;
		let localRows = 0;
		const local = (async () => {
			while (writing) {
				await addSubscribers(store, list.id, 20, `local${localRows}-`);
				localRows += 20;
				await new Promise((resolve) => setImmediate(resolve));
			}
		})();
		const backups = [];
		try {
			for (let i = 0; i < 3; i++) {
				await new Promise((resolve) => setTimeout(resolve, 150));
				backups.push(await backupStore(store, { keep: 7 }));
			}
		} finally {
			writing = false;
			await local;
		}
		const written = await writer.stop();
		expect(written.rows).toBeGreaterThan(0);
		expect(localRows).toBeGreaterThan(0);

		const counts = backups.map((result) => snapshotCounts(result.file));
		for (const [i, count] of counts.entries()) {
			expect(count.integrity).toBe('ok');
			// Every batch is either wholly in the copy or not at all.
			expect(count.subscribers).toBe(count.audited);
			expect(count.subscribers).toBeGreaterThanOrEqual(3000);
			if (i > 0) expect(count.subscribers).toBeGreaterThanOrEqual(counts[i - 1].subscribers);
			expect(backups[i].bytes).toBe(statSync(backups[i].file).size);
			expect(backups[i].pages).toBeGreaterThan(0);
		}
		// The writers went on after the copies: the last backup is a snapshot, not the final state.
		const final = await store.countSubscribers({ includeTrashed: true });
		expect(final).toBe(3000 + written.rows + localRows);
		expect(counts[counts.length - 1].subscribers).toBeLessThan(final);
		// Writes after the first backup show up in a later one.
		expect(counts[2].subscribers).toBeGreaterThan(counts[0].subscribers);

		// Backups are single files in <store folder>/backups, named after the store and the UTC time.
		const backupDir = path.join(baseDir, 'backups');
		for (const result of backups) {
			expect(path.dirname(result.file)).toBe(backupDir);
			expect(path.basename(result.file)).toMatch(/^test-\d{8}T\d{6}\.\d{3}Z\.sqlite$/);
			expect(statSync(result.file).mode & 0o777).toBe(0o600);
		}
		expect(readdirSync(backupDir).sort()).toEqual(backups.map((result) => path.basename(result.file)).sort());
		expect(inspectSqliteBackup(backups[0].file)).toMatchObject({ schemaVersion: LATEST_SCHEMA_VERSION, lists: 1, subscribers: counts[0].subscribers });
	});

	it('keeps N generations: the oldest are deleted, other stores’ backups are left alone', async () => {
		await store.createList({ name: 'Readers' }, actor);
		const backupDir = path.join(baseDir, 'backups');
		const other = path.join(backupDir, 'other-20200101T000000.000Z.sqlite');
		const results = [];
		for (let day = 1; day <= 5; day++) {
			if (day === 2) writeFileSync(other, 'not ours');
			results.push(await backupStore(store, { keep: 3, now: new Date(Date.UTC(2026, 10, day, 3, 0, 0)) }));
		}
		expect(results[0]).toMatchObject({ kept: ['test-20261101T030000.000Z.sqlite'], deleted: [] });
		expect(results[3].deleted).toEqual(['test-20261101T030000.000Z.sqlite']);
		expect(results[4]).toMatchObject({
			kept: ['test-20261105T030000.000Z.sqlite', 'test-20261104T030000.000Z.sqlite', 'test-20261103T030000.000Z.sqlite'],
			deleted: ['test-20261102T030000.000Z.sqlite'],
		});
		expect(listBackups(storeFile).map((entry) => entry.takenAt)).toEqual([
			'2026-11-05T03:00:00.000Z',
			'2026-11-04T03:00:00.000Z',
			'2026-11-03T03:00:00.000Z',
		]);
		expect(existsSync(other)).toBe(true);
		// The default is seven generations.
		for (let day = 6; day <= 12; day++) await backupStore(store, { now: new Date(Date.UTC(2026, 10, day)) });
		expect(listBackups(storeFile)).toHaveLength(7);
		// Two backups in the same millisecond get distinct names.
		const at = new Date(Date.UTC(2026, 11, 1));
		const [a, b] = [await backupStore(store, { now: at }), await backupStore(store, { now: at })];
		expect(a.file).not.toBe(b.file);
		await expect(backupStore(store, { keep: 0 })).rejects.toThrow('The number of backups to keep must be a whole number from 1 to 1000 (got 0)');
		await expect(backupSqliteFile(path.join(baseDir, 'missing.sqlite'))).rejects.toThrow(/There is no store file .*missing\.sqlite to back up/);
	});

	it('restores a backup: the data comes back, the replaced file is kept, later erasures stay erased', async () => {
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, 50, 'kept');
		const eraseLater = (await store.getSubscriber({ listId: list.id, email: 'kept7@example.org' }))!;
		const backup = await backupStore(store);

		// After the backup: more data, a rename, one person exercises the right to erasure, one
		// unsubscribes, one address complains (suppressed in every list).
		await addSubscribers(store, list.id, 10, 'after');
		await store.renameList(list.id, 'Renamed', actor);
		await store.eraseSubscriber(eraseLater.id, actor);
		const quitter = (await store.getSubscriber({ listId: list.id, email: 'kept3@example.org' }))!;
		await store.setStatus(quitter.id, 'unsubscribed', {}, actor);
		await store.suppress('kept4@example.org', 'complaint', 'feedback-loop', actor);
		const doomed = await store.createList({ name: 'Doomed' }, actor);
		expect(await store.countSubscribers({ includeTrashed: true })).toBe(60);

		const result = await restoreSqliteStore({ storeFile, backupFile: backup.file, now: new Date(Date.UTC(2026, 10, 5, 12)) });
		expect(result).toMatchObject({
			restored: storeFile,
			from: backup.file,
			previous: path.join(baseDir, 'backups', 'test.before-restore-20261105T120000.000Z.sqlite'),
			schemaVersion: LATEST_SCHEMA_VERSION,
			lists: 1,
			subscribers: 50,
			erasuresReapplied: { lists: 0, subscribers: 1 },
			// kept4's complaint (kept7's hash came back with its erasure); kept3's unsubscribe.
			optOutsCarriedOver: { suppressions: 1, statuses: 1 },
			warnings: [],
		});
		// The store handle opened before the restore was closed by it; a fresh open sees the backup.
		const restored = await fixture.open();
		try {
			expect((await restored.getList(list.id))?.name).toBe('Readers');
			expect(await restored.getList(doomed.id)).toBeNull();
			expect(await restored.getSubscriber({ listId: list.id, email: 'after1@example.org' })).toBeNull();
			expect((await restored.getSubscriber({ listId: list.id, email: 'kept2@example.org' }))?.name).toBe('kept person 2');
			// Opt-outs made after the backup hold: kept3 stays unsubscribed, kept4 stays suppressed.
			expect(await restored.getSubscriber({ id: quitter.id })).toMatchObject({ name: 'kept person 3', status: 'unsubscribed' });
			expect(await restored.isSuppressed('kept4@example.org')).toBe(true);
			expect((await restored.getSuppressions({ limit: 10 })).items.find((entry) => entry.reason === 'erased')).toMatchObject({ email: null });
			// The erasure made after the backup was applied again: the address is gone, its hash stays.
			expect(await restored.getSubscriber({ listId: list.id, email: 'kept7@example.org' })).toBeNull();
			expect((await restored.getSubscriber({ id: eraseLater.id }))?.email).toBe(`erased-${eraseLater.id}@erased.invalid`);
			expect(await restored.isSuppressed('kept7@example.org')).toBe(true);
			const audit = await restored.getAuditLog({ action: 'store.restore' }, { limit: 5 });
			expect(audit.items).toHaveLength(1);
			expect(audit.items[0].details).toMatchObject({
				from: path.basename(backup.file),
				previous: 'test.before-restore-20261105T120000.000Z.sqlite',
				erasuresReapplied: { lists: 0, subscribers: 1 },
				optOutsCarriedOver: { suppressions: 1, statuses: 1 },
			});
			// And it still writes.
			await restored.upsertSubscriber(list.id, { email: 'new@example.org' }, {}, actor);
		} finally {
			await restored.close();
		}
		// The replaced file is kept intact, with the state from just before the restore.
		expect(snapshotCounts(result.previous!)).toMatchObject({ integrity: 'ok', subscribers: 60 });
		// Every connection is closed again: SQLite folded its write-ahead log back into the file.
		expect(existsSync(`${storeFile}-wal`)).toBe(false);
		// No staging files left beside the store.
		expect(readdirSync(baseDir).filter((name) => name.includes('restoring'))).toEqual([]);
		// The backup itself is untouched.
		expect(snapshotCounts(backup.file).subscribers).toBe(50);
	});

	it('refuses to restore a file that is not a healthy store, and leaves the live store as it was', async () => {
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, 20, 'live');
		const backupDir = path.join(baseDir, 'backups');
		const good = await backupStore(store);

		const junk = path.join(backupDir, 'junk.sqlite');
		writeFileSync(junk, Buffer.alloc(8192, 7));
		await expect(restoreSqliteStore({ storeFile, backupFile: junk })).rejects.toThrow(/junk\.sqlite is not a SQLite database/);

		const foreign = path.join(backupDir, 'foreign.sqlite');
		const db = new DatabaseSync(foreign);
		db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
		db.close();
		await expect(restoreSqliteStore({ storeFile, backupFile: foreign })).rejects.toThrow(
			'foreign.sqlite is a SQLite database but not a subscriber store (no bm_meta, lists, subscribers, suppressions, audit_log table)',
		);

		const newer = path.join(backupDir, 'newer.sqlite');
		copyFileSync(good.file, newer);
		const edit = new DatabaseSync(newer);
		edit.exec("UPDATE bm_meta SET value = '99' WHERE key = 'schema_version'");
		edit.close();
		await expect(restoreSqliteStore({ storeFile, backupFile: newer })).rejects.toThrow(
			`newer.sqlite has schema version 99, newer than this package knows (${LATEST_SCHEMA_VERSION}); update the package first`,
		);

		const torn = path.join(backupDir, 'torn.sqlite');
		copyFileSync(good.file, torn);
		truncateSync(torn, Math.floor(statSync(torn).size / 2));
		await expect(restoreSqliteStore({ storeFile, backupFile: torn })).rejects.toThrow(/torn\.sqlite (failed SQLite's integrity check|is not a SQLite database)/);

		await expect(restoreSqliteStore({ storeFile, backupFile: path.join(backupDir, 'nope.sqlite') })).rejects.toThrow(/There is no backup file/);
		await expect(restoreSqliteStore({ storeFile, backupFile: storeFile })).rejects.toThrow('The backup file is the store file itself');

		// Nothing changed: same store, still usable, nothing set aside, no staging files.
		expect(await store.countSubscribers({ includeTrashed: true })).toBe(20);
		expect(readdirSync(backupDir).filter((name) => name.includes('before-restore'))).toEqual([]);
		expect(readdirSync(baseDir).filter((name) => name.includes('restoring'))).toEqual([]);
		expect(() => inspectSqliteBackup(junk)).toThrow(/not a SQLite database/);
	});

	it('refuses to restore while another process has the store open', async () => {
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, 5, 'x');
		const good = await backupStore(store);
		const holder = startWriter({ baseDir, file: 'test.sqlite', listId: list.id, prefix: 'idle', idle: true });
		await holder.ready;
		try {
			await expect(restoreSqliteStore({ storeFile, backupFile: good.file })).rejects.toThrow(
				'Another process still has the store test.sqlite open (n8n, a queue-mode worker, another script); stop it and restore again',
			);
		} finally {
			await holder.stop();
		}
		// The live file stayed where it was, and restoring works once the other process is gone.
		expect(existsSync(storeFile)).toBe(true);
		const result = await restoreSqliteStore({ storeFile, backupFile: good.file });
		expect(result.subscribers).toBe(5);
	});

	it('restores another store’s backup as it is, saying that nothing was carried over', async () => {
		const list = await store.createList({ name: 'Mine' }, actor);
		await addSubscribers(store, list.id, 3, 'mine');
		await store.suppress('mine1@example.org', 'manual', 'operator', actor);
		const otherFixture = storeFixture('sqlite');
		const other = await otherFixture.open();
		try {
			await addSubscribers(other, (await other.createList({ name: 'Theirs' }, actor)).id, 2, 'theirs');
			const theirs = await backupStore(other);
			const result = await restoreSqliteStore({ storeFile, backupFile: theirs.file });
			expect(result).toMatchObject({
				subscribers: 2,
				erasuresReapplied: { lists: 0, subscribers: 0 },
				optOutsCarriedOver: { suppressions: 0, statuses: 0 },
				warnings: [
					'The backup is not from the same store as the replaced file (different suppression salt, or that file is unreadable); its erasures and opt-outs were not carried over',
				],
			});
		} finally {
			await other.close();
			await otherFixture.cleanup();
		}
	});

	it('restores into a store folder whose file is gone (disaster recovery)', async () => {
		const list = await store.createList({ name: 'Readers' }, actor);
		await addSubscribers(store, list.id, 3, 'dr');
		const good = await backupStore(store);
		await store.close();
		const fresh = path.join(baseDir, 'rebuilt.sqlite');
		const result = await restoreSqliteStore({ storeFile: fresh, backupFile: good.file });
		expect(result).toMatchObject({ previous: null, subscribers: 3 });
		const reopened = await openStore({ backend: 'sqlite', file: 'rebuilt.sqlite', baseDir });
		try {
			expect(await reopened.countSubscribers({})).toBe(3);
		} finally {
			await reopened.close();
			rmSync(fresh, { force: true });
		}
	});
});

describe('PostgreSQL backups', () => {
	it('points to pg_dump instead of copying', async () => {
		const fixture = storeFixture('postgres');
		const store = await fixture.open();
		try {
			const schema = (fixture.config as { schema: string }).schema;
			await expect(backupStore(store)).rejects.toThrow(
				`This store is on PostgreSQL; back it up with PostgreSQL's own tools, e.g. pg_dump --format=custom --schema=${schema}`,
			);
		} finally {
			await store.close();
			await fixture.cleanup();
		}
	});
});
