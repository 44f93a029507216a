/**
 * The small SQL surface the store is written against, so one store implementation serves both
 * SQLite and PostgreSQL. SQL uses `?` placeholders; the PostgreSQL driver numbers them.
 */
export type Dialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

export interface SqlExecutor {
	readonly dialect: Dialect;
	all<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
	get<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T | undefined>;
	run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
	exec(sql: string): Promise<void>;
}

export interface SqlDriver extends SqlExecutor {
	/** Runs `work` in one transaction (serialised per driver); rolls back if it throws. */
	transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
	/**
	 * SQLite only (PostgreSQL runs a big scan on parallel workers itself): runs one read-only
	 * statement once per parameter set, each on a read-only connection of its own in a worker
	 * thread, all at once, and returns each set's rows in order. Each connection reads the last
	 * commit as of its own start, so sets over disjoint parts of a table add up to one answer
	 * only as exactly as "a moment ago" allows.
	 */
	allInParallel?<T extends Row = Row>(sql: string, paramSets: unknown[][]): Promise<T[][]>;
	close(): Promise<void>;
	readonly location: string;
}

/** A promise-chain mutex: the SQLite connection is shared, so transactions must not interleave. */
export class Mutex {
	private tail: Promise<unknown> = Promise.resolve();

	async run<T>(work: () => Promise<T>): Promise<T> {
		const result = this.tail.then(work, work);
		this.tail = result.catch(() => undefined);
		return result;
	}
}

/**
 * SQLite keeps removed row content in free space until it is reused; with secure_delete on,
 * it overwrites what it removes with zeros. Switched on for this connection only around our own
 * transaction (the shared connection serialises transactions, so nothing else runs meanwhile).
 */
export async function withSecureDelete<T>(tx: SqlExecutor, work: () => Promise<T>): Promise<T> {
	if (tx.dialect !== 'sqlite') return work();
	const prior = Number(Object.values((await tx.get('PRAGMA secure_delete')) ?? {})[0] ?? 0);
	await tx.exec('PRAGMA secure_delete = ON');
	try {
		return await work();
	} finally {
		await tx.exec(`PRAGMA secure_delete = ${prior === 1 ? 'ON' : prior === 2 ? 'FAST' : 'OFF'}`);
	}
}
