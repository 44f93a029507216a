/**
 * Who a campaign mails, as SQL (schema 9): the one place that turns a campaign's audience —
 * lists in order, a segment frozen at the start, a follow-up of another campaign, the old
 * search/field filter — into its recipients: written to the send log at the start
 * (materialiseAudience) or, for a plain one-list audience, read by keyset batch after batch
 * (claimNewMembers), and the count of those left.
 *
 * One message per person: subscribers stay one row per list, conditions are evaluated per row,
 * and an address (the store's `email_key`) qualifies if any of its active rows on the lists
 * qualifies; the row used (fields, unsubscribe link) is its active row on the first list in the
 * campaign's order. The send log's unique (campaign_id, address_key) makes that hold across
 * batches, slices, crashes and concurrent runners: a second row of the same address is never
 * inserted, whichever run reads it.
 */
import { parseSegment, SegmentError } from '../segments';
import {
	CampaignError,
	type CampaignAudience,
	type CampaignFilter,
	type FrozenAudience,
} from './campaignTypes';
import { audienceOf, validateFilter } from './campaigns';
import type { Row, SqlExecutor } from './driver';
import { listExists } from './lists';
import { parseJson } from './rows';
import { getSegment } from './savedSegments';
import { CLASS_CODES } from './reportCodes';
import { compileSegment } from './segmentSql';
import { matchConditions } from './subscribers';

/** A campaign's audience ready to read: the parts of one WHERE over `subscribers s`. */
export interface AudiencePlan {
	audience: CampaignAudience;
	/** FROM clause (the follow-up joins the followed campaign's send log as `f`). */
	from: string;
	where: string[];
	params: unknown[];
	/** The row used for an address (`s.id` when every address has one row in the audience). */
	useRow: { sql: string; params: unknown[] } | null;
	/** Several rows of one address can be in the audience (several lists, or every list). */
	perAddress: boolean;
}

const UTC = 'UTC';

/** The segment definition a campaign evaluates: the frozen copy, the inline one, or the saved segment's now. */
async function segmentDefinition(db: SqlExecutor, audience: CampaignAudience): Promise<Record<string, unknown> | null> {
	if (audience.frozen) return audience.frozen.definition;
	if (!audience.segment) return null;
	if (audience.segment.definition) return audience.segment.definition;
	const id = audience.segment.segmentId ?? '';
	const saved = await getSegment(db, id);
	if (!saved) {
		throw new CampaignError(
			`The campaign's segment (id ${id}${audience.segment.name ? `, '${audience.segment.name}'` : ''}) no longer exists`,
			'not-found',
		);
	}
	return saved.definition;
}

/**
 * What the campaign freezes when it starts: the segment definition (a saved segment's copied
 * now) and the evaluation time.
 */
export async function freezeAudience(db: SqlExecutor, row: Row, at: string): Promise<FrozenAudience> {
	const audience = audienceOf(row);
	if (audience.frozen) return audience.frozen;
	return { at, definition: await segmentDefinition(db, audience), timeZone: audience.timeZone ?? UTC };
}

const isoText = (db: SqlExecutor, column: string) => (db.dialect === 'postgres' ? `${column} COLLATE "C"` : column);
const idValue = (db: SqlExecutor, id: string): unknown => (db.dialect === 'postgres' ? id : Number(id));

/**
 * The WHERE parts of a campaign's audience at its evaluation time (the frozen one once started,
 * else now), over `subscribers s`. A bad segment is a CampaignError naming the bad condition.
 */
