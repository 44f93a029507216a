/** The audit log's one writer and reader: every change the store makes is recorded here. */
import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from './driver';
import { checkLimit, decodeCursor, now, pageOf, parseJson } from './rows';
import type { Actor, AuditEntry, Page, PageOptions } from './types';

export interface AuditRecord {
	action: string;
	entityType: string;
	entityId: string | null;
	details: Record<string, unknown>;
}

export async function recordAudit(
	db: SqlExecutor,
	actor: Actor,
	action: string,
	entityType: string,
	entityId: string | null,
	details: Record<string, unknown>,
): Promise<void> {
	await db.run(
		'INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
		[randomUUID(), now(), JSON.stringify(actor), action, entityType, entityId, JSON.stringify(details)],
	);
}

/** Many audit entries in one statement, in the given order. */
export async function recordAuditMany(db: SqlExecutor, actor: Actor, entries: AuditRecord[]): Promise<void> {
	if (!entries.length) return;
	const at = now();
	const actorJson = JSON.stringify(actor);
	if (db.dialect === 'postgres') {
		await db.run(
			`INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details)
			 SELECT t.id, ?, ?, t.action, t.entity_type, t.entity_id, t.details
			 FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS t(id, action, entity_type, entity_id, details, n)
			 ORDER BY t.n`,
			[
				at,
				actorJson,
				entries.map(() => randomUUID()),
				entries.map((entry) => entry.action),
				entries.map((entry) => entry.entityType),
				entries.map((entry) => entry.entityId),
				entries.map((entry) => JSON.stringify(entry.details)),
			],
		);
		return;
	}
	await db.run(
		`INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, details)
		 SELECT j.value ->> 0, ?, ?, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4 FROM json_each(?) AS j ORDER BY j.key`,
		[
			at,
			actorJson,
			JSON.stringify(
				entries.map((entry) => [randomUUID(), entry.action, entry.entityType, entry.entityId, JSON.stringify(entry.details)]),
			),
		],
	);
}

export async function readAuditLog(
	db: SqlExecutor,
	filter: { entityId?: string; action?: string },
	page: PageOptions,
): Promise<Page<AuditEntry>> {
	const limit = checkLimit(page.limit);
	const where: string[] = [];
	const params: unknown[] = [];
	const after = decodeCursor(page.cursor);
	if (after) {
		where.push('seq > ?');
		params.push(after);
	}
	if (filter.entityId) {
		where.push('entity_id = ?');
		params.push(filter.entityId);
	}
	if (filter.action) {
		where.push('action = ?');
		params.push(filter.action);
	}
	const rows = await db.all(
		`SELECT seq, id, at, actor, action, entity_type, entity_id, details FROM audit_log
		 ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`,
		[...params, limit + 1],
	);
	const page_ = pageOf(
		rows,
		limit,
		(row) => ({
			seq: String(row.seq),
			id: String(row.id),
			at: String(row.at),
			actor: parseJson<Actor>(row.actor, { type: 'unknown' }),
			action: String(row.action),
			entityType: String(row.entity_type),
			entityId: (row.entity_id as string | null) ?? null,
			details: parseJson<Record<string, unknown>>(row.details, {}),
		}),
		(entry) => entry.seq,
	);
	return { items: page_.items.map(({ seq: _seq, ...entry }) => entry), next: page_.next };
}
