/**
 * SQLite store files read and prepared directly (backups and restores, lib/ops backup): checks
 * that a file is a healthy subscriber store, leaves WAL mode, reads what a replaced file knew
 * after a backup (erasures, suppressions, opt-outs) and carries it into the restored store.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { recordAudit } from './auditLog';
import { LATEST_SCHEMA_VERSION } from './migrations';
import type { SqlSubscriberStore } from './sqlStore';
import { StoreError, type Actor } from './types';

const REQUIRED_TABLES = ['bm_meta', 'lists', 'subscribers', 'suppressions', 'audit_log'];

/**
 * Turns a fresh copy into a self-contained file (rollback journal, no -wal/-shm beside it) and
 * optionally checks it. SQLite's backup copies page 1, so the copy starts out in WAL mode.
 */
export function finishCopy(file: string, verify: boolean): void {
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
export function inspectOpen(db: DatabaseSync, file: string): StoreFileInspection & { salt: string } {
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

/**
 * Puts the live file into rollback-journal mode, which checkpoints the WAL into it and removes
 * the -wal/-shm files. SQLite allows that only when no other connection has the file open, so
 * it is also the check that no other process (n8n, a queue-mode worker) is using the store.
 */
export function detachLiveFile(storeFile: string): void {
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

export interface Erasure {
	action: string;
	entityId: string;
}

export function erasuresAfter(file: string, afterSeq: number): Erasure[] {
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

export function saltOf(file: string): string | null {
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
export async function carryOverOptOuts(
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
			result.suppressions += await store.transaction(async (tx) => {
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
						await recordAudit(tx, actor, 'suppression.add', 'suppression', String(row.hash).slice(0, 16), {
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
			result.statuses += await store.transaction(async (tx) => {
				let changed = 0;
				for (const row of rows) {
					const current = await tx.get('SELECT status FROM subscribers WHERE id = ?', [row.id]);
					if (!current || OPTED_OUT.includes(String(current.status))) continue;
					await tx.run('UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?', [row.status, new Date().toISOString(), row.id]);
					await recordAudit(tx, actor, 'subscriber.status', 'subscriber', String(row.id), {
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
 * Checks a staged copy of a backup (integrity, tables, schema version) and puts it in
 * rollback-journal mode; returns its counts and suppression salt. `label` names the backup in errors.
 */
export function prepareStagedCopy(staging: string, label: string): StoreFileInspection & { salt: string } {
	const db = new DatabaseSync(staging);
	try {
		const inspection = inspectOpen(db, label);
		db.exec('PRAGMA journal_mode = DELETE');
		return inspection;
	} finally {
		db.close();
	}
}

/** Opens a live store file to copy it (node:sqlite backup), waiting up to 15 s for a writer. */
export function openForBackup(storeFile: string): DatabaseSync {
	const source = new DatabaseSync(storeFile);
	source.exec('PRAGMA busy_timeout = 15000');
	return source;
}