export async function audiencePlan(db: SqlExecutor, row: Row, now: string): Promise<AudiencePlan> {
	const audience = audienceOf(row);
	const at = audience.frozen?.at ?? now;
	const where: string[] = ["s.status = 'active'"];
	const params: unknown[] = [];
	if (audience.followUp) {
		const f = audience.followUp;
		// a click shows the message was read: "did not open" excludes clickers too. With human
		// opens only, an open or click counts when the reports work (migration 8) classed the
		// recipient's best one as a person's (send_log open_class / click_class), so Apple Mail's
		// proxied opens and link scanners do not keep a reader from the follow-up.
		const done = f.unless === 'clicked' ? [['f.clicked_at', 'f.click_class']] : [['f.opened_at', 'f.open_class'], ['f.clicked_at', 'f.click_class']];
		const human = f.opens === 'human' ? (column: string) => ` AND COALESCE(${column}, 0) = ${CLASS_CODES.human}` : () => '';
		where.push(
			'f.campaign_id = ?',
			"f.state = 'sent'",
			'f.bounced_at IS NULL',
			'f.complained_at IS NULL',
			'f.unsubscribed_at IS NULL',
			`NOT (${done.map(([at, cls]) => `(${at} IS NOT NULL AND ${isoText(db, at)} <= ?${human(cls)})`).join(' OR ')})`,
		);
		params.push(idValue(db, f.campaignId), ...done.map(() => at));
		return { audience, from: 'send_log f JOIN subscribers s ON s.id = f.subscriber_id', where, params, useRow: null, perAddress: false };
	}
	const lists = audience.listIds;
	if (lists.length === 1) {
		where.push('s.list_id = ?');
		params.push(idValue(db, lists[0]));
	} else if (lists.length > 1) {
		// `+` keeps SQLite walking the primary key in id order (one index range per list would sort)
		where.push(`${db.dialect === 'sqlite' ? '+' : ''}s.list_id IN (${lists.map(() => '?').join(', ')})`);
		params.push(...lists.map((id) => idValue(db, id)));
	}
	const filter = validateFilter(parseJson<CampaignFilter>(row.filter, {}));
	const legacy = matchConditions(db, filter);
	// unqualified column names: only `s` has them in this FROM
	where.push(...legacy.where);
	params.push(...legacy.params);
	const definition = await segmentDefinition(db, audience);
	if (definition) {
		try {
			const compiled = compileSegment(db.dialect, parseSegment(definition), {
				at,
				timeZone: audience.frozen?.timeZone ?? audience.timeZone ?? UTC,
			});
			where.push(`(${compiled.where})`);
			params.push(...compiled.params);
		} catch (error) {
			if (error instanceof SegmentError) throw new CampaignError(`The campaign's segment is not valid: ${error.message}`, 'invalid');
			throw error;
		}
	}
	const perAddress = lists.length !== 1;
	return { audience, from: 'subscribers s', where, params, useRow: perAddress ? useRowSql(db, lists) : null, perAddress };
}

/**
 * The row used for the outer row's address: its active row on the first of the campaign's lists
 * (every list: the oldest), within the membership snapshot (the `?` after the list ids is the
 * snapshot's highest id).
 */
function useRowSql(db: SqlExecutor, lists: string[]): { sql: string; params: unknown[] } {
	const inLists = lists.length ? ` AND u.list_id IN (${lists.map(() => '?').join(', ')})` : '';
	const order = lists.length ? `CASE u.list_id ${lists.map((_, i) => `WHEN ? THEN ${i}`).join(' ')} END` : 'u.list_id';
	const ids = lists.map((id) => idValue(db, id));
	return {
		sql: `(SELECT u.id FROM subscribers u WHERE u.email_lower = s.email_lower AND u.email_key = s.email_key
			AND u.status = 'active' AND u.id <= ?${inLists} ORDER BY ${order}, u.id LIMIT 1)`,
		params: [...ids, ...ids],
	};
}

export interface AudienceRow {
	/** The row read (the keyset position). */
	id: string;
	/** The row used for its address (its send-log row). */
	useId: string;
	/** The address identity (email_key; hashed into the send log's address_key).*/
	address: string;
}

/** The next audience rows after `after` up to the snapshot `max`, in id order (keyset). */
export async function audienceRows(
	db: SqlExecutor,
	plan: AudiencePlan,
	range: { after: string; max: string; limit: number },
): Promise<AudienceRow[]> {
	const use = plan.useRow;
	const useSql = use ? use.sql : 's.id';
	// the snapshot bound comes first in the row-used subquery, then its list ids
	const useParams = use ? [range.max, ...use.params] : [];
	// PostgreSQL: no LIMIT (the caller bounds the id range), so it plans the window like a count —
	// set-based — rather than a fast-start plan that runs the segment's lookups row by row
	const pg = db.dialect === 'postgres';
	const rows = await db.all(
		`SELECT s.id AS id, ${useSql} AS use_id, s.email_key AS address FROM ${plan.from}
		 WHERE ${[...plan.where, 's.id > ?', 's.id <= ?'].join(' AND ')} ORDER BY s.id${pg ? '' : ' LIMIT ?'}`,
		[...useParams, ...plan.params, range.after, range.max, ...(pg ? [] : [range.limit])],
	);
	return rows.slice(0, range.limit).map((r) => ({ id: String(r.id), useId: String(r.use_id ?? r.id), address: String(r.address) }));
}

/**
 * Audience members not reached yet: addresses with a qualifying row beyond the claim cursor
 * (within the snapshot) that have no send-log row in this campaign.
 */
