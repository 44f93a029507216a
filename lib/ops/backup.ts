import { randomUUID } from 'node:crypto';
import {
	chmodSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	readdirSync,
	renameSync,
	rmSync,
	statSync,
	unlinkSync,
} from 'node:fs';
import path from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { LATEST_SCHEMA_VERSION } from '../store/migrations';
import { acquireSqliteDriver, closeSharedSqliteDriver } from '../store/sqliteDriver';
import { SqlSubscriberStore } from '../store/sqlStore';
import { StoreError, type Actor } from '../store/types';
import { eraseList } from './eraseList';

/** How many backups of a store are kept unless told otherwise (a week of daily backups). */
export const DEFAULT_GENERATIONS = 7;
export const MAX_GENERATIONS = 1000;

/** Copy every page in one backup step: one read transaction, so the copy is one consistent snapshot. */
const ALL_PAGES = 1_000_000_000;

/** A stale `.partial` file (a backup that died half-way) older than this is removed on the next run. */
const STALE_PARTIAL_MS = 24 * 60 * 60 * 1000;

const REQUIRED_TABLES = ['bm_meta', 'lists', 'subscribers', 'suppressions', 'audit_log'];

export interface BackupOptions {
	/** Generations to keep, newest first; older backups of the same store are deleted. Default 7. */
	keep?: number;
	/** Where backups go; default `backups/` beside the store file (inside the store folder). */
	backupDir?: string;
	/** Run SQLite's quick_check on the finished copy (default true). */
	verify?: boolean;
	/** The time the backup is named after (tests). */
	now?: Date;
}

export interface BackupEntry {
	file: string;
	name: string;
	/** When the backup was taken (from its name), ISO-8601 UTC. */
	takenAt: string;
	bytes: number;
}

export interface BackupResult {
	/** The new backup file. */
	file: string;
	bytes: number;
	pages: number;
	durationMs: number;
	/** File names of the backups kept (newest first, the new one included). */
	kept: string[];
	/** File names of older backups deleted to keep `keep` generations. */
	deleted: string[];
}

/** `2026-11-05T03:15:22.123Z` → `20261105T031522.123Z` (sorts by time, safe in file names). */
export function backupStamp(at: Date): string {
	return at.toISOString().replace(/[-:]/g, '');
}

function stampToIso(stamp: string): string {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(stamp);
	return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : stamp;
}

/** Backups are named after the store file without its `.sqlite` extension. */
function backupPrefix(storeFile: string): string {
	return path.basename(storeFile).replace(/\.sqlite$/i, '');
}

function backupPattern(storeFile: string): RegExp {
	const prefix = backupPrefix(storeFile).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`^${prefix}-(\\d{8}T\\d{6}\\.\\d{3}Z)\\.sqlite$`);
}

export function defaultBackupDir(storeFile: string): string {
	return path.join(path.dirname(storeFile), 'backups');
}

function checkKeep(keep: unknown): number {
	const value = Number(keep);
	if (!Number.isInteger(value) || value < 1 || value > MAX_GENERATIONS) {
		throw new StoreError(
			`The number of backups to keep must be a whole number from 1 to ${MAX_GENERATIONS} (got ${String(keep)})`,
			'invalid',
		);
	}
	return value;
}

