import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { PostgresDriver } from './postgresDriver';
import { acquireSqliteDriver } from './sqliteDriver';
import type { SqlDriver } from './driver';
import { SqlSubscriberStore } from './sqlStore';
import { StoreError } from './types';

export interface SqliteStoreConfig {
	backend: 'sqlite';
	/** A file name inside the store folder, e.g. `newsletter.sqlite`. */
	file: string;
	/** The store folder; default `<n8n user folder>/.n8n/bulk-mail` (see defaultStoreDir). */
	baseDir?: string;
}

export interface PostgresStoreConfig {
	backend: 'postgres';
	host: string;
	port?: number;
	database: string;
	user: string;
	password?: string;
	/** `disable`, `require` (TLS, certificate verified) or `allow-self-signed`. */
	ssl?: 'disable' | 'require' | 'allow-self-signed';
	schema?: string;
	connectTimeoutMs?: number;
	maxConnections?: number;
}

export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig;

/**
 * Where SQLite stores live unless told otherwise: beside n8n's own data, in `bulk-mail/`.
 * `N8N_USER_FOLDER` is how n8n itself is told where its `.n8n` folder is;
 * `BULK_MAIL_STORE_DIR` overrides the folder for this package alone.
 */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
	if (env.BULK_MAIL_STORE_DIR) return path.resolve(env.BULK_MAIL_STORE_DIR);
	return path.join(env.N8N_USER_FOLDER ? path.resolve(env.N8N_USER_FOLDER) : homedir(), '.n8n', 'bulk-mail');
}

/**
 * Resolves a store file name inside the store folder. Anything that would leave the folder
 * (absolute paths elsewhere, `..`, links to other folders) or touch n8n's own database is refused.
 */
export function resolveStoreFile(file: string, baseDir: string = defaultStoreDir()): string {
	const name = String(file ?? '').trim();
	if (!name) throw new StoreError('The store file name is empty; use a name such as newsletter.sqlite', 'invalid');
	const base = path.resolve(baseDir);
	const target = path.resolve(base, name);
	const relative = path.relative(base, target);
	if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) {
		throw new StoreError(
			`The store file '${name}' is outside the store folder ${base}; use a plain file name such as newsletter.sqlite`,
			'refused',
		);
	}
	if (name.split(/[\\/]/).includes('..')) {
		throw new StoreError(`The store file '${name}' must not contain '..'`, 'refused');
	}
	if (/^database\.sqlite/i.test(path.basename(target))) {
		throw new StoreError(
			`'${path.basename(target)}' is n8n's own database file name; choose another name such as newsletter.sqlite`,
			'refused',
		);
	}
	return target;
}

export async function openStore(config: StoreConfig): Promise<SqlSubscriberStore> {
	if (config.backend === 'sqlite') {
		const base = path.resolve(config.baseDir ?? defaultStoreDir());
		const file = resolveStoreFile(config.file, base);
		try {
			mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		} catch (error) {
			throw new StoreError(`Cannot create the store folder ${path.dirname(file)}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, 'unavailable');
		}
		let driver: SqlDriver;
		try {
			driver = acquireSqliteDriver(file);
		} catch (error) {
			throw new StoreError(`Cannot open the store file ${file}: ${error.message}`, 'unavailable');
		}
		return SqlSubscriberStore.open(driver).catch((error) => {
			throw error instanceof StoreError
				? error
				: new StoreError(`Cannot use the store file ${file}: ${error.message}`, 'unavailable');
		});
	}
	const schema = config.schema?.trim() || 'bulk_mail';
	const ssl =
		!config.ssl || config.ssl === 'disable'
			? false
			: { rejectUnauthorized: config.ssl !== 'allow-self-signed', minVersion: 'TLSv1.2' as const };
	const driver = new PostgresDriver(
		{
			host: config.host,
			port: config.port ?? 5432,
			database: config.database,
			user: config.user,
			password: config.password,
			ssl,
			connectionTimeoutMillis: config.connectTimeoutMs ?? 10_000,
			max: config.maxConnections ?? 5,
			idleTimeoutMillis: 10_000,
		},
		schema,
		`postgres://${config.host}:${config.port ?? 5432}/${config.database}#${schema}`,
	);
	return SqlSubscriberStore.open(driver, schema).catch((error) => {
		throw new StoreError(describePgError(error, config), 'unavailable');
	});
}

/** A clear reason for a failed PostgreSQL connection, without the password. */
export function describePgError(error: NodeJS.ErrnoException & { code?: string }, config: PostgresStoreConfig): string {
	const where = `${config.host}:${config.port ?? 5432}`;
	switch (error.code) {
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return `PostgreSQL host '${config.host}' was not found`;
		case 'ECONNREFUSED':
			return `PostgreSQL at ${where} refused the connection (is it running and listening there?)`;
		case 'ETIMEDOUT':
			return `PostgreSQL at ${where} did not answer in time`;
		case '28P01':
		case '28000':
			return `PostgreSQL rejected user '${config.user}': wrong password or no access`;
		case '3D000':
			return `PostgreSQL database '${config.database}' does not exist`;
		case '42501':
			return `User '${config.user}' may not create or use schema '${config.schema ?? 'bulk_mail'}'`;
		default:
			return `Cannot open the PostgreSQL store at ${where}: ${String(error.message).replace(String(config.password ?? '\u0000'), '***')}`;
	}
}