export async function countAudienceLeft(
	db: SqlExecutor,
	plan: AudiencePlan,
	campaignId: string,
	range: { after: string; max: string | null },
): Promise<number> {
	const where = [...plan.where, 's.id > ?'];
	const params: unknown[] = [...plan.params, range.after];
	if (range.max !== null) {
		where.push('s.id <= ?');
		params.push(range.max);
	}
	if (!plan.perAddress) {
		const row = await db.get(`SELECT COUNT(*) AS n FROM ${plan.from} WHERE ${where.join(' AND ')}`, params);
		return Number(row?.n ?? 0);
	}
	const row = await db.get(
		`SELECT COUNT(DISTINCT s.email_key) AS n FROM ${plan.from} WHERE ${where.join(' AND ')}
		 AND NOT EXISTS (SELECT 1 FROM send_log x JOIN subscribers xs ON xs.id = x.subscriber_id
		   WHERE x.campaign_id = ? AND xs.email_lower = s.email_lower AND xs.email_key = s.email_key)`,
		[...params, idValue(db, campaignId)],
	);
	return Number(row?.n ?? 0);
}

/**
 * The membership snapshot at the start: the highest row id the audience can read (rows added
 * later are not members). Checks that the lists (or the followed campaign) still exist.
 */
export async function audienceSnapshotMax(db: SqlExecutor, row: Row): Promise<string> {
	const audience = audienceOf(row);
	if (audience.followUp) {
		const source = audience.followUp.campaignId;
		if (!(await db.get('SELECT id FROM campaigns WHERE id = ?', [source]))) {
			throw new CampaignError(`Campaign ${String(row.id)} cannot start: the campaign it follows up (id ${source}) no longer exists`, 'not-found');
		}
		const max = await db.get('SELECT COALESCE(MAX(subscriber_id), 0) AS max FROM send_log WHERE campaign_id = ?', [source]);
		return String(max?.max ?? 0);
	}
	for (const listId of audience.listIds) {
		if (!(await listExists(db, listId))) {
			throw new CampaignError(`Campaign ${String(row.id)} cannot start: its list (id ${listId}) no longer exists`, 'not-found');
		}
	}
	const lists = audience.listIds;
	const max = lists.length
		? await db.get(`SELECT COALESCE(MAX(id), 0) AS max FROM subscribers WHERE list_id IN (${lists.map(() => '?').join(', ')})`, lists.map((id) => idValue(db, id)))
		: await db.get('SELECT COALESCE(MAX(id), 0) AS max FROM subscribers');
	return String(max?.max ?? 0);
}

/**
 * Whether a campaign's recipients are written to the send log at its start (materialised) rather
 * than read by keyset batch after batch: when it has a segment, several lists (or every list) or
 * follows up another campaign. Those audiences cost a set-based evaluation (the segment's
 * lookups, one row per address) that is cheap once over the whole audience and dear when
 * repeated per claim window; a plain one-list audience is a cheap index range either way, and
 * materialising a million of them would only move the writes to the start.
 */
export function materialisesAtStart(plan: AudiencePlan): boolean {
	const audience = plan.audience;
	return plan.perAddress || audience.followUp !== null || (audience.frozen?.definition ?? null) !== null;
}

/**
 * Writes the campaign's whole audience (within the snapshot `max`) into the send log as `queued`
 * rows, one per address (its row used), at the start, in one set-based statement; claims then
 * take them as they take rows put back (sendLog.ts reclaimPutBack) and the keyset cursor starts
 * at the end. The recipient set is frozen with it: later edits of the lists or the segment and
 * later engagement change nothing. Where one address can have several rows (several lists), each
 * row used is stamped with its salted address key, so the log's unique (campaign, address) holds
 * as for keyset claims. Returns the number of recipients.
 */
export async function materialiseAudience(tx: SqlExecutor, plan: AudiencePlan, target: { campaignId: string; max: string; now: string }): Promise<number> {
	const { campaignId, max, now } = target;
	if (!plan.useRow) {
		// ON CONFLICT: the send log's key makes a second row of one subscriber impossible anyway
		const result = await tx.run(
			`INSERT INTO send_log (campaign_id, subscriber_id, state, attempts, updated_at)
			 SELECT ?, s.id, 'queued', 0, ? FROM ${plan.from} WHERE ${[...plan.where, 's.id <= ?'].join(' AND ')} ORDER BY s.id ON CONFLICT DO NOTHING`,
			[idValue(tx, campaignId), now, ...plan.params, idValue(tx, max)],
		);
		return result.changes;
	}
	// The address key as email.ts addressKeyHash makes it (sha256 of the store's salt, "\0address\0"
	// and the key; 32 hex digits), with the salt read where it is kept: in SQL on PostgreSQL, by
	// the function the SQLite driver registers.
	const key =
		tx.dialect === 'postgres'
			? `left(encode(sha256(convert_to(salt.value, 'UTF8') || '\\x006164647265737300'::bytea || convert_to(q.address, 'UTF8')), 'hex'), 32)`
			: 'bm_address_key(salt.value, q.address)';
	// the qualifying addresses, then each one's row used (which need not be the qualifying row)
	const result = await tx.run(
		`INSERT INTO send_log (campaign_id, subscriber_id, address_key, state, attempts, updated_at)
		 SELECT ?, q.use_id, ${key}, 'queued', 0, ? FROM (
		   SELECT ${plan.useRow.sql} AS use_id, s.email_key AS address FROM (
		     SELECT DISTINCT s.email_lower, s.email_key FROM ${plan.from} WHERE ${[...plan.where, 's.id <= ?'].join(' AND ')}) s
		 ) q, (SELECT value FROM bm_meta WHERE key = 'suppression_salt') salt
		 WHERE q.use_id IS NOT NULL ORDER BY q.use_id ON CONFLICT DO NOTHING`,
		[idValue(tx, campaignId), now, idValue(tx, max), ...plan.useRow.params, ...plan.params, idValue(tx, max)],
	);
	return result.changes;
}

