/**
 * Failure-rate circuit breaker over the last N sends: once at least `minSamples` outcomes are in
 * and the share of failures among the last `windowSize` passes `thresholdPct`, it trips and the
 * run pauses itself (as listmonk pauses a campaign after too many errors) instead of burning the
 * sender's reputation on a broken list or a throttling provider.
 */
export interface BreakerOptions {
	/** How many of the latest outcomes count. */
	windowSize: number;
	/** Trip when failures exceed this share of the window, in percent (0-100). */
	thresholdPct: number;
	/** Outcomes needed before the breaker may trip. */
	minSamples: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
	windowSize: 200,
	thresholdPct: 30,
	minSamples: 50,
};

export interface BreakerSnapshot {
	samples: number;
	failures: number;
	failureRatePct: number;
	tripped: boolean;
}

/** The defaults merged with `options`, checked; throws naming the setting that is out of range. */
export function resolveBreakerOptions(options: Partial<BreakerOptions> = {}): BreakerOptions {
	const merged = { ...DEFAULT_BREAKER_OPTIONS, ...options };
	if (!Number.isInteger(merged.windowSize) || merged.windowSize < 1) {
		throw new Error(
			`Breaker windowSize must be a whole number of at least 1, got "${merged.windowSize}".`,
		);
	}
	if (!(merged.thresholdPct >= 0 && merged.thresholdPct <= 100)) {
		throw new Error(
			`Breaker thresholdPct must be between 0 and 100, got "${merged.thresholdPct}".`,
		);
	}
	if (!Number.isInteger(merged.minSamples) || merged.minSamples < 1) {
		throw new Error(
			`Breaker minSamples must be a whole number of at least 1, got "${merged.minSamples}".`,
		);
	}
	merged.minSamples = Math.min(merged.minSamples, merged.windowSize);
	return merged;
}

export class FailureRateBreaker {
	readonly options: BreakerOptions;
	private readonly outcomes: Uint8Array;
	private next = 0;
	private samples = 0;
	private failures = 0;
	private trippedFlag = false;

	constructor(options: Partial<BreakerOptions> = {}) {
		const merged = resolveBreakerOptions(options);
		this.options = merged;
		this.outcomes = new Uint8Array(merged.windowSize);
	}

	/** Records one send outcome; returns true when the breaker is (now) tripped. */
	record(success: boolean): boolean {
		const failed = success ? 0 : 1;
		if (this.samples === this.options.windowSize) {
			this.failures -= this.outcomes[this.next];
		} else {
			this.samples++;
		}
		this.outcomes[this.next] = failed;
		this.failures += failed;
		this.next = (this.next + 1) % this.options.windowSize;
		if (
			!this.trippedFlag &&
			this.samples >= this.options.minSamples &&
			(this.failures * 100) / this.samples > this.options.thresholdPct
		) {
			this.trippedFlag = true;
		}
		return this.trippedFlag;
	}

	get tripped(): boolean {
		return this.trippedFlag;
	}

	snapshot(): BreakerSnapshot {
		return {
			samples: this.samples,
			failures: this.failures,
			failureRatePct: this.samples ? Math.round((this.failures * 10000) / this.samples) / 100 : 0,
			tripped: this.trippedFlag,
		};
	}

	describe(): string {
		const s = this.snapshot();
		return `${s.failures} of the last ${s.samples} sends failed (${s.failureRatePct}%, limit ${this.options.thresholdPct}%)`;
	}
}
