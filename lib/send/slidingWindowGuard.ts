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
