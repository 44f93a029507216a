/**
 * The settings of one campaign run that are worked out before it sends: sizes checked, the
 * limiter chosen (the run's, or the campaign's stored limits) and the in-flight window sized.
 */
import { prepareVerp, validateProviderPause, type ProviderPausePolicy } from '../bounce';
import { resolveLimits, type LimiterConfig, type SendLimiter } from '../send';
import { CampaignError } from '../store';
import type { CampaignRunRepository } from './repository';
import type { CampaignSender, RunCampaignOptions } from './types';

export function positiveInteger(name: string, value: unknown, fallback: number, max = 1_000_000): number {
	if (value === undefined || value === null) return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1 || n > max) {
		throw new CampaignError(`${name} must be a whole number from 1 to ${max} (got ${String(value)})`, 'invalid');
	}
	return n;
}

/**
 * Messages in progress at once: maxConnections × 4 (as item mode), but no more than about two
 * seconds' worth at a slow rate limit, so a stopped run (time budget) is not left waiting for
 * messages queued far ahead in the limiter.
 */
export function defaultInFlight(maxConnections: number, limiter: LimiterConfig | SendLimiter | undefined): number {
	const base = Math.max(8, maxConnections * 4);
	if (!limiter || typeof (limiter as SendLimiter).schedule === 'function') return base;
	let limits;
	try {
		limits = resolveLimits(limiter as LimiterConfig);
	} catch {
		return base; // the send engine reports the bad limit with its own message
	}
	const rates = [
		limits.perSecond,
		limits.perMinute === undefined ? undefined : limits.perMinute / 60,
		limits.perHour === undefined ? undefined : limits.perHour / 3600,
	].filter((rate): rate is number => rate !== undefined && rate > 0);
	if (!rates.length) return base;
	// at a fast limit, half a second's worth: on a busy machine a send takes longer, and too few
	// in flight would hold the run below its limit
	const rate = Math.min(...rates);
	return Math.max(2, Math.min(Math.max(base, Math.ceil(rate / 2)), Math.ceil(rate * 2)));
}

/**
 * A daily cap (or warm-up) without Redis only knows what this run sends: start it from what the
 * store's campaigns sent in the last 24 hours, unless the caller said (sentToday).
 */
export async function withSentToday(
	runs: CampaignRunRepository,
	limiter: LimiterConfig | SendLimiter | undefined,
	now: number,
): Promise<LimiterConfig | SendLimiter | undefined> {
	if (!limiter || typeof (limiter as SendLimiter).schedule === 'function') return limiter;
	const config = limiter as LimiterConfig;
	if (config.redis || config.sentToday !== undefined) return config;
	try {
		if (resolveLimits(config, now).dailyCap === null) return config;
	} catch {
		return config;
	}
	return { ...config, sentToday: await runs.sentInLastDay(now) };
}

/** The campaign's stored limits as a limiter config (the Redis connection is the run's to give). */
export function storedLimiter(limiter: NonNullable<CampaignSender['limiter']>): LimiterConfig {
	const { redisId: _redisId, ...rest } = limiter;
	return rest;
}

/** Counts `used` against `max`; `acquire` waits until there is room. */
export class Window {
	used = 0;
	private waiter: (() => void) | null = null;
	constructor(readonly max: number) {}

	get waiting(): boolean {
		return this.waiter !== null;
	}

	async acquire(n: number, starved: () => Promise<void>, cancelled: () => boolean): Promise<void> {
		while (this.used + n > this.max && !cancelled()) {
			const woken = new Promise<void>((resolve) => {
				this.waiter = resolve;
			});
			await starved();
			await woken;
		}
		this.used += n;
	}

	release(n: number): void {
		this.used = Math.max(0, this.used - n);
		const wake = this.waiter;
		this.waiter = null;
		wake?.();
	}

	/** Wakes a waiting acquire without releasing (it re-checks, e.g. after a stop). */
	poke(): void {
		const wake = this.waiter;
		this.waiter = null;
		wake?.();
	}
}

export interface BounceSettings {
	/** VERP: each message's own signed return path (null: the From address). */
	verp: ReturnType<typeof prepareVerp>;
	/** The per-provider pause rule (false: off). */
	providerPause: ProviderPausePolicy | false;
}

/** A run's VERP and provider-pause settings, checked before anything is sent. */
export function bounceSettings(options: RunCampaignOptions): BounceSettings {
	try {
		return {
			verp: prepareVerp(options.verp),
			providerPause: options.providerPause === false ? false : validateProviderPause(options.providerPause ?? {}),
		};
	} catch (error) {
		throw new CampaignError((error as Error).message, 'invalid');
	}
}
