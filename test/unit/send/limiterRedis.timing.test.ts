/**
 * The Redis-shared limiter with spacings that are not whole milliseconds (400/s: 2.5 ms; the
 * Amazon SES preset's 14/s: 71.4 ms). Bottleneck's Redis scripts once turned such a spacing into
 * a fractional key TTL that Redis refused, so every registration failed and sending stalled
 * (found by the queue-mode end-to-end test). Real Redis, no mocks.
 */
import IORedis from 'ioredis';

import { createLimiter, type SendLimiter } from '../../../lib/send/limiter';
import { limiterIdsDeletedAfterAll } from '../../helpers/limiterTests';
import { REDIS_URL } from '../../helpers/services';

jest.setTimeout(30_000);

const redisId = limiterIdsDeletedAfterAll(`redis-frac-${process.pid}-${Date.now().toString(36)}`, REDIS_URL);

/** Schedules `count` jobs at once; resolves with their start times (ms). */
async function startTimes(limiter: SendLimiter, count: number, domain: string | null = null): Promise<number[]> {
	const starts: number[] = [];
	await Promise.all(
		Array.from({ length: count }, () =>
			limiter.schedule(domain, async () => {
				starts.push(performance.now());
			}),
		),
	);
	return starts.sort((a, b) => a - b);
}

describe('Redis-shared limiter, spacing in fractions of a millisecond', () => {
	it('keeps sending at 400 messages per second (2.5 ms apart), and no faster', async () => {
		const limiter = await createLimiter({ perSecond: 400, redis: { id: redisId('400'), url: REDIS_URL } });
		try {
			const starts = await startTimes(limiter, 200);
			expect(starts).toHaveLength(200);
			// 199 gaps of 2.5 ms: at least ~0.5 s (timer granularity allows a little less)
			expect(starts[199] - starts[0]).toBeGreaterThan(199 * 2.5 - 25);
		} finally {
			await limiter.disconnect();
		}
	});

	it('keeps the Amazon SES preset (14 per second) going', async () => {
		const limiter = await createLimiter({ preset: 'amazon-ses', redis: { id: redisId('ses'), url: REDIS_URL } });
		try {
			const starts = await startTimes(limiter, 15);
			expect(starts).toHaveLength(15);
			expect(starts[14] - starts[0]).toBeGreaterThan(14 * (1000 / 14) - 25);
		} finally {
			await limiter.disconnect();
		}
	});

	it('keeps per-domain limits going (7 per second, 142.9 ms apart)', async () => {
		const limiter = await createLimiter({
			domainLimits: [{ domains: ['example.org'], perSecond: 7 }],
			redis: { id: redisId('domain'), url: REDIS_URL },
		});
		try {
			const starts = await startTimes(limiter, 5, 'example.org');
			expect(starts).toHaveLength(5);
			expect(starts[4] - starts[0]).toBeGreaterThan(4 * (1000 / 7) - 25);
		} finally {
			await limiter.disconnect();
		}
	});

	it('lets idle shared state expire from Redis after two days', async () => {
		const id = redisId('ttl');
		const limiter = await createLimiter({ perSecond: 400, perDay: 1000, redis: { id, url: REDIS_URL } });
		await startTimes(limiter, 3);
		await limiter.disconnect();
		const redis = new IORedis(REDIS_URL);
		try {
			const day = new Date().toISOString().slice(0, 10);
			for (const name of ['second', `day:${day}`]) {
				const ttl = await redis.pttl(`b_bulkmail:${id}:${name}_settings`);
				expect(ttl).toBeGreaterThan(2 * 86_400_000 - 60_000);
				expect(ttl).toBeLessThanOrEqual(2 * 86_400_000);
			}
		} finally {
			redis.disconnect();
		}
	});
});
