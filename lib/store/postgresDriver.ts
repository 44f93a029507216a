import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { Row, SqlDriver, SqlExecutor } from './driver';

const numbered = new Map<string, string>();

/** Rewrites `?` placeholders to `$1..$n` (the store's SQL has no `?` inside string literals). */
function toPg(sql: string): string {
	let text = numbered.get(sql);
	if (text === undefined) {
		let n = 0;
		text = sql.replace(/\?/g, () => `$${++n}`);
		numbered.set(sql, text);
	}
	return text;
}

function toPgValue(value: unknown): unknown {
	return value === undefined ? null : value;
}

type Queryable = Pick<PoolClient, 'query'>;

/**
 * SQL starting with this comment runs as a named prepared statement (parsed and planned once per
 * connection): for the few large, fixed statements on hot paths (the event history's batch write).
 */
export const PREPARED = '/* prepared */';
const preparedNames = new Map<string, string>();

function query(target: Queryable, sql: string, params: unknown[]) {
	const values = params.map(toPgValue);
	if (!sql.startsWith(PREPARED)) return target.query(toPg(sql), values);
	let name = preparedNames.get(sql);
	if (!name) preparedNames.set(sql, (name = `bm_prepared_${preparedNames.size + 1}`));
	return target.query({ name, text: toPg(sql), values });
}

function executor(target: Queryable): SqlExecutor {
	return {
		dialect: 'postgres',
		async all<T extends Row>(sql: string, params: unknown[] = []) {
			const result = await query(target, sql, params);
			return result.rows as T[];
		},
		async get<T extends Row>(sql: string, params: unknown[] = []) {
			const result = await query(target, sql, params);
			return result.rows[0] as T | undefined;
		},
		async run(sql: string, params: unknown[] = []) {
			const result = await query(target, sql, params);
			return { changes: result.rowCount ?? 0 };
		},
		async exec(sql: string) {
			await target.query(sql);
		},
	};
}

export const PG_SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class PostgresDriver implements SqlDriver {
	readonly dialect = 'postgres' as const;
	private readonly pool: Pool;
	private readonly direct: SqlExecutor;

	constructor(
		config: PoolConfig,
		readonly schema: string,
		readonly location: string,
	) {
		if (!PG_SCHEMA_PATTERN.test(schema)) {
			throw new Error(
				`The schema name '${schema}' is not allowed: use letters, digits and underscores only`,
			);
		}
		// Every connection works inside the store's own schema: two credentials with different
		// schemas never see each other's tables. No JIT: the store's big statements (a segment over
		// a million rows, a campaign's audience) cost enough to trigger JIT inlining and
		// optimisation, which took 3.0 s of a 4.9 s audience query and saved less than it cost.
		this.pool = new Pool({ ...config, options: `-c search_path="${schema}" -c jit=off` });
		this.pool.on('error', () => undefined);
		this.direct = executor(this.pool);
	}

	all<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
		return this.direct.all<T>(sql, params);
	}

	get<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T | undefined> {
		return this.direct.get<T>(sql, params);
	}

	run(sql: string, params?: unknown[]): Promise<{ changes: number }> {
		return this.direct.run(sql, params);
	}

	exec(sql: string): Promise<void> {
		return this.direct.exec(sql);
	}

	async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
		const client = await this.pool.connect();
		try {
			await client.query('BEGIN');
			const result = await work(executor(client));
			await client.query('COMMIT');
			return result;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw error;
		} finally {
			client.release();
		}
	}

	async close(): Promise<void> {
		await this.pool.end();
	}
}
