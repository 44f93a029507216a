/**
 * Remembers webhook tokens (Mailgun's per-request `token`) so a captured request cannot be
 * replayed inside its freshness window. Implementations may be shared (e.g. Redis `SET NX EX`)
 * when several processes receive webhooks.
 */
export interface ReplayCache {
	/** Records the token and says whether it had been seen before. */
	seen(token: string): Promise<boolean> | boolean;
}

export interface MemoryReplayCacheOptions {
	/** Most tokens kept; the oldest are dropped first (default 50,000 ≈ a few MB). */
	maxEntries?: number;
	/** How long a token is remembered (default 10 min: twice the default timestamp window). */
	ttlMs?: number;
	now?: () => number;
}

/**
 * A bounded in-process cache: a Map in insertion order, so the oldest entry is the first key.
 * Entries older than the TTL are dropped as new ones arrive; past `maxEntries` the oldest go.
 * A token older than the TTL is rejected by the timestamp window anyway, so forgetting it is safe.
 */
export class MemoryReplayCache implements ReplayCache {
	private readonly entries = new Map<string, number>();
	private readonly maxEntries: number;
	private readonly ttlMs: number;
	private readonly now: () => number;

	constructor(options: MemoryReplayCacheOptions = {}) {
		this.maxEntries = Math.max(1, options.maxEntries ?? 50_000);
		this.ttlMs = Math.max(1, options.ttlMs ?? 10 * 60 * 1000);
		this.now = options.now ?? Date.now;
	}

	get size(): number {
		return this.entries.size;
	}

	seen(token: string): boolean {
		const now = this.now();
		this.dropExpired(now);
		const storedAt = this.entries.get(token);
		if (storedAt !== undefined) return true;
		this.entries.set(token, now);
		while (this.entries.size > this.maxEntries) {
			const oldest = this.entries.keys().next().value as string;
			this.entries.delete(oldest);
		}
		return false;
	}

	private dropExpired(now: number): void {
		for (const [token, storedAt] of this.entries) {
			if (now - storedAt < this.ttlMs) break;
			this.entries.delete(token);
		}
	}
}
