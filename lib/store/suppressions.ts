/**
 * The suppression list's one writer. Entries are keyed by the salted hash of the address, so an
 * erased address stays blocked without being kept in clear text.
 */
import { recordAudit, recordAuditMany } from './auditLog';
import type { SqlDriver, SqlExecutor } from './driver';
import { inTexts, textsParam } from './dialect';
import { cleanEmail, requireValidEmail } from './email';
import { checkLimit, encodeCursor, now } from './rows';
import type { Actor, Page, PageOptions, SuppressionEntry } from './types';

/** The store's salted address hash (SqlSubscriberStore.hashEmail). */
export type HashEmail = (email: string) => string;

export async function addSuppression(
	db: SqlExecutor,
	hash: HashEmail,
	email: string,
	reason: string,
	source: string,
	actor: Actor,
): Promise<boolean> {
	const key = hash(email);
	const result = await db.run(
		'INSERT INTO suppressions (hash, email, reason, source, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING',
		[key, email, reason, source, now()],
	);
	if (result.changes) await recordAudit(db, actor, 'suppression.add', 'suppression', key.slice(0, 16), { reason, source });
	return result.changes > 0;
}

/** addSuppression for many addresses in one statement; returns how many were new. */
export async function addSuppressions(
	db: SqlExecutor,
	hash: HashEmail,
	emails: string[],
	reason: string,
	source: string,
	actor: Actor,
): Promise<number> {
	const byHash = new Map<string, string>();
	for (const email of emails) {
		const key = hash(email);
		if (!byHash.has(key)) byHash.set(key, email);
	}
	if (!byHash.size) return 0;
	const hashes = [...byHash.keys()];
	const at = now();
	const inserted =
		db.dialect === 'postgres'
			? await db.all(
					`INSERT INTO suppressions (hash, email, reason, source, created_at)
					 SELECT t.h, t.e, ?, ?, ? FROM unnest(?::text[], ?::text[]) AS t(h, e)
					 ON CONFLICT (hash) DO NOTHING RETURNING hash`,
					[reason, source, at, hashes, [...byHash.values()]],
				)
			: await db.all(
					`INSERT INTO suppressions (hash, email, reason, source, created_at)
					 SELECT j.value ->> 0, j.value ->> 1, ?, ?, ? FROM json_each(?) AS j WHERE true
					 ON CONFLICT (hash) DO NOTHING RETURNING hash`,
					[reason, source, at, JSON.stringify([...byHash].map(([key, email]) => [key, email]))],
				);
	const added = new Set(inserted.map((row) => String(row.hash)));
	await recordAuditMany(
		db,
		actor,
		hashes
			.filter((key) => added.has(key))
			.map((key) => ({ action: 'suppression.add', entityType: 'suppression', entityId: key.slice(0, 16), details: { reason, source } })),
	);
	return added.size;
}

/**
 * Suppresses already-hashed entries without any clear-text address (erasure): returns the
 * hashes that were new; an address suppressed earlier keeps its entry, but loses its clear text.
 */
export async function addErasedHashes(db: SqlExecutor, hashes: string[]): Promise<string[]> {
	if (!hashes.length) return [];
	const d = db.dialect;
	const insert =
		d === 'postgres'
			? `INSERT INTO suppressions (hash, email, reason, source, created_at)
			   SELECT h, NULL, 'erased', 'erase', ? FROM unnest(?::text[]) AS h
			   ON CONFLICT (hash) DO NOTHING RETURNING hash`
			: `INSERT INTO suppressions (hash, email, reason, source, created_at)
			   SELECT value, NULL, 'erased', 'erase', ? FROM json_each(?) WHERE true
			   ON CONFLICT (hash) DO NOTHING RETURNING hash`;
	const added = (await db.all(insert, [now(), textsParam(d, hashes)])).map((row) => String(row.hash));
	await db.run(`UPDATE suppressions SET email = NULL WHERE email IS NOT NULL AND hash ${inTexts(d)}`, [
		textsParam(d, hashes),
	]);
	return added;
}

/** Drops the clear-text address of one entry (only the hash survives an erasure). */
export async function forgetSuppressedAddress(db: SqlExecutor, key: string): Promise<void> {
	await db.run('UPDATE suppressions SET email = NULL WHERE hash = ?', [key]);
}

/** Lifts a suppression (explicit consent) and audits it. */
export async function liftSuppression(
	db: SqlExecutor,
	key: string,
	actor: Actor,
	details: Record<string, unknown>,
): Promise<void> {
	await db.run('DELETE FROM suppressions WHERE hash = ?', [key]);
	await recordAudit(db, actor, 'suppression.lift', 'suppression', null, details);
}

export async function suppress(
	driver: SqlDriver,
	hash: HashEmail,
	email: string,
	reason: string,
	source: string,
	actor: Actor,
): Promise<void> {
	const valid = requireValidEmail(email);
	await driver.transaction(async (tx) => {
		await addSuppression(tx, hash, valid, reason, source, actor);
	});
}

export async function isHashSuppressed(db: SqlExecutor, key: string): Promise<boolean> {
	return Boolean(await db.get('SELECT 1 AS x FROM suppressions WHERE hash = ?', [key]));
}

export async function isSuppressed(db: SqlExecutor, hash: HashEmail, email: string): Promise<boolean> {
	return isHashSuppressed(db, hash(cleanEmail(email)));
}

/** Which of these hashes are suppressed (one statement). */
export async function suppressedHashes(db: SqlExecutor, batchHashes: readonly string[]): Promise<Set<string>> {
	const hashes = [...new Set(batchHashes)];
	const found = new Set<string>();
	if (!hashes.length) return found;
	const rows = await db.all(`SELECT hash FROM suppressions WHERE hash ${inTexts(db.dialect)}`, [textsParam(db.dialect, hashes)]);
	for (const row of rows) found.add(String(row.hash));
	return found;
}

export async function getSuppressions(db: SqlExecutor, page: PageOptions): Promise<Page<SuppressionEntry>> {
	const limit = checkLimit(page.limit);
	const after = page.cursor ? Buffer.from(page.cursor, 'base64url').toString('utf8') : null;
	const rows = await db.all(
		`SELECT hash, email, reason, source, created_at FROM suppressions ${after ? 'WHERE hash > ?' : ''} ORDER BY hash LIMIT ?`,
		after ? [after, limit + 1] : [limit + 1],
	);
	const items = rows.slice(0, limit).map((row) => ({
		hash: String(row.hash),
		email: (row.email as string | null) ?? null,
		reason: String(row.reason),
		source: String(row.source),
		createdAt: String(row.created_at),
	}));
	return { items, next: rows.length > limit ? encodeCursor(items[items.length - 1].hash) : null };
}
