/**
 * A campaign run as an object whose `run` reads top-down: load the campaign, compile its
 * template, start it, send (claim a batch, mark a chunk `sending`, render, send, record,
 * checkpoint the outcomes), decide how it ended. Storage is the small CampaignRunRepository
 * (the store's SqlCampaignRuns, or an in-memory one in tests); SMTP is lib/send sendMessages.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { verpEnvelope } from '../bounce';
import { compileTemplate, ComposeError, toSendMailOptions, type CompiledTemplate } from '../compose';
import { sendMessages, validateSmtpSettings, type ClassifiedSendError, type LimiterConfig, type OutgoingMessage, type SendLimiter, type SendRunReport } from '../send';
import {
	CampaignError,
	checkCampaignId,
	type Actor,
	type Campaign,
	type ClaimResult,
	type ReadyRecipient,
	type RunStart,
	type SqlSubscriberStore,
} from '../store';
import { describeStatus } from './campaigns';
import { runRepositoryOf, type CampaignRunRepository } from './repository';
import { clip, emptySummary, OutcomeLog, providersPaused } from './runOutcomes';
import { bounceSettings, defaultInFlight, positiveInteger, storedLimiter, Window, withSentToday, type BounceSettings } from './runSettings';
import type { CampaignRunSummary, CampaignStatus, RunCampaignOptions, RunOutcome } from './types';

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_LEASE_MS = 120_000;
const FLUSH_INTERVAL_MS = 250;

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
	return new CampaignRun(runRepositoryOf(store), id, options).run();
}

/** Where the run is in its claimed batches. */
interface ClaimFeed {
	batch: string[];
	index: number;
	exhausted: boolean;
	/** The next batch, claimed while this one is being sent. */
	prefetch: Promise<ClaimResult> | null;
}

export class CampaignRun {
	private readonly started = Date.now();
	private readonly campaignId: string;
	private readonly warnings: string[];
	private readonly clock: () => number;
	private readonly actor: Actor;
	private readonly owner: string;
	private readonly leaseMs: number;
	private readonly batchSize: number;
	private readonly maxFailures: number;

	// worked out from the stored campaign (loadCampaign, compileTemplate)
	private stored!: Campaign;
	private limiter: LimiterConfig | SendLimiter | undefined;
	private maxInFlight = 0;
	/** Recipients marked `sending` per transaction, and outcomes written per transaction. */
	private chunkSize = 0;
	private window!: Window;
	private summary!: CampaignRunSummary;
	private template!: CompiledTemplate;

	// the pipeline
	private readonly stop = new AbortController();
	private stopOutcome: RunOutcome | null = null;
	private stopMessage = '';
	private outcomes!: OutcomeLog;
	private readonly bounce: BounceSettings;
	private readonly timers: NodeJS.Timeout[] = [];

