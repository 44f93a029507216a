import Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';

import {
	calendarDate,
	DailyCapReachedError,
	type DomainLimitRule,
	type EffectiveLimits,
	HOUR,
	type LimiterConfig,
	MINUTE,
	resolveLimits,
	SECOND,
	type SendLimiter,
} from './limiterConfig';
import {
	applyRateSettings,
	connectSharedDatastore,
	type Datastore,
	expireLimiterKeys,
	limiterOptions,
} from './limiterRedis';
import { SlidingWindowGuard } from './slidingWindowGuard';

/**
 * Send-rate limiting on Bottleneck.
 *
 * How each limit is enforced (and why):
 * - per second: `minTime = 1000 / N` on the limiter closest to the send. Bottleneck spaces the
 *   scheduled start times exactly minTime apart (`nextRequest = now + wait + minTime`), so the
 *   rate never bursts; a local sliding-window guard on top absorbs timer jitter, so no
 *   1-second window ever holds more than N starts in this process.
 * - per minute / per hour: a reservoir of N refreshed every window (Bottleneck refreshes it from
 *   a heartbeat, fixed windows from the limiter's creation). With `spread: 'even'` (default) the
 *   window's limiter also gets `minTime = window / N`, so the budget is spread over the window
 *   instead of spent at its start (a fixed-window reservoir alone lets up to 2N through around a
 *   window boundary).
 * - per day (and the warm-up cap): a budget per calendar day in `timeZone`, kept as a Bottleneck
 *   reservoir and taken atomically with `incrementReservoir(-1)`. When it is spent `schedule`
 *   rejects with DailyCapReachedError instead of waiting for tomorrow. Providers count a rolling
 *   24 hours: leave some margin below their number.
 * - windows are chained longest first (day budget → hour → minute → second), so the final
 *   pacing is always the per-second limiter and a refilled reservoir never releases a burst.
 * - per recipient domain: one limiter per domain rule and key (Bottleneck.Group), evenly spaced
 *   (`minTime` = the tightest of window / N) and chained in front of the global limiters.
 *   Messages wait for their domain first, so a slow domain does not hold the global budget.
 * - Redis (optional): every limiter uses Bottleneck's `ioredis` datastore on one shared
 *   connection, with ids derived from `redis.id`, so processes using the same id share one
 *   budget. Reservoirs then persist across runs (the day budget is keyed by date).
 */
export {
	calendarDate,
	DailyCapReachedError,
	describeLimits,
	type DomainLimitRule,
	type EffectiveLimits,
	type LimiterConfig,
	LimiterConfigError,
	type RedisLimiterOptions,
	resolveLimits,
	type SendLimiter,
	validateWarmup,
	warmupDailyCap,
	type WarmupSchedule,
	type WindowLimits,
} from './limiterConfig';
export { PROVIDER_PRESETS, type ProviderPreset, type ProviderPresetName } from './limiterPresets';
export { SlidingWindowGuard } from './slidingWindowGuard';

class BottleneckSendLimiter implements SendLimiter {
	readonly limits: EffectiveLimits;
	private readonly config: LimiterConfig;
	private readonly store: Datastore;
	private readonly now: () => number;
	private readonly globalLimiters: Bottleneck[] = [];
	private globalHead: Bottleneck | null = null;
	private guard: SlidingWindowGuard | null = null;
	private readonly groups: Array<{ rule: DomainLimitRule; group: Bottleneck.Group }> = [];
	private readonly explicitDomains = new Map<string, { group: Bottleneck.Group; key: string }>();
	private wildcard: Bottleneck.Group | null = null;
	private readonly dayLimiters = new Map<string, Promise<Bottleneck>>();
	private ownedRedis: Redis | null = null;
	private readonly sharedIds = new Set<string>();
	private lastError: Error | null = null;
	private readonly initialDate: string;
	private readonly capsByDate = new Map<string, number | null>();

	constructor(config: LimiterConfig, limits: EffectiveLimits, store: Datastore) {
		this.config = config;
		this.limits = limits;
		this.store = store;
		this.now = config.now ?? Date.now;
		this.initialDate = calendarDate(this.now(), config.timeZone);
	}

	async init(ownedRedis: Redis | null): Promise<void> {
		this.ownedRedis = ownedRedis;
		await this.initGlobalLimiters();
		this.initDomainGroups();
		if (this.limits.dailyCap !== null) {
			await this.dayLimiter(this.initialDate);
		}
	}

