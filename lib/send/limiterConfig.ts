import type { Redis, RedisOptions } from 'ioredis';

import { PROVIDER_PRESETS, type ProviderPreset, type ProviderPresetName } from './limiterPresets';

/** The limiter's configuration, its validation and the limits it resolves to (no Bottleneck). */

export interface WindowLimits {
	perSecond?: number;
	perMinute?: number;
	perHour?: number;
	/** Sends in progress at once. */
	maxConcurrent?: number;
}

export interface DomainLimitRule extends WindowLimits {
	/**
	 * The recipient domains (lower case) that share this budget, e.g. the consumer domains of one
	 * provider; '*' gives every other domain a budget of its own.
	 */
	domains: string[] | '*';
}

export interface WarmupSchedule {
	/** Day 1 of the warm-up, YYYY-MM-DD in the limiter's time zone. */
	startDate: string;
	/** Explicit caps for day 1, 2, 3...; after the last day the warm-up is over. */
	dailyCaps?: number[];
	/** Or a geometric ramp: the cap of day 1... */
	initialDailyCap?: number;
	/** ...multiplied by this every day (e.g. 1.5)... */
	growthFactor?: number;
	/** ...until it reaches this, when the warm-up is over. */
	maxDailyCap?: number;
}

export interface RedisLimiterOptions {
	/** Processes using the same id share one budget. Use one id per sending account. */
	id: string;
	/** redis://[user:password@]host:port/db */
	url?: string;
	options?: RedisOptions;
	/** An existing ioredis client; it is duplicated, the original is left open. */
	client?: Redis;
	/** Forget the stored state of these limiters first (tests, a changed account). */
	clearDatastore?: boolean;
	/** How long to wait for Redis before giving up (ms, default 5000). */
	connectTimeoutMs?: number;
}

export interface LimiterConfig extends WindowLimits {
	/** Limits of a provider preset; explicit fields override them. */
	preset?: ProviderPresetName;
	/** Messages per calendar day (in `timeZone`). */
	perDay?: number;
	/** 'even' spreads minute and hour budgets over the window (default); 'burst' does not. */
	spread?: 'even' | 'burst';
	domainLimits?: DomainLimitRule[];
	warmup?: WarmupSchedule;
	/** IANA time zone for day boundaries (daily cap, warm-up), default UTC. */
	timeZone?: string;
	/**
	 * Messages already sent today by earlier runs (from a send log), taken off today's budget.
	 * Without Redis the limiter cannot know them itself. Ignored with Redis, which remembers.
	 */
	sentToday?: number;
	redis?: RedisLimiterOptions;
	/** Clock for tests (ms since the epoch). */
	now?: () => number;
}

export interface EffectiveLimits extends WindowLimits {
	/** Today's cap: the smaller of perDay and the warm-up cap; null when there is none. */
	dailyCap: number | null;
	/** Day of the warm-up (1 = first), or null when no warm-up applies. */
	warmupDay: number | null;
	spread: 'even' | 'burst';
	shared: boolean;
}

export class DailyCapReachedError extends Error {
	readonly code = 'DAILY_CAP_REACHED';
	readonly cap: number;
	constructor(cap: number, day: string) {
		super(
			`The daily sending limit of ${cap} messages for ${day} is used up; the rest waits for the next day.`,
		);
		this.name = 'DailyCapReachedError';
		this.cap = cap;
	}
}

export class LimiterConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'LimiterConfigError';
	}
}

export interface SendLimiter {
	/**
	 * Runs `fn` when every limit allows one more message to `recipientDomain` (null: no domain
	 * limits apply). Rejects with DailyCapReachedError when today's budget is spent.
	 */
	schedule<T>(recipientDomain: string | null, fn: () => Promise<T>): Promise<T>;
	/** Messages left in today's budget, or null when there is no daily cap. */
	dailyRemaining(): Promise<number | null>;
	readonly limits: EffectiveLimits;
	/** Stops the limiters and closes the Redis connection. Call it in a `finally`. */
	disconnect(): Promise<void>;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
function checkPositive(name: string, value: number | undefined, where: string): void {
	if (value === undefined || value === null) return;
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		throw new LimiterConfigError(`${where}${name} must be a positive number, got "${value}".`);
	}
}

