/**
 * The segments benchmark's data (bench:segments, and the campaign benches that stream a segment's
 * recipients): a store filled with `subscribers` rows over 3 lists (every address on one list,
 * a fifth of them also on a second), 10 custom fields per row, created over the two years before
 * `AT`, and 20 finished campaigns over the 300 days before `AT`, each sent to a tenth of the rows,
 * 30 % of them opened. Deterministic (derived from row ids), so both backends hold the same data.
 *
 * `BENCH_SEGMENT` is the 4-condition benchmark segment (one custom-field comparison, one date
 * window, one list exclusion, one engagement condition); at `AT` it matches about 10 % of rows.
 *
 * Subscribers go in through the store's batch upsert; created_at, campaigns and the send log are
 * seeded with set-based SQL on the store's own connection (test data, like test/store does).
 */
import type { SqlSubscriberStore } from '../lib/store/sqlStore';

export const AT = '2026-06-15T12:00:00.000Z';
const CAMPAIGNS = 20;
const BATCH = 5_000;
const actor = { type: 'bench' };

const CITIES = ['Tokyo', 'Osaka', 'Kyoto', 'Nagoya', 'Sapporo', 'Fukuoka', 'Kobe', 'Sendai', 'Hiroshima', 'Naha'];
const PLANS = ['free', 'gold', 'platinum'];
const COUNTRIES = ['JP', 'US', 'DE', 'FR', 'GB'];
const SOURCES = ['import', 'form', 'api', 'event'];

export interface SegmentsBenchData {
	listIds: string[];
	campaignIds: string[];
	/** The benchmark segment's JSON form. */
	segment: Record<string, unknown>;
	/** The evaluation time the segment is meant for. */
	at: string;
	rows: number;
}

/** A deterministic pseudo-random number in [0, 1) from an integer. */
function unit(n: number): number {
	const x = Math.sin(n * 12.9898 + 78.233) * 43758.5453;
	return x - Math.floor(x);
}

function day(offsetDays: number): string {
	return new Date(Date.parse(AT) - offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** Row `i`'s address and custom fields; addresses 0 … 0.8·rows, the rest repeat the first fifth on another list. */
export function benchRow(i: number, rows: number): { email: string; name: string; fields: Record<string, unknown> } {
	const person = i < Math.ceil(rows * 0.8) ? i : i - Math.ceil(rows * 0.8);
	return {
		email: `user${person}@example${person % 97}.com`,
		name: `User ${person}`,
		fields: {
			city: CITIES[person % CITIES.length],
			plan: PLANS[person % PLANS.length],
			score: Math.floor(unit(person) * 1000),
			spent: Math.round(unit(person + 1) * 100_000) / 100,
			age: 18 + (person % 60),
			country: COUNTRIES[person % COUNTRIES.length],
			source: SOURCES[person % SOURCES.length],
			joined: day(Math.floor(unit(person + 2) * 1500)),
			lastPurchase: day(Math.floor(unit(person + 3) * 400)),
			tags: person % 7 === 0 ? 'vip,newsletter' : 'newsletter',
		},
	};
}

/** List of row `i`: the first 80 % spread over the 3 lists, the repeated fifth on the next list. */
function listIndex(i: number, rows: number): number {
	const first = Math.ceil(rows * 0.8);
	return i < first ? i % 3 : ((i - first) % 3 + 1) % 3;
}

export const BENCH_SEGMENT = (listIds: string[]): Record<string, unknown> => ({
	match: 'all',
	conditions: [
		{ customField: 'score', type: 'number', operator: 'gte', value: 250 },
		{ field: 'createdAt', operator: 'withinLastDays', value: 365 },
		{ list: listIds[1], operator: 'isNotOn' },
		{ activity: 'openedAny', withinLastDays: 180 },
	],
});

/** Fills an empty store with the benchmark data (see the file comment). */
export async function seedSegmentsBench(store: SqlSubscriberStore, rows: number): Promise<SegmentsBenchData> {
	const lists = [];
	for (const name of ['Newsletter', 'VIP', 'Events']) lists.push(await store.createList({ name }, actor));
	const listIds = lists.map((list) => list.id);
	// Batches per list, in row order within each list.
	for (let l = 0; l < 3; l++) {
		let batch: Array<ReturnType<typeof benchRow>> = [];
		for (let i = 0; i < rows; i++) {
			if (listIndex(i, rows) !== l) continue;
			batch.push(benchRow(i, rows));
			if (batch.length === BATCH) {
				await store.bulkUpsert(listIds[l], batch, {}, actor);
				batch = [];
			}
		}
		if (batch.length) await store.bulkUpsert(listIds[l], batch, {}, actor);
	}
	const pg = store.sql.dialect === 'postgres';
	// Created over the 730 days before AT (spread by id), updated at creation.
	await store.sql.run(
		pg
			? `UPDATE subscribers SET created_at = to_char((?::timestamptz - ((id * 7919) % 730) * interval '1 day' - (id % 86400) * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), updated_at = created_at`
			: `UPDATE subscribers SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || ((id * 7919) % 730) || ' days', '-' || (id % 86400) || ' seconds'), updated_at = created_at`,
		[AT],
	);
	const campaignIds: string[] = [];
	for (let c = 0; c < CAMPAIGNS; c++) {
		// Campaign c went out 300 − 15·c days before AT, to a tenth of all rows.
		const sentAt = new Date(Date.parse(AT) - (300 - 15 * c) * 86_400_000).toISOString();
		const inserted = await store.sql.get<{ id: string | number }>(
			"INSERT INTO campaigns (name, list_id, template, status, created_at, updated_at) VALUES (?, ?, '{}', 'finished', ?, ?) RETURNING id",
			[`Bench campaign ${c + 1}`, listIds[c % 3], sentAt, sentAt],
		);
		const campaignId = String(inserted?.id);
		campaignIds.push(campaignId);
		// Opened (30 %) a day after the send; clicked (a third of those) two days after.
		const opened = pg ? `to_char((?::timestamptz + interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+1 day')`;
		const clicked = pg ? `to_char((?::timestamptz + interval '2 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+2 days')`;
		await store.sql.run(
			`INSERT INTO send_log (campaign_id, subscriber_id, state, opened_at, clicked_at, updated_at)
			 SELECT CAST(? AS BIGINT), id, 'sent',
			   CASE WHEN ((id * 31 + CAST(? AS INTEGER)) % 100) < 30 THEN ${opened} END,
			   CASE WHEN ((id * 31 + CAST(? AS INTEGER)) % 100) < 10 THEN ${clicked} END,
			   ?
			 FROM subscribers WHERE ((id * 131 + CAST(? AS INTEGER) * 17) % 10) = 0`,
			[campaignId, c, sentAt, c, sentAt, sentAt, c],
		);
	}
	await store.sql.exec('ANALYZE');
	return { listIds, campaignIds, segment: BENCH_SEGMENT(listIds), at: AT, rows };
}