/** A claim reads at most max(need × this, CLAIM_WINDOW_MIN) subscriber ids past the cursor. */
const CLAIM_WINDOW_FACTOR = 12;
const CLAIM_WINDOW_MIN = 2_000;

/**
 * The next `need` members beyond the campaign's claim cursor (lib/store audience.ts: its lists,
 * segment at the frozen time, follow-up or filter, within the membership snapshot), inserted
 * into the log as `claimed` with their address; an address already in the log (another of its
 * rows, by any run) is not inserted again. Moves the cursor on.
 */
export async function claimNewMembers(
	tx: SqlExecutor,
	campaign: Row,
	need: number,
	claim: { owner: string; now: string; lease: string; addressKey: (emailKey: string) => string },
): Promise<{ ids: string[]; atEnd: boolean }> {
	const { owner, now, lease } = claim;
	const campaignId = String(campaign.id);
	const cursor = String(campaign.next_subscriber_id ?? 0);
	const max = String(campaign.max_subscriber_id ?? 0);
	if (BigInt(cursor) >= BigInt(max)) return { ids: [], atEnd: true };
	if (need <= 0) return { ids: [], atEnd: false };
	const plan = await audiencePlan(tx, campaign, now);
	// A bounded id window per claim, so no claim reads more than it (whatever plan the database
	// picks for a segment: PostgreSQL may read and sort every remaining row to find the first few)
	const windowEnd = BigInt(cursor) + BigInt(Math.max(need * CLAIM_WINDOW_FACTOR, CLAIM_WINDOW_MIN));
	const upTo = windowEnd < BigInt(max) ? String(windowEnd) : max;
	const fresh = await audienceRows(tx, plan, { after: cursor, max: upTo, limit: need });
	const seen = new Set<string>();
	// the address key only where one address can have several rows in the audience (audience.ts)
	const rows: Array<[string, string | null]> = [];
	for (const r of fresh) {
		if (seen.has(r.address)) continue;
		seen.add(r.address);
		rows.push([r.useId, plan.perAddress ? claim.addressKey(r.address) : null]);
	}
	const ids: string[] = [];
	if (rows.length) {
		// no conflict target: the (campaign, subscriber) key and the (campaign, address) one both skip
		const inserted =
			tx.dialect === 'postgres'
				? await tx.all(
						`INSERT INTO send_log (campaign_id, subscriber_id, address_key, state, owner, lease_until, attempts, updated_at)
						 SELECT ?, v.id, v.address, 'claimed', ?, ?, 0, ? FROM unnest(?::bigint[], ?::text[]) AS v(id, address)
						 ON CONFLICT DO NOTHING RETURNING subscriber_id`,
						[campaignId, owner, lease, now, rows.map((r) => r[0]), rows.map((r) => r[1])],
					)
				: await tx.all(
						`INSERT INTO send_log (campaign_id, subscriber_id, address_key, state, owner, lease_until, attempts, updated_at)
						 SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'claimed', ?, ?, 0, ? FROM json_each(?) WHERE true
						 ON CONFLICT DO NOTHING RETURNING subscriber_id`,
						[campaignId, owner, lease, now, JSON.stringify(rows.map(([id, address]) => [Number(id), address]))],
					);
		for (const r of inserted) ids.push(String(r.subscriber_id));
	}
	const windowDone = fresh.length < need;
	const nextCursor = windowDone ? upTo : fresh[fresh.length - 1].id;
	await tx.run('UPDATE campaigns SET next_subscriber_id = ? WHERE id = ?', [nextCursor, campaignId]);
	return { ids, atEnd: windowDone && upTo === max };
}
