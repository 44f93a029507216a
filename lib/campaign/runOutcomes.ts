/**
 * The outcomes of a campaign run on their way to the send log: each SMTP result counted in the
 * run's summary (failures listed) and buffered; the buffer written in the background, one
 * transaction at a time (the run's checkpoints). The run's in-flight window counts unwritten
 * outcomes, so the buffer stays bounded.
 */
import type { ProviderPausePolicy } from '../bounce';
import { bounceOf, type SendResult } from '../send';
import type { Actor, CampaignStatus, LogResult, ProviderPause, ReadyRecipient } from '../store';
import type { CampaignRunRepository } from './repository';
import type { Window } from './runSettings';
import type { CampaignFailure, CampaignRunSummary, RunOutcome } from './types';

const MAX_TEXT = 1000;

export function clip(text: string | null | undefined): string | null {
	if (text === null || text === undefined) return null;
	return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A run's summary before it has done anything. */
export function emptySummary(campaignId: string, status: CampaignStatus, inFlightWindow: number, warnings: string[]): CampaignRunSummary {
	return {
		campaignId,
		status,
		outcome: 'not-runnable',
		message: '',
		finishedThisRun: false,
		sentThisRun: 0,
		failedThisRun: 0,
		unknownThisRun: 0,
		skippedThisRun: 0,
		recoveredUnknown: 0,
		remaining: 0,
		inFlightWindow,
		durationMs: 0,
		failures: [],
		failuresOmitted: 0,
		warnings,
		limits: 'unlimited',
		providerPauses: [],
	};
}

export interface OutcomeLogContext {
	runs: CampaignRunRepository;
	campaignId: string;
	owner: string;
	clock: () => number;
	actor: Actor;
	window: Window;
	summary: CampaignRunSummary;
	/** Outcomes written per transaction. */
	flushSize: number;
	maxFailures: number;
	/** The per-provider pause rule the outcomes are counted against (false: off). */
	providerPause: ProviderPausePolicy | false;
	/** The campaign was found no longer running when outcomes were written. */
	onStatus: (status: CampaignStatus) => void;
}

export class OutcomeLog {
	private buffer: LogResult[] = [];
	private flushing: Promise<void> = Promise.resolve();
	private flushQueued = false;
	private flushError: unknown = null;
	private readonly inFlightEmails = new Map<string, string>();

	constructor(private readonly run: OutcomeLogContext) {}

	/** Writing to the send log failed: the run must end. */
	get failed(): boolean {
		return this.flushError !== null;
	}

	throwIfFailed(): void {
		if (this.flushError) throw this.flushError;
	}

	/** A message handed to the send engine (its address is named if it fails). */
	handedOver(recipient: ReadyRecipient): void {
		this.inFlightEmails.set(recipient.id, recipient.email);
	}

	/** One SMTP outcome from the send engine. */
	async onResult(result: SendResult): Promise<void> {
		// the send log cannot be written: end the run (what is in `sending` stays at most once)
		if (this.flushError) throw this.flushError;
		const subscriberId = String(result.ref);
		const email = this.inFlightEmails.get(subscriberId) ?? '';
		this.inFlightEmails.delete(subscriberId);
		const state: LogResult['state'] = result.status === 'skipped' ? 'queued' : result.status;
		await this.record(
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
	}

	/** Record: counts the outcome, lists a failure, and buffers it for the next checkpoint. */
	async record(result: LogResult, email: string, enhancedStatus: string | null): Promise<void> {
		const summary = this.run.summary;
		this.buffer.push({ ...result, email });
		if (result.state === 'sent') summary.sentThisRun++;
		else if (result.state === 'failed' || result.state === 'unknown') {
			if (result.state === 'failed') summary.failedThisRun++;
			else summary.unknownThisRun++;
			this.addFailure({
				subscriberId: result.subscriberId,
				email,
				state: result.state,
				attempts: result.attempts,
				message: result.error ?? '',
				responseCode: result.responseCode,
				enhancedStatus,
				bounce: result.bounce?.kind ?? null,
				reason: result.bounce?.reason ?? null,
			});
		}
		if (this.buffer.length >= this.run.flushSize || this.run.window.waiting) this.flush().catch(() => undefined);
	}

	private addFailure(failure: CampaignFailure): void {
		const summary = this.run.summary;
		if (summary.failures.length < this.run.maxFailures) summary.failures.push(failure);
		else summary.failuresOmitted++;
	}

	/** Checkpoint: queues a write of the buffered outcomes after the ones already queued. */
	flush(): Promise<void> {
		if (this.flushQueued) return this.flushing;
		this.flushQueued = true;
		this.flushing = this.flushing.then(() => this.writeBuffer());
		return this.flushing;
	}

	/** The periodic checkpoint: only when something is buffered. */
	flushIfAny(): void {
		if (this.buffer.length) this.flush().catch(() => undefined);
	}

	/** Waits for the writes under way, whatever their outcome. */
	async settled(): Promise<void> {
		await this.flushing.catch(() => undefined);
	}

	private async writeBuffer(): Promise<void> {
		this.flushQueued = false;
		if (!this.buffer.length) return;
		const batch = this.buffer;
		this.buffer = [];
		const { runs, campaignId, owner, clock, actor, window, providerPause } = this.run;
		try {
			const outcome = await runs.record(campaignId, batch, { owner, now: clock(), actor, providerPause });
			window.release(batch.length);
			if (outcome.status !== 'running') this.run.onStatus(outcome.status);
		} catch (error) {
			this.flushError ??= error ?? new Error('Writing outcomes to the send log failed');
			window.poke();
			throw error;
		}
	}
}

/** How a run ends that sent to everyone but the recipients of paused providers. */
export function providersPaused(campaignId: string, remaining: number, pauses: ProviderPause[]): { outcome: RunOutcome; message: string } {
	return {
		outcome: 'providers-paused',
		message: `Campaign ${campaignId} sent to everyone else; ${remaining} recipients are held or still in other runs. ${pauses.map((pause) => pause.reason).join(' ')}. Start with Resume Paused Providers sends to them again.`,
	};
}
