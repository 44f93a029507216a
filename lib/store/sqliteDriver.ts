import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { Mutex, type Row, type SqlDriver, type SqlExecutor } from './driver';
import { addressKeyHash } from './email';

type SqlValue = null | number | bigint | string | Uint8Array;

function toSqlite(value: unknown): SqlValue {
	if (value === undefined || value === null) return null;
	if (typeof value === 'boolean') return value ? 1 : 0;
	if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
	if (value instanceof Uint8Array) return value;
	return JSON.stringify(value);
}

/** SQLite through Node's built-in `node:sqlite` (no native addon to install). */
export class SqliteDriver implements SqlDriver {
	readonly dialect = 'sqlite' as const;
	private readonly db: DatabaseSync;
	private readonly statements = new Map<string, StatementSync>();
	private readonly mutex = new Mutex();
	private readonly direct: SqlExecutor;

	constructor(readonly location: string) {
		// The busy timeout is set on opening, before the first statement: even `journal_mode`
		// meets a lock while another process's last connection closes and checkpoints the WAL away.
		this.db = new DatabaseSync(location, { timeout: 15_000 });
		// WAL lets readers (another n8n execution, the webhook) work while an import writes.
		this.db.exec('PRAGMA journal_mode = WAL');
		this.db.exec('PRAGMA synchronous = NORMAL');
		this.db.exec('PRAGMA foreign_keys = ON');
		// SQLite has no sha256: the send log's salted address key (email.ts addressKeyHash) for
		// set-based statements, such as a campaign's audience written down at its start.
		this.db.function('bm_address_key', { deterministic: true, directOnly: true }, (salt, key) => addressKeyHash(String(salt), String(key)));
		const self = this;
		this.direct = {
			dialect: 'sqlite',
			all: async <T extends Row>(sql: string, params?: unknown[]) => self.allSync<T>(sql, params),
			get: async <T extends Row>(sql: string, params?: unknown[]): Promise<T | undefined> =>
				self.allSync<T>(sql, params)[0],
			run: async (sql: string, params?: unknown[]) => self.runSync(sql, params),
			exec: async (sql: string) => self.db.exec(sql),
		};
	}

	private statement(sql: string): StatementSync {
		let stmt = this.statements.get(sql);
		if (!stmt) {
			stmt = this.db.prepare(sql);
			this.statements.set(sql, stmt);
		}
		return stmt;
	}

	allSync<T extends Row>(sql: string, params: unknown[] = []): T[] {
		return this.statement(sql).all(...params.map(toSqlite)) as T[];
	}

	runSync(sql: string, params: unknown[] = []): { changes: number } {
		const result = this.statement(sql).run(...params.map(toSqlite));
		return { changes: Number(result.changes) };
	}

	async all<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
		return this.mutex.run(async () => this.allSync<T>(sql, params));
	}

	async get<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T | undefined> {
		return (await this.all<T>(sql, params))[0];
	}

	async run(sql: string, params?: unknown[]): Promise<{ changes: number }> {
		return this.mutex.run(async () => this.runSync(sql, params));
	}

	async exec(sql: string): Promise<void> {
		return this.mutex.run(async () => this.db.exec(sql));
	}

	async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		return this.mutex.run(async () => {
			// IMMEDIATE takes the write lock up front, so two processes queue instead of deadlocking.
			this.db.exec('BEGIN IMMEDIATE');
			try {
				const result = await work(this.direct);
				this.db.exec('COMMIT');
				return result;
			} catch (error) {
				if (this.db.isTransaction) this.db.exec('ROLLBACK');
				throw error;
			}
		});
	}

	/**
	 * See SqlDriver `allInParallel`. Outside the mutex: the statement runs on other connections of
	 * the store file (a store is always a file: openStore).
	 */
	async allInParallel<T extends Row = Row>(sql: string, paramSets: unknown[][]): Promise<T[][]> {
		return Promise.all(paramSets.map((params) => readInWorker<T>(this.location, sql, params.map(toSqlite))));
	}

	async close(): Promise<void> {
		await this.mutex.run(async () => {
			this.statements.clear();
			if (this.db.isOpen) this.db.close();
		});
	}
}

/**
 * A worker thread's body (plain JavaScript, so it runs the same from the TypeScript sources and
 * from dist): open the store read-only, run the statement, post the rows or the error's text.
 */
const READ_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
let db;
try {
	db = new DatabaseSync(workerData.location, { readOnly: true, timeout: 15000 });
	parentPort.postMessage({ rows: db.prepare(workerData.sql).all(...workerData.params) });
} catch (error) {
	parentPort.postMessage({ error: String((error && error.message) || error) });
} finally {
	if (db && db.isOpen) db.close();
}`;

function readInWorker<T extends Row>(location: string, sql: string, params: SqlValue[]): Promise<T[]> {
	return new Promise((resolve, reject) => {
		const worker = new Worker(READ_WORKER, { eval: true, workerData: { location, sql, params } });
		let settled = false;
		worker.once('message', (message: { rows?: T[]; error?: string }) => {
			settled = true;
			if (message.error !== undefined) reject(new Error(message.error));
			else resolve(message.rows ?? []);
		});
		worker.once('error', (error) => {
			settled = true;
			reject(error);
		});
		worker.once('exit', (code) => {
			if (!settled) reject(new Error(`the SQLite read worker stopped (exit code ${code}) before answering`));
		});
	});
}

const shared = new Map<string, { driver: SqliteDriver; refs: number }>();

/**
 * One connection per store file per process. node:sqlite waits for a lock synchronously, so two
 * connections of the same process to one file would block each other's event loop (a deadlock
 * until the busy timeout); sharing the connection lets the driver's mutex queue them instead.
 * Other processes still coordinate through SQLite's own file locks.
 */
export function acquireSqliteDriver(location: string): SqlDriver {
	let entry = shared.get(location);
	if (!entry) {
		entry = { driver: new SqliteDriver(location), refs: 0 };
		shared.set(location, entry);
	}
	entry.refs += 1;
	const { driver } = entry;
	let released = false;
	return {
		dialect: 'sqlite',
		location,
		all: (sql, params) => driver.all(sql, params),
		get: (sql, params) => driver.get(sql, params),
		run: (sql, params) => driver.run(sql, params),
		exec: (sql) => driver.exec(sql),
		transaction: (work) => driver.transaction(work),
		allInParallel: <T extends Row = Row>(sql: string, paramSets: unknown[][]) => driver.allInParallel<T>(sql, paramSets),
		close: async () => {
			if (released) return;
			released = true;
			const current = shared.get(location);
			if (!current || current.driver !== driver) return;
			current.refs -= 1;
			if (current.refs === 0) {
				shared.delete(location);
				await driver.close();
			}
		},
	};
}

/**
 * Closes this process's shared connection to a store file and forgets it, so the file can be
 * replaced (restore from a backup). Handles still held elsewhere fail from then on ("database is
 * not open"); the next open starts a fresh connection. Returns whether a connection was open.
 */
export async function closeSharedSqliteDriver(location: string): Promise<boolean> {
	const entry = shared.get(location);
	if (!entry) return false;
	shared.delete(location);
	await entry.driver.close();
	return true;
}
