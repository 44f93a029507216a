import Bottleneck from 'bottleneck';
import IORedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';

import { DAY, LimiterConfigError, type RedisLimiterOptions } from './limiterConfig';

/** Bottleneck's Redis datastore for a budget shared between processes (`redis: { id, url }`). */

/** The Redis keys of one Bottleneck 2.x limiter: `b_<id>_<suffix>` (its Scripts.allKeys). */
const BOTTLENECK_KEYS = [
	'settings',
	'job_weights',
	'job_expirations',
	'job_clients',
	'client_running',
	'client_num_queued',
	'client_last_registered',
	'client_last_seen',
];

/** Shared limiter state idle this long is dropped from Redis (a later run starts with full reservoirs). */
const SHARED_STATE_TTL_MS = 2 * DAY;

/** Sets the TTL of every key of these Bottleneck limiters. */
export async function expireLimiterKeys(redis: Redis, limiterIds: Iterable<string>): Promise<void> {
	const batch = redis.multi();
	for (const id of limiterIds) {
		for (const suffix of BOTTLENECK_KEYS) batch.pexpire(`b_${id}_${suffix}`, SHARED_STATE_TTL_MS);
	}
	await batch.exec();
}

export interface Datastore {
	connection: InstanceType<typeof Bottleneck.IORedisConnection> | null;
	prefix: string;
	clear: boolean;
}

export function limiterOptions(
	store: Datastore,
	name: string,
	options: Bottleneck.ConstructorOptions,
): Bottleneck.ConstructorOptions {
	if (!store.connection) return { ...options, id: name };
	// No Bottleneck `timeout` here: its Redis scripts PEXPIRE the keys to nextRequest + timeout,
	// and with a minTime that is not a whole number of ms (400/s: 2.5 ms; 14/s: 71.4 ms) that TTL
	// is fractional, Redis refuses it and every job registration fails: the limiter stalls.
	// BottleneckSendLimiter.expireShared() expires these keys instead.
	return {
		...options,
		id: `${store.prefix}:${name}`,
		datastore: 'ioredis',
		connection: store.connection,
		clearDatastore: store.clear,
	};
}

// Applies the current rate settings to a shared limiter: Redis keeps the settings of the limiter
// that created the key, and a reservoir's stored level must not be reset by a new process.
export async function applyRateSettings(
	limiter: Bottleneck,
	store: Datastore,
	settings: Bottleneck.ConstructorOptions,
) {
	if (!store.connection) return;
	await limiter.ready();
	const { reservoir: _ignored, ...rest } = settings;
	await limiter.updateSettings(rest);
}

function redisLabel(options: RedisLimiterOptions): string {
	if (options.url) {
		try {
			const url = new URL(options.url);
			return `${url.hostname}:${url.port || 6379}`;
		} catch {
			return 'the configured Redis URL';
		}
	}
	return `${options.options?.host ?? '127.0.0.1'}:${options.options?.port ?? 6379}`;
}

/**
 * Connects to Redis for a shared budget: fails with a clear error if Redis cannot be reached in
 * time. `owned` is the connection the limiter closes on disconnect.
 */
export async function connectSharedDatastore(
	redis: RedisLimiterOptions,
): Promise<{ store: Datastore; owned: Redis }> {
	if (!redis.id || !/^[\w.:-]{1,100}$/.test(redis.id)) {
		throw new LimiterConfigError(
			`Redis limiter id "${redis.id ?? ''}" must be 1-100 letters, digits, "_", ".", ":" or "-".`,
		);
	}
	const baseOptions: RedisOptions = {
		lazyConnect: false,
		maxRetriesPerRequest: 2,
		enableOfflineQueue: true,
		...redis.options,
	};
	const owned: Redis = redis.client
		? redis.client.duplicate()
		: redis.url
			? new IORedis(redis.url, baseOptions)
			: new IORedis(baseOptions);
	let connectError: Error | null = null;
	owned.on('error', (error: Error) => {
		connectError = error;
	});
	const timeoutMs = redis.connectTimeoutMs ?? 5_000;
	const ready = await new Promise<boolean>((resolve) => {
		if (owned.status === 'ready') return resolve(true);
		const timer = setTimeout(() => resolve(false), timeoutMs);
		owned.once('ready', () => {
			clearTimeout(timer);
			resolve(true);
		});
	});
	if (!ready) {
		owned.disconnect();
		const cause = connectError ? ` (${(connectError as Error).message})` : '';
		throw new LimiterConfigError(
			`Cannot reach Redis at ${redisLabel(redis)} for the shared rate limit within ${timeoutMs} ms${cause}.`,
		);
	}
	const connection = new Bottleneck.IORedisConnection({ client: owned, Redis: IORedis });
	// bottleneck.d.ts declares ready() as a method; in 2.19.5 it is a promise property
	await (connection as unknown as { ready: Promise<unknown> }).ready;
	const store: Datastore = {
		connection,
		prefix: `bulkmail:${redis.id}`,
		clear: Boolean(redis.clearDatastore),
	};
	return { store, owned };
}
