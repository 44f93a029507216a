import type { RedisOptions } from 'ioredis';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export const REDIS_CREDENTIAL = 'bulkMailRedisApi';

const CONNECT_TIMEOUT_MS = 5_000;

/** ioredis options from the credential's data. */
export function redisOptionsFromCredential(data: ICredentialDataDecryptedObject): RedisOptions {
	const options: RedisOptions = {
		host: String(data.host ?? 'localhost').trim() || 'localhost',
		port: Number(data.port ?? 6379),
		db: Number(data.db ?? 0),
		connectTimeout: CONNECT_TIMEOUT_MS,
		// a closed socket never reports 'close' again: ioredis would hold the process for 2 s
		disconnectTimeout: 200,
	};
	const user = String(data.user ?? '').trim();
	if (user) options.username = user;
	if (data.password) options.password = String(data.password);
	if (data.tls === true) options.tls = {};
	return options;
}

/** "host:port" for messages (never the password). */
export function redisLabel(options: RedisOptions): string {
	return `${options.host}:${options.port}`;
}

/** A sentence for the user about a failed Redis connection, without secrets. */
export function describeRedisError(error: unknown, options: RedisOptions): string {
	const err = (error ?? {}) as { code?: string; message?: string };
	const where = redisLabel(options);
	const message = String(err.message ?? '');
	if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
		return `Host not found: "${options.host}" does not resolve (check the host name).`;
	}
	if (err.code === 'ECONNREFUSED') {
		return `Connection refused by ${where}: nothing accepts connections there (check host and port).`;
	}
	if (err.code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) {
		return `Connection to ${where} timed out (check host, port and TLS).`;
	}
	if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(message)) {
		return `Redis at ${where} refused the login (check user and password).`;
	}
	if (/ERR DB index|invalid DB index|out of range/i.test(message)) {
		return `Redis at ${where} has no database ${options.db} (check the database number).`;
	}
	return `Redis at ${where}: ${message.split('\n')[0] || 'connection failed'}`;
}
