import Bottleneck from 'bottleneck';
import IORedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';

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

export type ProviderPresetName =
	'custom' | 'amazon-ses' | 'microsoft-365' | 'google-workspace' | 'sendgrid' | 'mailgun';

export interface ProviderPreset {
	label: string;
	limits: WindowLimits & { perDay?: number };
	/** Suggested pool settings for the SMTP transport. */
	pool?: { maxConnections?: number; maxMessages?: number };
	notes: string;
}

/**
 * Starting points, not guarantees: every provider raises (or lowers) limits per account. Use the
 * numbers your account shows when you have them.
 */
export const PROVIDER_PRESETS: Record<ProviderPresetName, ProviderPreset> = {
	custom: { label: 'Custom', limits: {}, notes: 'Only the limits you set.' },
	// Amazon SES: 14 messages/second is the long-standing default sending rate of a new production
	// (out-of-sandbox) account (the figure listmonk and Sendy users tune for). AWS's quotas page
	// now says out-of-sandbox quotas "vary based on your specific use case"; GetSendQuota returns
	// the account's MaxSendRate and Max24HourSend. Sandbox: 1/s and 200 per 24 hours.
	// Source: docs.aws.amazon.com/ses/latest/dg/quotas.html
	'amazon-ses': {
		label: 'Amazon SES',
		limits: { perSecond: 14 },
		notes:
			"Your account's MaxSendRate and 24-hour quota (SES console, GetSendQuota) override this.",
	},
	// Microsoft 365 / Exchange Online, SMTP AUTH client submission: 30 messages per minute,
	// 10,000 recipients per day, at most 3 concurrent connections per mailbox (more get
	// "432 4.3.2 Concurrent connections limit exceeded").
	// Source: learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/smtp-submission-improvements
	// and the Exchange Online limits service description ("Sending limits").
	'microsoft-365': {
		label: 'Microsoft 365 (Exchange Online)',
		limits: { perMinute: 30, perDay: 10_000, maxConcurrent: 3 },
		pool: { maxConnections: 3 },
		notes: 'Exchange Online is not meant for bulk mail; the day limit counts recipients.',
	},
	// Google Workspace, smtp.gmail.com with a user account: 2,000 messages per day (500 for trial
	// accounts), over a rolling 24 hours; 100 recipients per message over SMTP. The SMTP relay
	// service (smtp-relay.gmail.com) has its own, higher limits (10,000 recipients per user/day).
	// Source: support.google.com/a/answer/166852 ("Gmail sending limits in Google Workspace").
	'google-workspace': {
		label: 'Google Workspace',
		limits: { perDay: 2_000 },
		notes: 'Limits apply per user over a rolling 24 hours; trial accounts: 500 per day.',
	},
	// SendGrid SMTP: up to 5,000 messages per connection and 10,000 concurrent connections; the
	// message volume is set by the plan (the free plan: 100 per day), so no rate here.
	// Source: docs.sendgrid.com/for-developers/sending-email/integrating-with-the-smtp-api
	sendgrid: {
		label: 'SendGrid',
		limits: {},
		pool: { maxMessages: 5_000 },
		notes: "Set your plan's daily volume as the day limit (free plan: 100 per day).",
	},
	// Mailgun publishes no fixed SMTP rate: limits are set per account (new accounts stay in a
	// "probation" state with an hourly message limit until the business is verified).
	// Source: help.mailgun.com ("Account Sending Limitation").
	mailgun: {
		label: 'Mailgun',
		limits: {},
		notes: "Mailgun sets limits per account: enter your account's hourly or daily limit.",
	},
};

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

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

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

/**
 * Local guard: at most `limit` starts in any `windowMs` window, exactly (a ring of the last
 * `limit` start times). Bottleneck's spacing is exact on schedule, but timers fire late by
 * varying amounts, which could put limit + 1 actual starts in some window.
 *
 * A start is the synchronous part of `fn` (where a send hands its message over). `run` checks
 * the window, calls `fn` right away and records the time once `fn` has returned its promise:
 * each actual start lies between its check and its record, so the start `limit` places later,
 * checked at least `windowMs` after that record, is at least `windowMs` after it, whatever ran
 * in between (microtasks, other sends' work, a late timer).
 */
/** How far behind its grid a pacing guard may catch up (see SlidingWindowGuard). */
const PACING_CATCH_UP_MS = 100;

export class SlidingWindowGuard {
	private readonly starts: Float64Array;
	private index = 0;
	private nextSlot = -Infinity;

	/**
	 * @param intervalMs with it the guard also paces: starts on a fixed grid `intervalMs` apart.
	 *   A start that comes late (a timer fired late on a busy machine) does not move the grid, so
	 *   lateness does not add up into a lower rate (as spacing each start from the previous one
	 *   does); up to PACING_CATCH_UP_MS behind it is caught up, within the window limit.
	 */
	constructor(
		readonly limit: number,
		readonly windowMs: number,
		private readonly clock: () => number = () => performance.now(),
		readonly intervalMs = 0,
	) {
		this.starts = new Float64Array(limit).fill(-Infinity);
	}

	async run<T>(fn: () => Promise<T>): Promise<T> {
		for (;;) {
			const now = this.clock();
			let wait = this.starts[this.index] + this.windowMs - now;
			if (this.intervalMs) {
				if (this.nextSlot === -Infinity) this.nextSlot = now;
				wait = Math.max(wait, Math.max(this.nextSlot, now - PACING_CATCH_UP_MS) - now);
			}
			if (wait <= 0) break;
			await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
		}
		if (this.intervalMs) {
			this.nextSlot =
				Math.max(this.nextSlot, this.clock() - PACING_CATCH_UP_MS) + this.intervalMs;
		}
		const slot = this.index;
		this.index = (this.index + 1) % this.limit;
		let started: Promise<T>;
		try {
			started = fn();
		} finally {
			this.starts[slot] = this.clock();
		}
		return started;
	}
}

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
async function expireLimiterKeys(redis: Redis, limiterIds: Iterable<string>): Promise<void> {
	const batch = redis.multi();
	for (const id of limiterIds) {
		for (const suffix of BOTTLENECK_KEYS) batch.pexpire(`b_${id}_${suffix}`, SHARED_STATE_TTL_MS);
	}
	await batch.exec();
}

interface Datastore {
	connection: InstanceType<typeof Bottleneck.IORedisConnection> | null;
	prefix: string;
	clear: boolean;
}

function limiterOptions(
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
async function applyRateSettings(
	limiter: Bottleneck,
	store: Datastore,
	settings: Bottleneck.ConstructorOptions,
) {
	if (!store.connection) return;
	await limiter.ready();
	const { reservoir: _ignored, ...rest } = settings;
	await limiter.updateSettings(rest);
}

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
		if (this.limits.dailyCap !== null) {
			await this.dayLimiter(this.initialDate);
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
		const redis = config.redis;
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
		owned = redis.client
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
			if (owned!.status === 'ready') return resolve(true);
			const timer = setTimeout(() => resolve(false), timeoutMs);
			owned!.once('ready', () => {
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
		store = { connection, prefix: `bulkmail:${redis.id}`, clear: Boolean(redis.clearDatastore) };
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
