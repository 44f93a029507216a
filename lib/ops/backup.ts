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
import { backup } from 'node:sqlite';
import {
	acquireSqliteDriver,
	type Actor,
	carryOverOptOuts,
	closeSharedSqliteDriver,
	detachLiveFile,
	type Erasure,
	erasuresAfter,
	finishCopy,
	openForBackup,
	prepareStagedCopy,
	recordAudit,
	saltOf,
	SqlSubscriberStore,
	StoreError,
	type StoreFileInspection,
} from '../store';

export { inspectSqliteBackup, type StoreFileInspection } from '../store';
import { eraseList } from './eraseList';

/** How many backups of a store are kept unless told otherwise (a week of daily backups). */
export const DEFAULT_GENERATIONS = 7;
export const MAX_GENERATIONS = 1000;

/** Copy every page in one backup step: one read transaction, so the copy is one consistent snapshot. */
const ALL_PAGES = 1_000_000_000;

/** A stale `.partial` file (a backup that died half-way) older than this is removed on the next run. */
const STALE_PARTIAL_MS = 24 * 60 * 60 * 1000;


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
		const source = openForBackup(storeFile);
		try {
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
 * Replaces a SQLite store file with a backup, safely: the backup is copied beside the store and
 * checked there (integrity, tables, schema version) before anything changes; this process's
 * shared connection is closed; the restore is refused while another process has the file open;
 * the current file is kept as `<name>.before-restore-<UTC time>.sqlite`; the checked copy is then
 * renamed into place (atomic on one file system). Erasures, suppressions and opt-outs made after
 * the backup are carried over, and the restore is written to the restored store's audit log.
 */
// Long: the restore steps must run in this order (check copy, close, lock check, keep old file, rename, carry over).
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
		inspection = prepareStagedCopy(staging, backupFile);
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
		await store.transaction(async (tx) => {
			await recordAudit(tx, actor, 'store.restore', 'store', null, {
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