	constructor(
		private readonly runs: CampaignRunRepository,
		id: string,
		private readonly options: RunCampaignOptions,
	) {
		this.campaignId = checkCampaignId(id);
		if (!options || !options.smtp) {
			throw new CampaignError('runCampaign needs SMTP settings (options.smtp)', 'invalid');
		}
		this.warnings = validateSmtpSettings(options.smtp);
		this.clock = options.now ?? Date.now;
		this.actor = options.actor ?? { type: 'bulk-send' };
		this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
		this.leaseMs = positiveInteger('leaseMs', options.leaseMs, DEFAULT_LEASE_MS, 86_400_000);
		this.batchSize = positiveInteger('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, 10_000);
		this.maxFailures = options.maxFailuresInSummary ?? 100;
		if (options.timeBudgetMs !== undefined && !(Number(options.timeBudgetMs) > 0)) {
			throw new CampaignError(
				`timeBudgetMs must be a positive number of milliseconds (got ${String(options.timeBudgetMs)})`,
				'invalid',
			);
		}
		this.bounce = bounceSettings(options);
	}

	/** The whole run, top-down. */
	async run(): Promise<CampaignRunSummary> {
		await this.loadCampaign();
		// Compile before touching the campaign: a template that cannot render must not start it.
		this.compileTemplate();
		const start = await this.runs.start(this.campaignId, {
			now: this.clock(),
			resume: this.options.resume === true,
			actor: this.actor,
		});
		if (!start.run) return this.notStarted(start);
		if (this.options.resumeProviders) await this.runs.resumeProviders(this.campaignId, { now: this.clock(), actor: this.actor });
		const report = await this.sendAll();
		return this.conclude(report);
	}

	// ---------------------------------------------------------------- before sending

	private async loadCampaign(): Promise<void> {
		const stored = await this.runs.get(this.campaignId);
		if (!stored) throw new CampaignError(`There is no campaign with id '${this.campaignId}'`, 'not-found');
		this.stored = stored;
		const limiter = this.options.limiter ?? (stored.sender.limiter ? storedLimiter(stored.sender.limiter) : undefined);
		this.limiter = await withSentToday(this.runs, limiter, this.clock());
		const maxConnections = this.options.smtp.pool?.maxConnections ?? 5;
		this.maxInFlight = positiveInteger(
			'maxInFlight',
			this.options.maxInFlight,
			defaultInFlight(maxConnections, this.limiter),
			10_000,
		);
		const windowSize = positiveInteger(
			'inFlightWindow',
			this.options.inFlightWindow,
			Math.max(128, this.maxInFlight * 6),
			100_000,
		);
		// big enough that the store is a few percent of the work, small enough to fit the window
		// several times (the engine's in-flight messages + unwritten outcomes + the next chunk)
		// (at a slow rate limit, only as many as are in progress: nothing waits long in `sending`)
		const maxInFlight = this.maxInFlight;
		this.chunkSize = Math.max(1, Math.min(maxInFlight < 8 ? maxInFlight : Math.max(maxInFlight, 32), Math.floor(windowSize / 3)));
		this.window = new Window(windowSize);
		this.summary = emptySummary(this.campaignId, stored.status, windowSize, this.warnings);

		this.outcomes = new OutcomeLog({
			runs: this.runs,
			campaignId: this.campaignId,
			owner: this.owner,
			clock: this.clock,
			actor: this.actor,
			window: this.window,
			summary: this.summary,
			flushSize: this.chunkSize,
			maxFailures: this.maxFailures,
			providerPause: this.bounce.providerPause,
			onStatus: (status) => this.interrupted(status),
		});
	}

	private compileTemplate(): void {
		const { template } = this.stored;
		try {
			this.template = compileTemplate(template.spec, {
				...template.options,
				...(this.options.baseUrl ? { baseUrl: this.options.baseUrl } : {}),
				secret: this.options.composeSecret ?? undefined,
			});
		} catch (error) {
			if (error instanceof ComposeError) {
				throw new CampaignError(`Campaign ${this.campaignId} cannot be composed: ${error.message}`, 'invalid');
			}
			throw error;
		}
		this.warnings.push(...this.template.warnings);
	}

	/** Not due, paused, finished or cancelled: nothing is sent. */
	private notStarted(start: Extract<RunStart, { run: false }>): Promise<CampaignRunSummary> {
		const { campaign, remaining, reason } = start;
		const id = this.campaignId;
		const message =
			reason === 'not-due'
				? `Campaign ${id} is scheduled for ${campaign.sendAt}; nothing was sent.`
				: reason === 'finished'
					? `Campaign ${id} is ${campaign.status}; nothing was sent.`
					: `Campaign ${id} is paused (${campaign.pauseReason ?? 'no reason given'}); resume it to send.`;
		const outcome = reason !== 'finished' ? reason : campaign.status === 'finished' ? 'finished' : 'not-runnable';
		return this.summarise(campaign.status, outcome, message, remaining);
	}

	// ---------------------------------------------------------------- sending

	/** Sends every recipient this run claims; returns the send engine's report. */
	private async sendAll(): Promise<SendRunReport> {
		this.startTimers();
		let report: SendRunReport | null = null;
		let runError: unknown = null;
		try {
			report = await sendMessages(this.recipients(), {
				smtp: this.options.smtp,
				limiter: this.limiter,
				retry: this.options.retry ?? this.stored.sender.retry,
				breaker: this.options.breaker ?? this.stored.sender.breaker,
				maxInFlight: this.maxInFlight,
				collectResults: false,
				skipRemainingOnStop: false,
				onResult: (result) => this.outcomes.onResult(result),
				signal: this.stop.signal,
				transport: this.options.transport,
				sleep: this.sleep,
			});
			await this.outcomes.flush();
		} catch (error) {
			runError = error;
		} finally {
			this.stopTimers();
		}
		if (runError) {
			// Best effort: what is still claimed goes back; rows left in `sending` become unknown
			// after their lease (at most once).
			await this.outcomes.settled();
			await this.runs.releaseClaims(this.campaignId, { owner: this.owner, now: this.clock() }).catch(() => undefined);
			throw runError;
		}
		await this.runs.releaseClaims(this.campaignId, { owner: this.owner, now: this.clock() });
		return report!;
	}

	/** The messages to send: claimed in batches, checked and marked per chunk, rendered one by one. */
	private async *recipients(): AsyncGenerator<OutgoingMessage> {
		const feed: ClaimFeed = { batch: [], index: 0, exhausted: false, prefetch: null };
		let pending: ReadyRecipient[] = [];
		let next = 0;
		try {
			for (;;) {
				const chunk = await this.nextChunk(feed);
				if (!chunk) return;
				const ready = await this.markChunk(chunk);
				if (!ready) return;
				pending = ready;
				next = 0;
				while (next < pending.length) {
					if (this.stop.signal.aborted) return;
					const message = await this.render(pending[next++]);
					if (message) yield message;
				}
				pending = [];
			}
		} finally {
			await this.putBack(pending.slice(next).map((recipient) => recipient.id));
			if (feed.prefetch) await feed.prefetch.catch(() => undefined);
		}
	}

	/**
	 * Claim a batch: the next chunk of this run's claimed recipients, claiming a new batch when
	 * the current one is used up (and the one after it in the background, half-way through).
	 * Null when there is nothing more for this run.
	 */
	private async nextChunk(feed: ClaimFeed): Promise<string[] | null> {
		for (;;) {
			if (this.stop.signal.aborted) return null;
			if (feed.index < feed.batch.length) break;
			if (feed.exhausted && !feed.prefetch) return null;
			const claim = feed.prefetch ? await feed.prefetch : await this.claim();
			feed.prefetch = null;
			if (claim.status !== 'running') {
				this.interrupted(claim.status);
				return null;
			}
			feed.batch = claim.ids;
			feed.index = 0;
			feed.exhausted = claim.exhausted;
			if (!feed.batch.length && feed.exhausted) return null;
		}
		if (!feed.prefetch && !feed.exhausted && feed.index >= feed.batch.length / 2) {
			feed.prefetch = this.claim();
			feed.prefetch.catch(() => undefined);
		}
		const chunk = feed.batch.slice(feed.index, feed.index + this.chunkSize);
		feed.index += chunk.length;
		return chunk;
	}

	private async claim(): Promise<ClaimResult> {
		const claim = await this.runs.claim(this.campaignId, {
			owner: this.owner,
			now: this.clock(),
			leaseMs: this.leaseMs,
			size: this.batchSize,
			retryUnknown: this.options.retryUnknown === true,
		});
		this.summary.recoveredUnknown += claim.recoveredUnknown;
		return claim;
	}

	/**
	 * Room in the in-flight window, then the check just before sending (still active, not
	 * suppressed) that marks the chunk `sending`. Null when the run must stop.
	 */
	private async markChunk(chunk: string[]): Promise<ReadyRecipient[] | null> {
		await this.window.acquire(chunk.length, () => this.outcomes.flush(), () => this.stop.signal.aborted || this.outcomes.failed);
		this.outcomes.throwIfFailed();
		if (this.stop.signal.aborted) {
			this.window.release(chunk.length);
			return null;
		}
		const marked = await this.runs.markSending(this.campaignId, chunk, {
			owner: this.owner,
			now: this.clock(),
			leaseMs: this.leaseMs,
		});
		this.window.release(chunk.length - marked.ready.length);
		this.summary.skippedThisRun += marked.skipped;
		if (marked.status !== 'running') {
			this.interrupted(marked.status);
			return null;
		}
		return marked.ready;
	}

	/** Render: the recipient's message, or null after recording why it could not be composed. */
	private async render(recipient: ReadyRecipient): Promise<OutgoingMessage | null> {
		let message: OutgoingMessage;
		try {
			const composed = this.template.render(recipient, { campaignId: this.campaignId, messageIdFrom: 'recipient' });
			message = { ...toSendMailOptions(composed), ref: recipient.id };
			const { verp } = this.bounce;
			if (verp) message.envelope = verpEnvelope(verp, { campaignId: this.campaignId, subscriberId: recipient.id }, composed.to.address);
		} catch (error) {
			await this.outcomes.record(
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
			return null;
		}
		this.outcomes.handedOver(recipient);
		return message;
	}

	/** Recipients marked `sending` but never handed to SMTP go back in the queue. */
	private async putBack(ids: string[]): Promise<void> {
		if (!ids.length) return;
		await this.runs.unmarkSending(this.campaignId, ids, { owner: this.owner, now: this.clock() });
		this.window.release(ids.length);
	}

	// ---------------------------------------------------------------- stopping

	/** Decide to stop: the first reason given wins; in-flight messages finish. */
	private requestStop(outcome: RunOutcome, message: string): void {
		if (!this.stopOutcome) {
			this.stopOutcome = outcome;
			this.stopMessage = message;
		}
		this.stop.abort();
		this.window.poke();
	}

	private interrupted(status: CampaignStatus): void {
		this.requestStop('interrupted', `Campaign ${this.campaignId} was ${status} during the run.`);
	}

	private readonly onCallerAbort = (): void =>
		this.requestStop('stopped', 'The run was stopped by its caller; the next run continues.');

	/** Backoff waits end early when the run stops, so a time budget is kept. */
	private readonly sleep = (ms: number): Promise<void> =>
		new Promise<void>((resolve) => {
			const signal = this.stop.signal;
			if (signal.aborted) return resolve();
			const done = () => {
				clearTimeout(timer);
				signal.removeEventListener('abort', done);
				resolve();
			};
			const timer = setTimeout(done, Math.max(0, ms));
			signal.addEventListener('abort', done, { once: true });
		});

	/** The time budget, the caller's signal, the lease heartbeat and the periodic checkpoint. */
	private startTimers(): void {
		const { timeBudgetMs, signal } = this.options;
		if (timeBudgetMs !== undefined) {
			const message = `The time budget of ${timeBudgetMs} ms was used up; the next run continues.`;
			this.timers.push(setTimeout(() => this.requestStop('stopped', message), timeBudgetMs));
		}
		if (signal?.aborted) this.onCallerAbort();
		signal?.addEventListener('abort', this.onCallerAbort, { once: true });
		const renew = () => {
			this.runs
				.renewLeases(this.campaignId, { owner: this.owner, now: this.clock(), leaseMs: this.leaseMs })
				.catch(() => undefined);
		};
		this.timers.push(setInterval(renew, Math.max(50, Math.floor(this.leaseMs / 3))));
		this.timers.push(
			setInterval(() => {
				this.outcomes.flushIfAny();
			}, FLUSH_INTERVAL_MS),
		);
	}

	private stopTimers(): void {
		for (const timer of this.timers) clearInterval(timer);
		this.options.signal?.removeEventListener('abort', this.onCallerAbort);
	}

	// ---------------------------------------------------------------- the end

	/** Ends the run in the store (pause, error, finish) and says how it ended. */
	private async conclude(report: SendRunReport): Promise<CampaignRunSummary> {
		this.summary.limits = report.limits;
		for (const warning of report.warnings) if (!this.warnings.includes(warning)) this.warnings.push(warning);
		const fatal = report.outcome === 'fatal';
		const ended = await this.runs.end(this.campaignId, {
			now: this.clock(),
			pauseReason: report.outcome === 'paused' ? report.message : null,
			lastError: fatal ? report.message : null,
			actor: this.actor,
		});
		const { campaign, remaining } = ended;
		this.summary.finishedThisRun = ended.finishedNow;
		this.summary.providerPauses = await this.runs.providerPauses(this.campaignId);
		if (fatal && campaign.status !== 'finished') {
			this.summary.status = campaign.status;
			const error = `Campaign ${this.campaignId} stopped: ${report.fatalError?.message ?? report.message} Nothing more is sent until this is fixed; the next run continues where this one stopped.`;
			await this.summarise(campaign.status, 'stopped', error, remaining);
			throw new CampaignRunError(error, this.summary, report.fatalError);
		}
		const { outcome, message } = this.outcomeOf(report, campaign, remaining);
		return this.summarise(campaign.status, outcome, message, remaining);
	}

	private outcomeOf(report: SendRunReport, campaign: Campaign, remaining: number): { outcome: RunOutcome; message: string } {
		const id = this.campaignId;
		if (campaign.status === 'finished') {
			return { outcome: 'finished', message: `Campaign ${id} finished. ${describeStatus(campaign, 0)}` };
		}
		if (report.outcome === 'paused') return { outcome: 'paused', message: `Campaign ${id} paused itself: ${report.message}` };
		if (report.outcome === 'daily-cap') return { outcome: 'daily-cap', message: report.message };
		if (this.stopOutcome) return { outcome: this.stopOutcome, message: this.stopMessage };
		if (this.summary.providerPauses.length) return providersPaused(id, remaining, this.summary.providerPauses);
		return {
			outcome: 'drained',
			message: `Nothing left to claim for this run; other runs still hold ${remaining} recipients.`,
		};
	}

	private async summarise(
		status: CampaignStatus,
		outcome: RunOutcome,
		message: string,
		remaining?: number,
	): Promise<CampaignRunSummary> {
		this.summary.status = status;
		this.summary.outcome = outcome;
		this.summary.message = message;
		this.summary.remaining = remaining ?? (await this.runs.progress(this.campaignId))?.remaining ?? 0;
		this.summary.durationMs = Date.now() - this.started;
		return this.summary;
	}
}
