/**
 * Where the machine services live for tests, and small helpers around them. `npm test` makes sure
 * they are up before jest starts (scripts/services.js); these helpers fail with a clear message
 * instead of skipping when one is not.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'pg';

export const POSTGRES: { host: string; port: number; user: string; password: string; database: string } = {
	host: process.env.PGHOST_TEST ?? '127.0.0.1',
	port: Number(process.env.PGPORT_TEST ?? 5432),
	user: process.env.PGUSER_TEST ?? 'postgres',
	password: process.env.PGPASSWORD_TEST ?? '',
	database: process.env.PGDATABASE_TEST ?? 'test',
};

export const REDIS = {
	host: process.env.REDIS_HOST_TEST ?? '127.0.0.1',
	port: Number(process.env.REDIS_PORT_TEST ?? 6379),
};
export const REDIS_URL = `redis://${REDIS.host}:${REDIS.port}`;

const SMTP_SINK_CANDIDATES = ['/usr/sbin/smtp-sink', '/usr/bin/smtp-sink'];
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function findOrExplain(label: string, candidates: string[], fix: string): string {
	const found = candidates.find((file) => existsSync(file));
	if (!found) throw new Error(`${label} not found (looked at ${candidates.join(', ')}): ${fix}`);
	return found;
}

/** Path of Postfix's smtp-sink (Debian package `postfix`). */
export function smtpSinkPath(): string {
	return findOrExplain("Postfix's smtp-sink", SMTP_SINK_CANDIDATES, 'run `npm test`, which installs postfix, or `apt-get install postfix`');
}

/** Path of Debian's chromium, for playwright-core's `executablePath`. */
export function chromiumPath(): string {
	return findOrExplain('Chromium', CHROMIUM_CANDIDATES, 'run `npm test`, which installs it, or `apt-get install chromium`');
}

/** Chromium flags that work as root on this closed network (see the machine notes). */
export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/** A TCP port that was free a moment ago (for servers that cannot listen on port 0 themselves). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/** Runs fn with a connected client to the local PostgreSQL (database `test` unless told). */
export async function withPostgres<T>(
	fn: (client: Client) => Promise<T>,
	database = POSTGRES.database,
): Promise<T> {
	const client = new Client({ ...POSTGRES, database, connectionTimeoutMillis: 5000 });
	try {
		await client.connect();
	} catch (error) {
		throw new Error(
			`PostgreSQL at ${POSTGRES.host}:${POSTGRES.port} (database '${database}') is not reachable: ${(error as Error).message}. ` +
				'`npm test` starts it; when running jest alone, start it first.',
		);
	}
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

export function quoteIdentifier(name: string): string {
	if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
	return `"${name}"`;
}

/** Creates a fresh, empty database and returns its name; drop it with dropDatabase(). */
export async function createDatabase(prefix = 'bm_test', template?: string): Promise<string> {
	const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
	await withPostgres(async (client) => {
		const from = template ? ` TEMPLATE ${quoteIdentifier(template)}` : '';
		await client.query(`CREATE DATABASE ${quoteIdentifier(name)}${from}`);
	});
	return name;
}

export async function dropDatabase(name: string): Promise<void> {
	await withPostgres(async (client) => {
		await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
	});
}
