/**
 * One opened store per store configuration per process, kept across webhook requests: opening
 * (and checking migrations) per request would cost more than the request itself. SQLite
 * connections are shared per file anyway (acquireSqliteDriver); PostgreSQL keeps one small pool.
 */
import { createHash } from 'node:crypto';
import { LinkSigner, openStore, type SqlSubscriberStore, type StoreConfig } from '../store';

const MAX_CACHED = 16;
const stores = new Map<string, Promise<SqlSubscriberStore>>();
const signers = new Map<string, LinkSigner>();

/** A digest of the configuration, so the cache never holds a password as a key. */
function cacheKey(value: unknown): string {
	const json = JSON.stringify(value, (_key, inner) =>
		inner && typeof inner === 'object' && !Array.isArray(inner)
			? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
			: inner,
	);
	return createHash('sha256').update(json).digest('hex');
}

/**
 * The opened store for `config`, opened on first use and reused afterwards. A failed open is
 * forgotten, so the next request tries again (e.g. after PostgreSQL comes back).
 */
export function cachedStore(
	config: StoreConfig,
	open: (config: StoreConfig) => Promise<SqlSubscriberStore> = openStore,
): Promise<SqlSubscriberStore> {
	const key = cacheKey(config);
	let entry = stores.get(key);
	if (entry) return entry;
	entry = open(config);
	stores.set(key, entry);
	entry.catch(() => {
		if (stores.get(key) === entry) stores.delete(key);
	});
	// Credentials that changed leave their old store behind: close the oldest beyond the bound.
	while (stores.size > MAX_CACHED) {
		const [oldestKey, oldest] = stores.entries().next().value as [string, Promise<SqlSubscriberStore>];
		stores.delete(oldestKey);
		void oldest.then((store) => store.close()).catch(() => undefined);
	}
	return entry;
}

/** The link signer for a secret, built once (it holds the key as a KeyObject). */
export function cachedSigner(secret: string): LinkSigner {
	const key = cacheKey(secret);
	let signer = signers.get(key);
	if (!signer) {
		signer = new LinkSigner(secret);
		if (signers.size >= MAX_CACHED) signers.clear();
		signers.set(key, signer);
	}
	return signer;
}

/** Closes every cached store (tests, shutdown). */
export async function closeCachedStores(): Promise<void> {
	const open = [...stores.values()];
	stores.clear();
	signers.clear();
	await Promise.all(open.map((entry) => entry.then((store) => store.close()).catch(() => undefined)));
}

export function cachedStoreCount(): number {
	return stores.size;
}