	/** The window limiters, chained longest first, and the local per-second guard. */
	private async initGlobalLimiters(): Promise<void> {
		const { perSecond, perMinute, perHour, maxConcurrent, spread } = this.limits;
		const windows: Array<{ name: string; settings: Bottleneck.ConstructorOptions }> = [];
		if (perHour) {
			windows.push({
				name: 'hour',
				settings: {
					reservoir: perHour,
					reservoirRefreshAmount: perHour,
					reservoirRefreshInterval: HOUR,
					minTime: spread === 'even' ? HOUR / perHour : 0,
				},
			});
		}
		if (perMinute) {
			windows.push({
				name: 'minute',
				settings: {
					reservoir: perMinute,
					reservoirRefreshAmount: perMinute,
					reservoirRefreshInterval: MINUTE,
					minTime: spread === 'even' ? MINUTE / perMinute : 0,
				},
			});
		}
		// Locally the guard paces the per-second rate on a fixed grid (Bottleneck's minTime spaces
		// each start from the previous one, so timer lateness adds up: -25% on a loaded machine).
		// Shared through Redis, Bottleneck's minTime paces all processes together.
		const localPacing = Boolean(perSecond && perSecond >= 1 && !this.store.connection);
		if (perSecond || maxConcurrent) {
			windows.push({
				name: 'second',
				settings: {
					minTime: perSecond && !localPacing ? SECOND / perSecond : 0,
					maxConcurrent: maxConcurrent ?? null,
				},
			});
		}
		for (const window of windows) {
			const limiter = this.track(
				new Bottleneck(limiterOptions(this.store, window.name, window.settings)),
			);
			await applyRateSettings(limiter, this.store, window.settings);
			await this.expireShared(limiter);
			const previous = this.globalLimiters[this.globalLimiters.length - 1];
			if (previous) previous.chain(limiter);
			this.globalLimiters.push(limiter);
		}
		this.globalHead = this.globalLimiters[0] ?? null;
		if (perSecond && perSecond >= 1) {
			this.guard = new SlidingWindowGuard(
				Math.floor(perSecond),
				SECOND,
				undefined,
				localPacing ? SECOND / perSecond : 0,
			);
		}
	}

	/** One Bottleneck.Group per domain rule, its limiters chained in front of the global ones. */
	private initDomainGroups(): void {
		for (const [i, rule] of (this.config.domainLimits ?? []).entries()) {
			const minTime = Math.max(
				rule.perSecond ? SECOND / rule.perSecond : 0,
				rule.perMinute ? MINUTE / rule.perMinute : 0,
				rule.perHour ? HOUR / rule.perHour : 0,
			);
			const settings: Bottleneck.ConstructorOptions = {
				// a Group's limiters always carry a Bottleneck timeout (see limiterOptions): in Redis,
				// whole milliseconds only (at most 1 ms slower per message)
				minTime: this.store.connection ? Math.ceil(minTime) : minTime,
				maxConcurrent: rule.maxConcurrent ?? null,
			};
			const group = new Bottleneck.Group({
				...limiterOptions(this.store, `domain${i + 1}`, settings),
				// idle per-domain limiters are dropped after this long (and their Redis keys expire)
				timeout: 15 * MINUTE,
			});
			group.on('created', (limiter: Bottleneck) => {
				this.track(limiter);
				if (this.globalHead) limiter.chain(this.globalHead);
			});
			this.groups.push({ rule, group });
			if (rule.domains === '*') {
				this.wildcard ??= group;
			} else {
				const key = rule.domains[0].trim().toLowerCase();
				for (const domain of rule.domains) {
					const name = domain.trim().toLowerCase();
					if (!this.explicitDomains.has(name)) this.explicitDomains.set(name, { group, key });
				}
			}
		}
	}

	/** Each run sets the TTL of its limiters' shared keys when it starts and when it ends. */
	private async expireShared(limiter: Bottleneck): Promise<void> {
		const redis = this.ownedRedis;
		if (!redis || !this.store.connection) return;
		this.sharedIds.add(limiter.id);
		await expireLimiterKeys(redis, [limiter.id]);
	}

	private track(limiter: Bottleneck): Bottleneck {
		limiter.on('error', (error: Error) => {
			this.lastError = error;
		});
		return limiter;
	}

	private capFor(date: string): number | null {
		if (date === this.initialDate) return this.limits.dailyCap;
		let cap = this.capsByDate.get(date);
		if (cap === undefined) {
			cap = resolveLimits(this.config, this.now()).dailyCap;
			this.capsByDate.set(date, cap);
		}
		return cap;
	}