function checkWindowLimits(limits: WindowLimits, where: string): void {
	checkPositive('perSecond', limits.perSecond, where);
	checkPositive('perMinute', limits.perMinute, where);
	checkPositive('perHour', limits.perHour, where);
	checkPositive('maxConcurrent', limits.maxConcurrent, where);
	if (limits.maxConcurrent !== undefined && !Number.isInteger(limits.maxConcurrent)) {
		throw new LimiterConfigError(
			`${where}maxConcurrent must be a whole number, got "${limits.maxConcurrent}".`,
		);
	}
}

/** The calendar date (YYYY-MM-DD) of `time` in `timeZone`. */
export function calendarDate(time: number, timeZone = 'UTC'): string {
	try {
		return new Intl.DateTimeFormat('en-CA', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
		}).format(new Date(time));
	} catch {
		throw new LimiterConfigError(
			`Unknown time zone "${timeZone}": use an IANA name such as "Asia/Tokyo".`,
		);
	}
}

function dayNumber(date: string): number {
	const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
	if (!match) throw new LimiterConfigError(`"${date}" is not a date in the form YYYY-MM-DD.`);
	const value = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
	if (Number.isNaN(value) || new Date(value).toISOString().slice(0, 10) !== date) {
		throw new LimiterConfigError(`"${date}" is not a valid calendar date.`);
	}
	return Math.round(value / DAY);
}

export function validateWarmup(schedule: WarmupSchedule): void {
	dayNumber(schedule.startDate);
	if (schedule.dailyCaps) {
		if (!Array.isArray(schedule.dailyCaps) || schedule.dailyCaps.length === 0) {
			throw new LimiterConfigError('Warm-up dailyCaps must list at least one daily cap.');
		}
		schedule.dailyCaps.forEach((cap, i) => {
			if (!Number.isInteger(cap) || cap < 0) {
				throw new LimiterConfigError(
					`Warm-up day ${i + 1}: cap must be a whole number of 0 or more, got "${cap}".`,
				);
			}
		});
		return;
	}
	if (
		!schedule.initialDailyCap ||
		!Number.isFinite(schedule.initialDailyCap) ||
		schedule.initialDailyCap < 1
	) {
		throw new LimiterConfigError(
			'A warm-up needs dailyCaps, or initialDailyCap (a positive number) with growthFactor.',
		);
	}
	if (!(
		schedule.growthFactor !== undefined &&
		schedule.growthFactor >= 1 &&
		Number.isFinite(schedule.growthFactor)
	)) {
		throw new LimiterConfigError(
			`Warm-up growthFactor must be a number of 1 or more, got "${schedule.growthFactor}".`,
		);
	}
	checkPositive('maxDailyCap', schedule.maxDailyCap, 'Warm-up ');
}

/**
 * The warm-up cap for `date` (YYYY-MM-DD) and the warm-up day number, or null once the warm-up
 * is over. Dates before the start count as day 1.
 */
export function warmupDailyCap(
	schedule: WarmupSchedule,
	date: string,
): { cap: number; day: number } | null {
	validateWarmup(schedule);
	const day = Math.max(1, dayNumber(date) - dayNumber(schedule.startDate) + 1);
	if (schedule.dailyCaps) {
		if (day > schedule.dailyCaps.length) return null;
		return { cap: schedule.dailyCaps[day - 1], day };
	}
	const grown = Math.floor(schedule.initialDailyCap! * schedule.growthFactor! ** (day - 1));
	if (schedule.maxDailyCap !== undefined && grown >= schedule.maxDailyCap) return null;
	return { cap: grown, day };
}