/** The backups of one store file in a folder, newest first. */
export function listBackups(storeFile: string, backupDir = defaultBackupDir(storeFile)): BackupEntry[] {
	if (!existsSync(backupDir)) return [];
	const pattern = backupPattern(storeFile);
	const entries: BackupEntry[] = [];
	for (const name of readdirSync(backupDir)) {
		const match = pattern.exec(name);
		if (!match) continue;
		const file = path.join(backupDir, name);
		entries.push({ file, name, takenAt: stampToIso(match[1]), bytes: statSync(file).size });
	}
	return entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/** Deletes all but the newest `keep` backups of a store (and half-written ones older than a day). */
export function pruneBackups(
	storeFile: string,
	keep: number,
	backupDir = defaultBackupDir(storeFile),
	now: Date = new Date(),
): { kept: string[]; deleted: string[] } {
	const generations = checkKeep(keep);
	const all = listBackups(storeFile, backupDir);
	const deleted: string[] = [];
	for (const entry of all.slice(generations)) {
		unlinkSync(entry.file);
		deleted.push(entry.name);
	}
	const prefix = `${backupPrefix(storeFile)}-`;
	for (const name of readdirSync(backupDir)) {
		if (!name.startsWith(prefix) || !name.endsWith('.sqlite.partial')) continue;
		const file = path.join(backupDir, name);
		if (now.getTime() - statSync(file).mtimeMs > STALE_PARTIAL_MS) rmSync(file, { force: true });
	}
	return { kept: all.slice(0, generations).map((entry) => entry.name), deleted };
}

function removeWithSidecars(file: string): void {
	for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Turns a fresh copy into a self-contained file (rollback journal, no -wal/-shm beside it) and
 * optionally checks it. SQLite's backup copies page 1, so the copy starts out in WAL mode.
 */
function finishCopy(file: string, verify: boolean): void {
	const db = new DatabaseSync(file);
	try {
		const mode = db.prepare('PRAGMA journal_mode = DELETE').get() as { journal_mode: string };
		if (mode.journal_mode !== 'delete') throw new Error(`could not leave WAL mode (${mode.journal_mode})`);
		if (verify) {
			const rows = db.prepare('PRAGMA quick_check').all() as Array<Record<string, unknown>>;
			const first = String(Object.values(rows[0] ?? {})[0] ?? '');
			if (rows.length !== 1 || first !== 'ok') throw new Error(`quick_check failed: ${first}`);
		}
	} finally {
		db.close();
	}
}

/**
 * A consistent online backup of a SQLite store file into `<folder>/backups/<name>-<UTC time>.sqlite`,
 * keeping `keep` generations. The copy is taken by SQLite's backup API on a separate connection
 * in one step — one read transaction, so it is a snapshot even while n8n executions (or other
 * processes) keep writing; WAL readers never block writers, and the work runs off the event loop.
 */
export async function backupSqliteFile(storeFile: string, options: BackupOptions = {}): Promise<BackupResult> {
	const keep = checkKeep(options.keep ?? DEFAULT_GENERATIONS);
	if (!existsSync(storeFile) || !statSync(storeFile).isFile()) {
		throw new StoreError(`There is no store file ${storeFile} to back up`, 'not-found');
	}
	const backupDir = path.resolve(options.backupDir ?? defaultBackupDir(storeFile));
	try {
		mkdirSync(backupDir, { recursive: true, mode: 0o700 });
	} catch (error) {
		throw new StoreError(`Cannot create the backup folder ${backupDir}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, 'unavailable');
	}
	let at = options.now ?? new Date();
	let target = path.join(backupDir, `${backupPrefix(storeFile)}-${backupStamp(at)}.sqlite`);
	while (existsSync(target)) {
		at = new Date(at.getTime() + 1);
		target = path.join(backupDir, `${backupPrefix(storeFile)}-${backupStamp(at)}.sqlite`);
	}
	const partial = `${target}.partial`;
	const started = performance.now();
	let pages: number;
	try {
		const source = new DatabaseSync(storeFile);
		try {
			source.exec('PRAGMA busy_timeout = 15000');
			pages = await backup(source, partial, { rate: ALL_PAGES });
		} finally {
			source.close();
		}
		finishCopy(partial, options.verify !== false);
		renameSync(partial, target);
		chmodSync(target, 0o600);
	} catch (error) {
		removeWithSidecars(partial);
		throw new StoreError(`The backup of ${storeFile} failed: ${error.message}`, 'unavailable');
	}
	const { kept, deleted } = pruneBackups(storeFile, keep, backupDir, at);
	return {
		file: target,
		bytes: statSync(target).size,
		pages,
		durationMs: Math.round(performance.now() - started),
		kept,
		deleted,
	};
}

/** The message for a backup asked of a PostgreSQL store: PostgreSQL's own tools do it better. */
export function postgresBackupMessage(location: string): string {
	const match = /^postgres:\/\/([^/]*)\/([^#]*)#(.*)$/.exec(location);
	const [host, port] = (match?.[1] ?? 'localhost:5432').split(':');
	const database = match?.[2] || '<database>';
	const schema = match?.[3] || 'bulk_mail';
	return (
		`This store is on PostgreSQL; back it up with PostgreSQL's own tools, e.g. ` +
		`pg_dump --format=custom --schema=${schema} --file=${schema}.dump --host=${host} --port=${port ?? 5432} --username=<user> ${database} ` +
		`(restore with pg_restore --clean --if-exists --dbname=${database} ${schema}.dump)`
	);
}

/** Backs up the store the caller has open; a PostgreSQL store gets a clear pg_dump pointer instead. */
export async function backupStore(store: SqlSubscriberStore, options: BackupOptions = {}): Promise<BackupResult> {
	const info = await store.info();
	if (info.backend !== 'sqlite') throw new StoreError(postgresBackupMessage(info.location), 'refused');
	return backupSqliteFile(info.location, options);
}

// ---------------------------------------------------------------- inspect and restore

export interface StoreFileInspection {
	file: string;
	schemaVersion: number;
	lists: number;
	subscribers: number;
	suppressions: number;
	auditEntries: number;
	/** The last audit sequence number: what happened after the backup is everything above it. */
	lastAuditSeq: number;
}

function firstValue(row: unknown): unknown {
	return row && typeof row === 'object' ? Object.values(row as Record<string, unknown>)[0] : undefined;
}

/** Checks that an open database is a healthy subscriber store; returns its counts. */
function inspectOpen(db: DatabaseSync, file: string): StoreFileInspection & { salt: string } {
	const label = path.basename(file);
	let integrity: Array<Record<string, unknown>>;
	try {
		integrity = db.prepare('PRAGMA integrity_check').all() as Array<Record<string, unknown>>;
	} catch (error) {
		throw new StoreError(`${label} is not a SQLite database (${error.message})`, 'invalid');
	}
	const verdict = String(firstValue(integrity[0]) ?? '');
	if (integrity.length !== 1 || verdict !== 'ok') {
		throw new StoreError(`${label} failed SQLite's integrity check: ${verdict}`, 'invalid');
	}
	const tables = new Set(
		(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((row) => row.name),
	);
	const missing = REQUIRED_TABLES.filter((table) => !tables.has(table));
	if (missing.length) {
		throw new StoreError(`${label} is a SQLite database but not a subscriber store (no ${missing.join(', ')} table)`, 'invalid');
	}
	const meta = new Map(
		(db.prepare('SELECT key, value FROM bm_meta').all() as Array<{ key: string; value: string }>).map((row) => [row.key, row.value]),
	);
	const schemaVersion = Number(meta.get('schema_version'));
	if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
		throw new StoreError(`${label} has no valid schema version; it is not a usable subscriber store`, 'invalid');
	}
	if (schemaVersion > LATEST_SCHEMA_VERSION) {
		throw new StoreError(
			`${label} has schema version ${schemaVersion}, newer than this package knows (${LATEST_SCHEMA_VERSION}); update the package first`,
			'invalid',
		);
	}
	const salt = meta.get('suppression_salt');
	if (!salt) throw new StoreError(`${label} has no suppression salt; it is not a usable subscriber store`, 'invalid');
	const count = (table: string) => Number(firstValue(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()));
	return {
		file,
		schemaVersion,
		lists: count('lists'),
		subscribers: count('subscribers'),
		suppressions: count('suppressions'),
		auditEntries: count('audit_log'),
		lastAuditSeq: Number(firstValue(db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log').get())),
		salt,
	};
}

/** Opens a backup read-only and checks it (integrity, tables, schema version); returns its counts. */
export function inspectSqliteBackup(file: string): StoreFileInspection {
	if (!existsSync(file) || !statSync(file).isFile()) throw new StoreError(`There is no backup file ${file}`, 'not-found');
	let db: DatabaseSync;
	try {
		db = new DatabaseSync(file, { readOnly: true });
	} catch (error) {
		throw new StoreError(`${path.basename(file)} cannot be opened as a SQLite database (${error.message})`, 'invalid');
	}
	try {
		const inspection: StoreFileInspection & { salt?: string } = inspectOpen(db, file);
		delete inspection.salt;
		return inspection;
	} finally {
		db.close();
	}
}

export interface RestoreOptions {
	/** The store file to replace (an absolute path, e.g. from resolveStoreFile). */
	storeFile: string;
	/** The backup to restore from. */
	backupFile: string;
	/** Where the replaced file is kept; default the backups folder beside the store. */
	keepDir?: string;
	/**
	 * Keep what people asked for after the backup was taken (default true): a restore must not
	 * bring back an erased person or mail someone who opted out meanwhile. From the replaced
	 * file: erasures named in its audit log are applied again; its suppressions are added;
	 * subscribers it has as unsubscribed, bounced or complained get that status back. Only done
	 * when both files belong to the same store (same suppression salt).
	 */
	keepLaterOptOuts?: boolean;
	actor?: Actor;
	now?: Date;
}

export interface RestoreResult {
	restored: string;
	from: string;
	/** The replaced store file, kept as `<name>.before-restore-<UTC time>.sqlite`; null if there was none. */
	previous: string | null;
	schemaVersion: number;
	lists: number;
	subscribers: number;
	/** Erasures found in the replaced file after the backup's last audit entry, and applied again. */
	erasuresReapplied: { lists: number; subscribers: number };
	/** Suppressions and opt-out statuses of the replaced file that the backup did not have yet. */
	optOutsCarriedOver: { suppressions: number; statuses: number };
	warnings: string[];
}

function moveFile(from: string, to: string): void {
	try {
		renameSync(from, to);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
		copyFileSync(from, to);
		unlinkSync(from);
	}
}

/**
 * Puts the live file into rollback-journal mode, which checkpoints the WAL into it and removes
 * the -wal/-shm files. SQLite allows that only when no other connection has the file open, so
 * it is also the check that no other process (n8n, a queue-mode worker) is using the store.
 */
function detachLiveFile(storeFile: string): void {
	let db: DatabaseSync;
	try {
		db = new DatabaseSync(storeFile);
	} catch (error) {
		throw new StoreError(`Cannot open the current store file ${storeFile}: ${error.message}`, 'unavailable');
	}
	let mode = '';
	try {
		db.exec('PRAGMA busy_timeout = 2000');
		mode = String((db.prepare('PRAGMA journal_mode = DELETE').get() as { journal_mode: string }).journal_mode);
	} catch (error) {
		if (!/locked|busy/i.test(error.message)) {
			// A damaged live file may be exactly why we restore: it is set aside as it is.
			mode = 'delete';
		}
	} finally {
		db.close();
	}
	if (mode !== 'delete' || existsSync(`${storeFile}-wal`)) {
		throw new StoreError(
			`Another process still has the store ${path.basename(storeFile)} open (n8n, a queue-mode worker, another script); stop it and restore again`,
			'unavailable',
		);
	}
}

interface Erasure {
	action: string;
	entityId: string;
}

function erasuresAfter(file: string, afterSeq: number): Erasure[] {
	const db = new DatabaseSync(file, { readOnly: true });
	try {
		return (
			db
				.prepare("SELECT action, entity_id FROM audit_log WHERE seq > ? AND action IN ('list.erase', 'subscriber.erase') AND entity_id IS NOT NULL ORDER BY seq")
				.all(afterSeq) as Array<{ action: string; entity_id: string }>
		).map((row) => ({ action: row.action, entityId: String(row.entity_id) }));
	} finally {
		db.close();
	}
}

function saltOf(file: string): string | null {
	try {
		const db = new DatabaseSync(file, { readOnly: true });
		try {
			const row = db.prepare("SELECT value FROM bm_meta WHERE key = 'suppression_salt'").get() as { value?: string } | undefined;
			return row?.value ?? null;
		} finally {
			db.close();
		}
	} catch {
		return null;
	}
}

const OPTED_OUT = ['unsubscribed', 'bounced', 'complained'];
const CARRY_PAGE = 1000;

/**
 * Brings the replaced file's suppressions and opt-out statuses into the restored store, so no one
 * who opted out (or was suppressed, or erased) after the backup is mailed again.
 */
async function carryOverOptOuts(
	store: SqlSubscriberStore,
	previousFile: string,
	actor: Actor,
): Promise<{ suppressions: number; statuses: number }> {
	const db = new DatabaseSync(previousFile, { readOnly: true });
	const result = { suppressions: 0, statuses: 0 };
	try {
		const suppressionPage = db.prepare(
			'SELECT hash, email, reason, source, created_at FROM suppressions WHERE hash > ? ORDER BY hash LIMIT ?',
		);
		for (let after = ''; ; ) {
			const rows = suppressionPage.all(after, CARRY_PAGE) as Array<Record<string, string | null>>;
			if (!rows.length) break;
			after = String(rows[rows.length - 1].hash);
			result.suppressions += await store.sql.transaction(async (tx) => {
				let added = 0;
				for (const row of rows) {
					const insert = await tx.run(
						'INSERT INTO suppressions (hash, email, reason, source, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING',
						[row.hash, row.email, row.reason, row.source, row.created_at],
					);
					// Erased since the backup: the clear-text address goes here too.
					if (!insert.changes && row.email === null) {
						await tx.run('UPDATE suppressions SET email = NULL WHERE hash = ? AND email IS NOT NULL', [row.hash]);
					}
					if (insert.changes) {
						added++;
						await store.audit(tx, actor, 'suppression.add', 'suppression', String(row.hash).slice(0, 16), {
							reason: row.reason,
							source: row.source,
							carriedOverByRestore: true,
						});
					}
				}
				return added;
			});
		}
		const optOutPage = db.prepare(
			`SELECT id, status FROM subscribers WHERE status IN (${OPTED_OUT.map(() => '?').join(', ')}) AND id > ? ORDER BY id LIMIT ?`,
		);
		for (let after = 0; ; ) {
			const rows = optOutPage.all(...OPTED_OUT, after, CARRY_PAGE) as Array<{ id: number; status: string }>;
			if (!rows.length) break;
			after = Number(rows[rows.length - 1].id);
			result.statuses += await store.sql.transaction(async (tx) => {
				let changed = 0;
				for (const row of rows) {
					const current = await tx.get('SELECT status FROM subscribers WHERE id = ?', [row.id]);
					if (!current || OPTED_OUT.includes(String(current.status))) continue;
					await tx.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?', [row.status, new Date().toISOString(), row.id]);
					await store.audit(tx, actor, 'subscriber.status', 'subscriber', String(row.id), {
						from: current.status,
						to: row.status,
						reason: 'opted out after the restored backup was taken',
					});
					changed++;
				}
				return changed;
			});
		}
	} finally {
		db.close();
	}
	return result;
}

/**
 * Replaces a SQLite store file with a backup, safely: the backup is copied beside the store and
 * checked there (integrity, tables, schema version) before anything changes; this process's
 * shared connection is closed; the restore is refused while another process has the file open;
 * the current file is kept as `<name>.before-restore-<UTC time>.sqlite`; the checked copy is then
 * renamed into place (atomic on one file system). Erasures, suppressions and opt-outs made after
 * the backup are carried over, and the restore is written to the restored store's audit log.
 */
export async function restoreSqliteStore(options: RestoreOptions): Promise<RestoreResult> {
	const storeFile = path.resolve(options.storeFile);
	const backupFile = path.resolve(options.backupFile);
	if (storeFile === backupFile) throw new StoreError('The backup file is the store file itself; choose a backup', 'invalid');
	if (!existsSync(backupFile) || !statSync(backupFile).isFile()) {
		throw new StoreError(`There is no backup file ${backupFile}`, 'not-found');
	}
	const at = options.now ?? new Date();
	const stamp = backupStamp(at);
	const storeDir = path.dirname(storeFile);
	mkdirSync(storeDir, { recursive: true, mode: 0o700 });
	const staging = path.join(storeDir, `.${path.basename(storeFile)}.restoring-${randomUUID()}`);
	copyFileSync(backupFile, staging);
	let inspection: StoreFileInspection & { salt: string };
	try {
		const db = new DatabaseSync(staging);
		try {
			inspection = inspectOpen(db, backupFile);
			db.exec('PRAGMA journal_mode = DELETE');
		} finally {
			db.close();
		}
	} catch (error) {
		removeWithSidecars(staging);
		throw error instanceof StoreError
			? error
			: new StoreError(`${path.basename(backupFile)} cannot be used as a store: ${error.message}`, 'invalid');
	}

	const warnings: string[] = [];
	let previous: string | null = null;
	let erasures: Erasure[] = [];
	let carryOverFrom: string | null = null;
	try {
		await closeSharedSqliteDriver(storeFile);
		if (existsSync(storeFile)) {
			detachLiveFile(storeFile);
			const keepDir = path.resolve(options.keepDir ?? defaultBackupDir(storeFile));
			mkdirSync(keepDir, { recursive: true, mode: 0o700 });
			previous = path.join(keepDir, `${backupPrefix(storeFile)}.before-restore-${stamp}.sqlite`);
			let sameStore = false;
			if (options.keepLaterOptOuts !== false) {
				const previousSalt = saltOf(storeFile);
				sameStore = previousSalt === inspection.salt;
				if (sameStore) {
					erasures = erasuresAfter(storeFile, inspection.lastAuditSeq);
				} else {
					warnings.push(
						'The backup is not from the same store as the replaced file (different suppression salt, or that file is unreadable); its erasures and opt-outs were not carried over',
					);
				}
			}
			moveFile(storeFile, previous);
			if (sameStore) carryOverFrom = previous;
		}
		moveFile(staging, storeFile);
		chmodSync(storeFile, 0o600);
	} catch (error) {
		removeWithSidecars(staging);
		throw error;
	}

	// Open the restored file as a store: migrations bring an older backup up to date.
	const store = await SqlSubscriberStore.open(acquireSqliteDriver(storeFile));
	const actor = options.actor ?? { type: 'ops', name: 'restore' };
	const reapplied = { lists: 0, subscribers: 0 };
	let carried = { suppressions: 0, statuses: 0 };
	try {
		for (const erasure of erasures.filter((entry) => entry.action === 'list.erase')) {
			if (!(await store.getList(erasure.entityId))) continue;
			await eraseList(store, erasure.entityId, actor);
			reapplied.lists++;
		}
		for (const erasure of erasures.filter((entry) => entry.action === 'subscriber.erase')) {
			const subscriber = await store.getSubscriber({ id: erasure.entityId });
			if (!subscriber || subscriber.email.endsWith('@erased.invalid')) continue;
			await store.eraseSubscriber(subscriber.id, actor);
			reapplied.subscribers++;
		}
		if (carryOverFrom) carried = await carryOverOptOuts(store, carryOverFrom, actor);
		await store.sql.transaction(async (tx) => {
			await store.audit(tx, actor, 'store.restore', 'store', null, {
				from: path.basename(backupFile),
				previous: previous ? path.basename(previous) : null,
				erasuresReapplied: reapplied,
				optOutsCarriedOver: carried,
			});
		});
		return {
			restored: storeFile,
			from: backupFile,
			previous,
			schemaVersion: (await store.info()).schemaVersion,
			lists: (await store.getLists()).length,
			subscribers: await store.countSubscribers({ includeTrashed: true }),
			erasuresReapplied: reapplied,
			optOutsCarriedOver: carried,
			warnings,
		};
	} finally {
		await store.close();
	}
}
