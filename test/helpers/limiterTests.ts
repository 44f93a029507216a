/**
 * Shared by the send-rate tests (lib/send/limiter, queue mode in n8n): counting starts in a
 * window, and the Redis keys of the Bottleneck limiters a test file creates, deleted after it.
 */
import IORedis from 'ioredis';

/** Largest number of timestamps (ms) in any window of `windowMs` (half-open [t, t + windowMs)). */
export function maxInAnyWindow(times: number[], windowMs: number): number {
	const sorted = [...times].sort((a, b) => a - b);
	let best = 0;
	let left = 0;
	for (let right = 0; right < sorted.length; right++) {
		while (sorted[right] - sorted[left] >= windowMs) left++;
		best = Math.max(best, right - left + 1);
	}
	return best;
}

/** Deletes the keys matching `pattern` (SCAN, so a large Redis is not blocked). */
export async function deleteRedisKeys(redis: IORedis, pattern: string): Promise<void> {
	let cursor = '0';
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
		cursor = next;
		if (keys.length) await redis.del(...keys);
	} while (cursor !== '0');
}

/**
 * `redisId(name)` gives a limiter id unique to this run (`<prefix>-<name>`); after the test file
 * the Redis keys of every id it gave are deleted.
 */
export function limiterIdsDeletedAfterAll(prefix: string, redisUrl: string): (name: string) => string {
	const ids: string[] = [];
	afterAll(async () => {
		const redis = new IORedis(redisUrl);
		try {
			for (const id of ids) await deleteRedisKeys(redis, `b_bulkmail:${id}*`);
		} finally {
			redis.disconnect();
		}
	});
	return (name) => {
		const id = `${prefix}-${name}`;
		ids.push(id);
		return id;
	};
}
