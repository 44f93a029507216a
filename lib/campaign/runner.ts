import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type CompiledTemplate, compileTemplate, ComposeError, toSendMailOptions } from '../compose';
import {
	bounceOf,
	type ClassifiedSendError,
	type LimiterConfig,
	type OutgoingMessage,
	resolveLimits,
	type SendLimiter,
	sendMessages,
	type SendResult,
	type SendRunReport,
	validateSmtpSettings,
} from '../send';
import {
	CampaignError,
	checkCampaignId,
	type Actor,
	type ClaimResult,
	type LogResult,
	type ReadyRecipient,
	type SqlSubscriberStore,
} from '../store';
import { describeStatus } from './campaigns';
import { runRepositoryOf, type CampaignRunRepository } from './repository';
import type {
	CampaignFailure,
	CampaignRunSummary,
	CampaignStatus,
	RunCampaignOptions,
	RunOutcome,
} from './types';

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_LEASE_MS = 120_000;
const FLUSH_INTERVAL_MS = 250;
const MAX_TEXT = 1000;

/** A run that had to stop on an error no retry can fix (SMTP authentication, TLS, host). */
export class CampaignRunError extends Error {
	constructor(
		message: string,
		readonly summary: CampaignRunSummary,
		readonly classified?: ClassifiedSendError,
	) {
		super(message);
		this.name = 'CampaignRunError';
	}
}

function positiveInteger(name: string, value: unknown, fallback: number, max = 1_000_000): number {
	if (value === undefined || value === null) return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1 || n > max) {
		throw new CampaignError(
			`${name} must be a whole number from 1 to ${max} (got ${String(value)})`,
			'invalid',
		);
	}
	return n;
}

