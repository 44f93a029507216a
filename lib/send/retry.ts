/**
 * Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the n-th wait is a uniform random time in [0, min(maxDelay, base * 2^(n-1))], which
 * spreads the retries of many messages deferred at once instead of sending them back together.
 */
export interface RetryPolicy {
	/** Attempts in total, the first one included (1 = never retry). */
	maxAttempts: number;
	/** The cap of the first wait (ms). */
	baseDelayMs: number;
	/** The cap of any wait (ms). */
	maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxAttempts: 4,
	baseDelayMs: 2_000,
	maxDelayMs: 60_000,
};

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) =>
	new Promise((resolve) => {
		setTimeout(resolve, Math.max(0, ms));
	});

export function resolveRetryPolicy(policy?: Partial<RetryPolicy>): RetryPolicy {
	const merged = { ...DEFAULT_RETRY_POLICY, ...policy };
	if (!Number.isInteger(merged.maxAttempts) || merged.maxAttempts < 1) {
		throw new Error(
			`Retry maxAttempts must be a whole number of at least 1, got "${merged.maxAttempts}".`,
		);
	}
	if (!(merged.baseDelayMs >= 0) || !(merged.maxDelayMs >= 0)) {
		throw new Error('Retry delays must be zero or more milliseconds.');
	}
	return merged;
}

/**
 * The wait before the next attempt after `failedAttempts` failures (1 after the first failure).
 * `random` returns [0, 1).
 */
export function backoffDelay(
	failedAttempts: number,
	policy: RetryPolicy,
	random: () => number = Math.random,
): number {
	const exponent = Math.max(0, failedAttempts - 1);
	// 2^exponent overflows to Infinity for large values, which min() then caps
	const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
	return Math.floor(random() * cap);
}

export interface RetryOptions {
	policy?: Partial<RetryPolicy>;
	/** Whether the error from attempt `attempt` (1-based) should be retried. */
	shouldRetry: (error: unknown, attempt: number) => boolean;
	sleep?: Sleep;
	random?: () => number;
	/** Called before each wait. */
	onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export class RetriesExhaustedError extends Error {
	readonly attempts: number;
	readonly lastError: unknown;
	constructor(lastError: unknown, attempts: number) {
		super(
			`Gave up after ${attempts} attempts: ${(lastError as Error)?.message ?? String(lastError)}`,
		);
		this.name = 'RetriesExhaustedError';
		this.attempts = attempts;
		this.lastError = lastError;
	}
}

/**
 * Runs `fn` until it succeeds, an error is not retryable (rethrown as is), or the attempts run
 * out (RetriesExhaustedError with the last error).
 */
export async function withRetry<T>(
	fn: (attempt: number) => Promise<T>,
	options: RetryOptions,
): Promise<T> {
	const policy = resolveRetryPolicy(options.policy);
	const wait = options.sleep ?? sleep;
	for (let attempt = 1; ; attempt++) {
		try {
			return await fn(attempt);
		} catch (error) {
			if (!options.shouldRetry(error, attempt)) throw error;
			if (attempt >= policy.maxAttempts) throw new RetriesExhaustedError(error, attempt);
			const delay = backoffDelay(attempt, policy, options.random);
			options.onRetry?.(error, attempt, delay);
			await wait(delay);
		}
	}
}