/** Preset and explicit limits merged, today's cap resolved; validates the config. */
export function resolveLimits(config: LimiterConfig = {}, time = Date.now()): EffectiveLimits {
	const preset = config.preset ? PROVIDER_PRESETS[config.preset] : undefined;
	if (config.preset && !preset) {
		throw new LimiterConfigError(
			`Unknown provider preset "${config.preset}": use one of ${Object.keys(PROVIDER_PRESETS).join(', ')}.`,
		);
	}
	const pick = <K extends keyof ProviderPreset['limits']>(key: K) =>
		config[key] !== undefined ? config[key] : preset?.limits[key];
	const limits: EffectiveLimits = {
		perSecond: pick('perSecond'),
		perMinute: pick('perMinute'),
		perHour: pick('perHour'),
		maxConcurrent: pick('maxConcurrent'),
		dailyCap: null,
		warmupDay: null,
		spread: config.spread ?? 'even',
		shared: Boolean(config.redis),
	};
	checkWindowLimits(limits, '');
	const perDay = pick('perDay');
	if (perDay !== undefined && (!Number.isInteger(perDay) || perDay < 0)) {
		throw new LimiterConfigError(`perDay must be a whole number of 0 or more, got "${perDay}".`);
	}
	if (config.spread && config.spread !== 'even' && config.spread !== 'burst') {
		throw new LimiterConfigError(`spread must be "even" or "burst", got "${config.spread}".`);
	}
	const today = calendarDate(time, config.timeZone);
	let cap: number | null = perDay ?? null;
	if (config.warmup) {
		const warm = warmupDailyCap(config.warmup, today);
		if (warm) {
			limits.warmupDay = warm.day;
			cap = cap === null ? warm.cap : Math.min(cap, warm.cap);
		}
	}
	limits.dailyCap = cap;
	for (const [i, rule] of (config.domainLimits ?? []).entries()) {
		const where = `Domain limit ${i + 1}: `;
		if (rule.domains !== '*' && (!Array.isArray(rule.domains) || rule.domains.length === 0)) {
			throw new LimiterConfigError(`${where}domains must list at least one domain, or be "*".`);
		}
		if (Array.isArray(rule.domains)) {
			for (const domain of rule.domains) {
				if (typeof domain !== 'string' || !/^[a-z0-9.-]+\.[a-z0-9-]+$/i.test(domain.trim())) {
					throw new LimiterConfigError(`${where}"${domain}" is not a domain name.`);
				}
			}
		}
		if (!rule.perSecond && !rule.perMinute && !rule.perHour && !rule.maxConcurrent) {
			throw new LimiterConfigError(
				`${where}set at least one of perSecond, perMinute, perHour, maxConcurrent.`,
			);
		}
		checkWindowLimits(rule, where);
	}
	if (
		config.sentToday !== undefined &&
		(!Number.isInteger(config.sentToday) || config.sentToday < 0)
	) {
		throw new LimiterConfigError(
			`sentToday must be a whole number of 0 or more, got "${config.sentToday}".`,
		);
	}
	return limits;
}

export function describeLimits(limits: EffectiveLimits): string {
	const parts: string[] = [];
	if (limits.perSecond) parts.push(`${limits.perSecond}/s`);
	if (limits.perMinute) parts.push(`${limits.perMinute}/min`);
	if (limits.perHour) parts.push(`${limits.perHour}/h`);
	if (limits.dailyCap !== null) {
		parts.push(
			`${limits.dailyCap}/day` + (limits.warmupDay ? ` (warm-up day ${limits.warmupDay})` : ''),
		);
	}
	if (limits.maxConcurrent) parts.push(`max ${limits.maxConcurrent} at once`);
	return parts.length
		? parts.join(', ') + (limits.shared ? ' (shared through Redis)' : '')
		: 'unlimited';
}
