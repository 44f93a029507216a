import { FailureRateBreaker } from '../../../lib/send/breaker';
import {
	backoffDelay,
	resolveRetryPolicy,
	RetriesExhaustedError,
	withRetry,
} from '../../../lib/send/retry';

describe('backoffDelay (full jitter)', () => {
	const policy = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 30_000 };

	it('caps the wait at base * 2^(n-1), then at maxDelay', () => {
		const top = () => 0.999999;
		expect(backoffDelay(1, policy, top)).toBe(999);
		expect(backoffDelay(2, policy, top)).toBe(1999);
		expect(backoffDelay(4, policy, top)).toBe(7999);
		expect(backoffDelay(6, policy, top)).toBe(29_999);
		expect(backoffDelay(60, policy, top)).toBe(29_999);
		expect(backoffDelay(3, policy, () => 0)).toBe(0);
	});

	it('spreads waits uniformly over [0, cap)', () => {
		const waits = Array.from({ length: 2000 }, () => backoffDelay(3, policy));
		const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
		expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
		expect(Math.max(...waits)).toBeLessThan(4000);
		expect(mean).toBeGreaterThan(1800);
		expect(mean).toBeLessThan(2200);
	});

	it('rejects a policy that cannot work', () => {
		expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(
			/maxAttempts must be a whole number of at least 1/,
		);
		expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow(/zero or more/);
	});
});

describe('withRetry', () => {
	it('retries retryable errors with the injected sleep, then succeeds', async () => {
		const waits: number[] = [];
		let calls = 0;
		const value = await withRetry(
			async () => {
				if (++calls < 3) throw new Error('deferred');
				return 'ok';
			},
			{
				policy: { maxAttempts: 5, baseDelayMs: 100 },
				shouldRetry: () => true,
				sleep: async (ms) => void waits.push(ms),
				random: () => 0.5,
			},
		);
		expect(value).toBe('ok');
		expect(calls).toBe(3);
		expect(waits).toEqual([50, 100]);
	});

	it('stops at maxAttempts and rethrows errors that are not retryable at once', async () => {
		let calls = 0;
		await expect(
			withRetry(
				async () => {
					calls++;
					throw new Error('busy');
				},
				{ policy: { maxAttempts: 3 }, shouldRetry: () => true, sleep: async () => undefined },
			),
		).rejects.toBeInstanceOf(RetriesExhaustedError);
		expect(calls).toBe(3);
		calls = 0;
		await expect(
			withRetry(
				async () => {
					calls++;
					throw new Error('550 no');
				},
				{ shouldRetry: () => false, sleep: async () => undefined },
			),
		).rejects.toThrow('550 no');
		expect(calls).toBe(1);
	});
});

describe('FailureRateBreaker', () => {
	it('does not trip before the minimum sample', () => {
		const breaker = new FailureRateBreaker({ windowSize: 10, thresholdPct: 50, minSamples: 5 });
		for (let i = 0; i < 4; i++) expect(breaker.record(false)).toBe(false);
		expect(breaker.record(false)).toBe(true);
		expect(breaker.snapshot()).toEqual({
			samples: 5,
			failures: 5,
			failureRatePct: 100,
			tripped: true,
		});
	});

	it('only counts the last N outcomes', () => {
		const breaker = new FailureRateBreaker({ windowSize: 10, thresholdPct: 50, minSamples: 10 });
		for (let i = 0; i < 5; i++) breaker.record(false);
		for (let i = 0; i < 100; i++) breaker.record(true);
		// the early failures have left the window
		expect(breaker.snapshot()).toMatchObject({ samples: 10, failures: 0, tripped: false });
		for (let i = 0; i < 5; i++) expect(breaker.record(false)).toBe(false);
		expect(breaker.record(false)).toBe(true);
		expect(breaker.describe()).toBe('6 of the last 10 sends failed (60%, limit 50%)');
	});

	it('rejects bad options', () => {
		expect(() => new FailureRateBreaker({ windowSize: 0 })).toThrow(/windowSize/);
		expect(() => new FailureRateBreaker({ thresholdPct: 120 })).toThrow(/thresholdPct/);
	});
});