function clip(text: string | null | undefined): string | null {
	if (text === null || text === undefined) return null;
	return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** Counts `used` against `max`; `acquire` waits until there is room. */
class Window {
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

/**
 * Runs (starts or continues) a campaign until it is finished, the time budget is used up, the
 * breaker pauses it, or someone pauses/cancels it. Safe to call from several processes at
 * once. Resolves with a summary; throws CampaignRunError on a fatal SMTP error (after putting
 * every unsent recipient back), CampaignError on bad input.
 */
export async function runCampaign(
	store: SqlSubscriberStore | CampaignRunRepository,
	id: string,
	options: RunCampaignOptions,
): Promise<CampaignRunSummary> {
	const runs = runRepositoryOf(store);
	const started = Date.now();
	const campaignId = checkCampaignId(id);
	if (!options || !options.smtp) {
		throw new CampaignError('runCampaign needs SMTP settings (options.smtp)', 'invalid');
	}
	const warnings = validateSmtpSettings(options.smtp);
	const clock = options.now ?? Date.now;
	const actor: Actor = options.actor ?? { type: 'bulk-send' };
	const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
	const leaseMs = positiveInteger('leaseMs', options.leaseMs, DEFAULT_LEASE_MS, 86_400_000);
	const batchSize = positiveInteger('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, 10_000);
	const maxFailures = options.maxFailuresInSummary ?? 100;
	if (options.timeBudgetMs !== undefined && !(Number(options.timeBudgetMs) > 0)) {
		throw new CampaignError(
			`timeBudgetMs must be a positive number of milliseconds (got ${String(options.timeBudgetMs)})`,
			'invalid',
		);
	}

	const stored = await runs.get(campaignId);
	if (!stored) throw new CampaignError(`There is no campaign with id '${campaignId}'`, 'not-found');
	let limiter: LimiterConfig | SendLimiter | undefined =
		options.limiter ?? (stored.sender.limiter ? stripRedisId(stored.sender.limiter) : undefined);
	limiter = await withSentToday(runs, limiter, clock());
	const maxConnections = options.smtp.pool?.maxConnections ?? 5;
	const maxInFlight = positiveInteger(
		'maxInFlight',
		options.maxInFlight,
		defaultInFlight(maxConnections, limiter),
		10_000,
	);
	const windowSize = positiveInteger(
		'inFlightWindow',
		options.inFlightWindow,
		Math.max(128, maxInFlight * 6),
		100_000,
	);
	// recipients marked `sending` per transaction, and outcomes written per transaction: big
	// enough that the store is a few percent of the work, small enough to fit the window
	// several times (the engine's in-flight messages + unwritten outcomes + the next chunk)
	// (at a slow rate limit, only as many as are in progress: nothing waits long in `sending`)
	const chunkSize = Math.max(
		1,
		Math.min(maxInFlight < 8 ? maxInFlight : Math.max(maxInFlight, 32), Math.floor(windowSize / 3)),
	);
	const flushSize = chunkSize;

	const summary: CampaignRunSummary = {
		campaignId,
		status: stored.status,
		outcome: 'not-runnable',
		message: '',
		finishedThisRun: false,
		sentThisRun: 0,
		failedThisRun: 0,
		unknownThisRun: 0,
		skippedThisRun: 0,
		recoveredUnknown: 0,
		remaining: 0,
		inFlightWindow: windowSize,
		durationMs: 0,
		failures: [],
		failuresOmitted: 0,
		warnings,
		limits: 'unlimited',
	};
	const finishSummary = async (
		status: CampaignStatus,
		outcome: RunOutcome,
		message: string,
		remaining?: number,
	) => {
		summary.status = status;
		summary.outcome = outcome;
		summary.message = message;
		if (remaining === undefined) {
			remaining = (await runs.progress(campaignId))?.remaining ?? 0;
		}
		summary.remaining = remaining;
		summary.durationMs = Date.now() - started;
		return summary;
	};

	// Compile before touching the campaign: a template that cannot render must not start it.
	let template: CompiledTemplate;
	try {
		template = compileTemplate(stored.template.spec, {
			...stored.template.options,
			...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
			secret: options.composeSecret ?? undefined,
		});
	} catch (error) {
		if (error instanceof ComposeError) {
			throw new CampaignError(
				`Campaign ${campaignId} cannot be composed: ${error.message}`,
				'invalid',
			);
		}
		throw error;
	}
	warnings.push(...template.warnings);

	const decision = await runs.start(campaignId, {
		now: clock(),
		resume: options.resume === true,
		actor,
	});
	if (!decision.run) {
		const { campaign, remaining } = decision;
		const message =
			decision.reason === 'not-due'
				? `Campaign ${campaignId} is scheduled for ${campaign.sendAt}; nothing was sent.`
				: decision.reason === 'finished'
					? `Campaign ${campaignId} is ${campaign.status}; nothing was sent.`
					: `Campaign ${campaignId} is paused (${campaign.pauseReason ?? 'no reason given'}); resume it to send.`;
		return finishSummary(
			campaign.status,
			decision.reason !== 'finished'
				? decision.reason
				: campaign.status === 'finished'
					? 'finished'
					: 'not-runnable',
			message,
			remaining,
		);
	}

	// ---------------------------------------------------------------- the pipeline
	const stop = new AbortController();
	let stopOutcome: RunOutcome | null = null;
	let stopMessage = '';
	const window = new Window(windowSize);
	const requestStop = (outcome: RunOutcome, message: string) => {
		if (!stopOutcome) {
			stopOutcome = outcome;
			stopMessage = message;
		}
		stop.abort();
		window.poke();
	};
	const timers: NodeJS.Timeout[] = [];
	if (options.timeBudgetMs !== undefined) {
		timers.push(
			setTimeout(
				() =>
					requestStop(
						'stopped',
						`The time budget of ${options.timeBudgetMs} ms was used up; the next run continues.`,
					),
				options.timeBudgetMs,
			),
		);
	}
	const onCallerAbort = () =>
		requestStop('stopped', 'The run was stopped by its caller; the next run continues.');
	if (options.signal?.aborted) onCallerAbort();
	options.signal?.addEventListener('abort', onCallerAbort, { once: true });

	// backoff waits end early when the run stops, so a time budget is kept
	const sleep = (ms: number) =>
		new Promise<void>((resolve) => {
			if (stop.signal.aborted) return resolve();
			const done = () => {
				clearTimeout(timer);
				stop.signal.removeEventListener('abort', done);
				resolve();
			};
			const timer = setTimeout(done, Math.max(0, ms));
			stop.signal.addEventListener('abort', done, { once: true });
		});

	let buffer: LogResult[] = [];
	let flushing: Promise<void> = Promise.resolve();
	let flushQueued = false;
	let flushError: unknown = null;
	const inFlightEmails = new Map<string, string>();

	// Outcomes are written in the background, one transaction at a time; the window (which
	// counts unwritten outcomes) keeps the buffer bounded.
	const flush = (): Promise<void> => {
		if (flushQueued) return flushing;
		flushQueued = true;
		flushing = flushing.then(async () => {
			flushQueued = false;
			if (!buffer.length) return;
			const batch = buffer;
			buffer = [];
			try {
				const outcome = await runs.record(campaignId, batch, {
					owner,
					now: clock(),
					actor,
				});
				window.release(batch.length);
				if (outcome.status !== 'running') {
					requestStop(
						'interrupted',
						`Campaign ${campaignId} was ${outcome.status} during the run.`,
					);
				}
			} catch (error) {
				flushError ??= error ?? new Error('Writing outcomes to the send log failed');
				window.poke();
				throw error;
			}
		});
		return flushing;
	};

	const addFailure = (failure: CampaignFailure) => {
		if (summary.failures.length < maxFailures) summary.failures.push(failure);
		else summary.failuresOmitted++;
	};

	const record = async (result: LogResult, email: string, enhancedStatus: string | null) => {
		buffer.push(result);
		if (result.state === 'sent') summary.sentThisRun++;
		else if (result.state === 'failed' || result.state === 'unknown') {
			if (result.state === 'failed') summary.failedThisRun++;
			else summary.unknownThisRun++;
			addFailure({
				subscriberId: result.subscriberId,
				email,
				state: result.state,
				attempts: result.attempts,
				message: result.error ?? '',
				responseCode: result.responseCode,
				enhancedStatus,
				bounce: result.bounce,
			});
		}
		if (buffer.length >= flushSize || window.waiting) flush().catch(() => undefined);
	};

	const onResult = async (result: SendResult) => {
		// the send log cannot be written: end the run (what is in `sending` stays at most once)
		if (flushError) throw flushError;
		const subscriberId = String(result.ref);
		const email = inFlightEmails.get(subscriberId) ?? '';
		inFlightEmails.delete(subscriberId);
		const state: LogResult['state'] = result.status === 'skipped' ? 'queued' : result.status;
		await record(
			{
				subscriberId,
				state,
				attempts: result.attempts,
				messageId: result.messageId,
				response: clip(result.response),
				responseCode: result.error?.responseCode ?? null,
				error: state === 'sent' || state === 'queued' ? null : clip(result.error?.message),
				bounce: bounceOf(result),
			},
			email,
			result.error?.enhancedStatus ?? null,
		);
	};

	const claimNext = (): Promise<ClaimResult> =>
		runs.claim(campaignId, {
			owner,
			now: clock(),
			leaseMs,
			size: batchSize,
			retryUnknown: options.retryUnknown === true,
		}).then((claim) => {
			summary.recoveredUnknown += claim.recoveredUnknown;
			return claim;
		});

	async function* source(): AsyncGenerator<OutgoingMessage> {
		let batch: string[] = [];
		let index = 0;
		let exhausted = false;
		let prefetch: Promise<ClaimResult> | null = null;
		let pending: ReadyRecipient[] = [];
		let pendingIndex = 0;
		try {
			for (;;) {
				if (stop.signal.aborted) return;
				if (index >= batch.length) {
					if (exhausted && !prefetch) return;
					const claim = prefetch ? await prefetch : await claimNext();
					prefetch = null;
					if (claim.status !== 'running') {
						requestStop(
							'interrupted',
							`Campaign ${campaignId} was ${claim.status} during the run.`,
						);
						return;
					}
					batch = claim.ids;
					index = 0;
					exhausted = claim.exhausted;
					if (!batch.length) {
						if (exhausted) return;
						continue;
					}
				}
				// claim the next batch while this one is being sent
				if (!prefetch && !exhausted && index >= batch.length / 2) {
					prefetch = claimNext();
					prefetch.catch(() => undefined);
				}
				const chunk = batch.slice(index, index + chunkSize);
				index += chunk.length;
				await window.acquire(chunk.length, flush, () => stop.signal.aborted || flushError !== null);
				if (flushError) throw flushError;
				if (stop.signal.aborted) {
					window.release(chunk.length);
					return;
				}
				const marked = await runs.markSending(campaignId, chunk, {
					owner,
					now: clock(),
					leaseMs,
				});
				window.release(chunk.length - marked.ready.length);
				summary.skippedThisRun += marked.skipped;
				if (marked.status !== 'running') {
					requestStop('interrupted', `Campaign ${campaignId} was ${marked.status} during the run.`);
					return;
				}
				pending = marked.ready;
				pendingIndex = 0;
				while (pendingIndex < pending.length) {
					if (stop.signal.aborted) return;
					const recipient = pending[pendingIndex++];
					let message: OutgoingMessage;
					try {
						const composed = template.render(recipient, { campaignId, messageIdFrom: 'recipient' });
						message = { ...toSendMailOptions(composed), ref: recipient.id };
					} catch (error) {
						await record(
							{
								subscriberId: recipient.id,
								state: 'failed',
								attempts: 0,
								messageId: null,
								response: null,
								responseCode: null,
								error: clip(`The message could not be composed: ${(error as Error).message}`),
								bounce: null,
							},
							recipient.email,
							null,
						);
						continue;
					}
					inFlightEmails.set(recipient.id, recipient.email);
					yield message;
				}
				pending = [];
			}
		} finally {
			const unsent = pending.slice(pendingIndex).map((r) => r.id);
			pending = [];
			if (unsent.length) {
				await runs.unmarkSending(campaignId, unsent, { owner, now: clock() });
				window.release(unsent.length);
			}
			if (prefetch) await prefetch.catch(() => undefined);
		}
	}

	const heartbeat = setInterval(
		() => {
			runs.renewLeases(campaignId, { owner, now: clock(), leaseMs }).catch(() => undefined);
		},
		Math.max(50, Math.floor(leaseMs / 3)),
	);
	timers.push(heartbeat);
	const flusher = setInterval(() => {
		if (buffer.length) flush().catch(() => undefined);
	}, FLUSH_INTERVAL_MS);
	timers.push(flusher);

	let report: SendRunReport | null = null;
	let runError: unknown = null;
	try {
		report = await sendMessages(source(), {
			smtp: options.smtp,
			limiter,
			retry: options.retry ?? stored.sender.retry,
			breaker: options.breaker ?? stored.sender.breaker,
			maxInFlight,
			collectResults: false,
			skipRemainingOnStop: false,
			onResult,
			signal: stop.signal,
			transport: options.transport,
			sleep,
		});
		await flush();
	} catch (error) {
		runError = error;
	} finally {
		for (const timer of timers) clearInterval(timer);
		options.signal?.removeEventListener('abort', onCallerAbort);
	}
	if (runError) {
		// Best effort: what is still claimed goes back; rows left in `sending` become unknown
		// after their lease (at most once).
		await flushing.catch(() => undefined);
		await runs.releaseClaims(campaignId, { owner, now: clock() }).catch(() => undefined);
		throw runError;
	}
	await runs.releaseClaims(campaignId, { owner, now: clock() });
	summary.limits = report!.limits;
	for (const warning of report!.warnings) if (!warnings.includes(warning)) warnings.push(warning);

	const fatal = report!.outcome === 'fatal';
	const breakerTripped = report!.outcome === 'paused';
	const ended = await runs.end(campaignId, {
		now: clock(),
		pauseReason: breakerTripped ? report!.message : null,
		lastError: fatal ? report!.message : null,
		actor,
	});
	const campaign = ended.campaign;
	summary.finishedThisRun = ended.finishedNow;
	let outcome: RunOutcome;
	let message: string;
	if (campaign.status === 'finished') {
		outcome = 'finished';
		message = `Campaign ${campaignId} finished. ${describeStatus(campaign, 0)}`;
	} else if (breakerTripped) {
		outcome = 'paused';
		message = `Campaign ${campaignId} paused itself: ${report!.message}`;
	} else if (fatal) {
		summary.status = campaign.status;
		const error = `Campaign ${campaignId} stopped: ${report!.fatalError?.message ?? report!.message} Nothing more is sent until this is fixed; the next run continues where this one stopped.`;
		await finishSummary(campaign.status, 'stopped', error, ended.remaining);
		throw new CampaignRunError(error, summary, report!.fatalError);
	} else if (report!.outcome === 'daily-cap') {
		outcome = 'daily-cap';
		message = report!.message;
	} else if (stopOutcome) {
		outcome = stopOutcome;
		message = stopMessage;
	} else {
		outcome = 'drained';
		message = `Nothing left to claim for this run; other runs still hold ${ended.remaining} recipients.`;
	}
	return finishSummary(campaign.status, outcome, message, ended.remaining);
}

/**
 * Messages in progress at once: maxConnections × 4 (as item mode), but no more than about two
 * seconds' worth at a slow rate limit, so a stopped run (time budget) is not left waiting for
 * messages queued far ahead in the limiter.
 */
function defaultInFlight(
	maxConnections: number,
	limiter: LimiterConfig | SendLimiter | undefined,
): number {
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
async function withSentToday(
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

function stripRedisId(
	limiter: NonNullable<import('./types').CampaignSender['limiter']>,
): LimiterConfig {
	const { redisId: _redisId, ...rest } = limiter;
	return rest;
}