	private dayLimiter(date: string): Promise<Bottleneck> {
		let pending = this.dayLimiters.get(date);
		if (!pending) {
			pending = (async () => {
				const cap = this.capFor(date) ?? 0;
				// sentToday counts the day the run started on; Redis keeps its own count
				const used =
					this.store.connection || date !== this.initialDate ? 0 : (this.config.sentToday ?? 0);
				const limiter = this.track(
					new Bottleneck(
						limiterOptions(this.store, `day:${date}`, { reservoir: Math.max(0, cap - used) }),
					),
				);
				await limiter.ready();
				await this.expireShared(limiter);
				return limiter;
			})();
			this.dayLimiters.set(date, pending);
		}
		return pending;
	}

	private async takeDailyToken(): Promise<void> {
		const date = calendarDate(this.now(), this.config.timeZone);
		const cap = this.capFor(date);
		if (cap === null) return;
		const limiter = await this.dayLimiter(date);
		// atomic in Redis and in memory: a negative result means there was no token to take
		const left = await limiter.incrementReservoir(-1);
		if (left < 0) {
			await limiter.incrementReservoir(1);
			throw new DailyCapReachedError(cap, date);
		}
	}

	private domainLimiter(domain: string | null): Bottleneck | null {
		if (!domain || (!this.wildcard && this.explicitDomains.size === 0)) return null;
		const name = domain.trim().toLowerCase();
		const explicit = this.explicitDomains.get(name);
		if (explicit) return explicit.group.key(explicit.key);
		return this.wildcard ? this.wildcard.key(name) : null;
	}

	async schedule<T>(recipientDomain: string | null, fn: () => Promise<T>): Promise<T> {
		if (this.limits.dailyCap !== null) await this.takeDailyToken();
		const guard = this.guard;
		const task = guard ? () => guard.run(fn) : fn;
		const first = this.domainLimiter(recipientDomain) ?? this.globalHead;
		if (!first) return task();
		return first.schedule(task);
	}

	async dailyRemaining(): Promise<number | null> {
		const date = calendarDate(this.now(), this.config.timeZone);
		if (this.capFor(date) === null) return null;
		const limiter = await this.dayLimiter(date);
		return Math.max(0, (await limiter.currentReservoir()) ?? 0);
	}

	get error(): Error | null {
		return this.lastError;
	}

	async disconnect(): Promise<void> {
		const redis = this.ownedRedis;
		if (redis && redis.status === 'ready' && this.sharedIds.size) {
			// idle from now on: the full TTL again before the shared state is dropped
			await expireLimiterKeys(redis, this.sharedIds).catch(() => undefined);
		}
		const all: Array<Promise<unknown>> = [];
		for (const limiter of this.globalLimiters) all.push(limiter.disconnect(false));
		for (const { group } of this.groups) {
			// Group.disconnect() leaves its cleanup timer running (Bottleneck 2.19.5); in a
			// long-lived n8n process that would keep every run's group alive
			clearInterval((group as unknown as { interval?: NodeJS.Timeout }).interval);
			for (const limiter of group.limiters()) all.push(limiter.limiter.disconnect(false));
			all.push(Promise.resolve(group.disconnect(false)));
		}
		for (const pending of this.dayLimiters.values()) {
			all.push(pending.then((limiter) => limiter.disconnect(false)));
		}
		await Promise.allSettled(all);
		if (this.store.connection) {
			await this.store.connection.disconnect(false).catch(() => undefined);
		}
		if (this.ownedRedis && this.ownedRedis.status !== 'end') {
			this.ownedRedis.disconnect();
		}
	}
}

class UnlimitedLimiter implements SendLimiter {
	constructor(readonly limits: EffectiveLimits) {}
	schedule<T>(_domain: string | null, fn: () => Promise<T>): Promise<T> {
		return fn();
	}
	async dailyRemaining(): Promise<number | null> {
		return null;
	}
	async disconnect(): Promise<void> {}
}

/**
 * Builds the limiter for a run. Without any limit (and no Redis) it is a pass-through. With
 * Redis, connects first and fails with a clear error if Redis cannot be reached.
 */
export async function createLimiter(config: LimiterConfig = {}): Promise<SendLimiter> {
	const limits = resolveLimits(config, (config.now ?? Date.now)());
	const hasDomainLimits = (config.domainLimits ?? []).length > 0;
	const limited =
		limits.perSecond ||
		limits.perMinute ||
		limits.perHour ||
		limits.maxConcurrent ||
		limits.dailyCap !== null;
	if (!limited && !hasDomainLimits) {
		return new UnlimitedLimiter(limits);
	}
	let store: Datastore = { connection: null, prefix: '', clear: false };
	let owned: Redis | null = null;
	if (config.redis) {
		({ store, owned } = await connectSharedDatastore(config.redis));
	}
	const limiter = new BottleneckSendLimiter(config, limits, store);
	try {
		await limiter.init(owned);
	} catch (error) {
		await limiter.disconnect();
		throw error;
	}
	return limiter;
}
