/**
 * Segments in the store, on both backends: saved segments (create, get, get many, rename,
 * delete), the migration that adds the match copy to a store made before segments existed, and
 * the one that puts every number in it.
 */
import { LATEST_SCHEMA_VERSION, StoreError } from '../../lib/store';
import { exportSubscribersCsv } from '../../lib/export';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { BACKENDS, rollBackToSchemaVersion6, rollBackToSchemaVersion9, storeFixture, type StoreFixture } from '../helpers/stores';

jest.setTimeout(60_000);

const actor = { type: 'test' };
const TOKYO = { match: 'all', conditions: [{ customField: 'city', operator: 'equals', value: 'Tokyo' }] };

describe.each(BACKENDS)('saved segments and segment filters (%s)', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;

	beforeAll(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
	});

	afterAll(async () => {
		await store?.close();
		await fixture?.cleanup();
	});

	it('creates, reads, renames and deletes a segment, with an audit entry for each change', async () => {
		const created = await store.createSegment({ name: 'Tokyo customers', definition: TOKYO }, actor);
		expect(created).toMatchObject({ name: 'Tokyo customers', definition: TOKYO });
		expect(await store.getSegment(created.id)).toEqual(created);
		expect(await store.getSegment('TOKYO CUSTOMERS')).toEqual(created);
		const other = await store.createSegment({ name: 'Everyone', definition: JSON.stringify({ conditions: [] }) }, actor);
		expect(other.definition).toEqual({ conditions: [] });
		expect((await store.getSegments()).map((segment) => segment.name)).toEqual(['Tokyo customers', 'Everyone']);

		const renamed = await store.renameSegment(created.id, 'Tokyo buyers', actor);
		expect(renamed).toMatchObject({ id: created.id, name: 'Tokyo buyers', definition: TOKYO });
		await expect(store.renameSegment(created.id, 'everyone', actor)).rejects.toThrow("A segment named 'everyone' already exists");
		expect(await store.deleteSegment(other.id, actor)).toEqual({ deleted: true });
		expect(await store.getSegment(other.id)).toBeNull();
		await expect(store.deleteSegment(other.id, actor)).rejects.toMatchObject({ code: 'not-found' });

		const audit = await store.getAuditLog({ entityId: created.id }, { limit: 10 });
		expect(audit.items.map((entry) => entry.action).filter((action) => action.startsWith('segment.'))).toEqual(
			expect.arrayContaining(['segment.create', 'segment.rename']),
		);
	});

	it('refuses a bad definition with the path of the bad condition, and a duplicate name', async () => {
		const bad = store.createSegment(
			{ name: 'Broken', definition: { conditions: [{ match: 'any', conditions: [{ customField: 'spent', type: 'number', operator: 'between', value: [1] }] }] } },
			actor,
		);
		await expect(bad).rejects.toBeInstanceOf(StoreError);
		await expect(bad).rejects.toThrow("The segment definition is not valid: conditions[0].conditions[0]: operator 'between' needs two values");
		await expect(store.createSegment({ name: 'Broken', definition: '{"conditions": [' }, actor)).rejects.toThrow(/not valid JSON/);
		await expect(store.createSegment({ name: ' ', definition: TOKYO }, actor)).rejects.toThrow('The segment name is empty');
		await store.createSegment({ name: 'Unique', definition: TOKYO }, actor);
		await expect(store.createSegment({ name: 'UNIQUE', definition: TOKYO }, actor)).rejects.toMatchObject({ code: 'conflict' });
		expect(await store.getSegment('Broken')).toBeNull();
	});

	it('lists and counts subscribers by segment, with the list and status filters, page by page', async () => {
		const news = await store.createList({ name: 'News' }, actor);
		const vip = await store.createList({ name: 'VIP' }, actor);
		await store.bulkUpsert(
			news.id,
			[
				{ email: 'a@example.jp', fields: { city: 'TOKYO', spent: '120' } },
				{ email: 'b@example.jp', fields: { city: 'Tokyo', spent: 'n/a' } },
				{ email: 'c@example.jp', fields: { city: 'Osaka', spent: 300 } },
				{ email: 'd@example.jp', fields: { city: 'tokyo', spent: 80 }, status: 'unsubscribed' },
				{ email: 'e@example.jp', fields: { city: 'tōkyō' } },
			],
			{},
			actor,
		);
		await store.bulkUpsert(vip.id, [{ email: 'a@EXAMPLE.JP' }, { email: 'B@example.jp' }], {}, actor);
		// The same person is the same address up to the domain's case (B@ is someone else than b@).
		const definition = {
			conditions: [
				{ customField: 'city', operator: 'equals', value: 'tokyo' },
				{ list: vip.id, operator: 'isNotOn' },
			],
		};
		const emails = async (segment: object, extra = {}) =>
			(await store.getSubscribers({ listId: news.id, segment: { definition: segment, at: '2026-06-15T00:00:00Z' }, ...extra }, { limit: 10 })).items.map((s) => s.email);
		expect(await emails(definition)).toEqual(['b@example.jp', 'd@example.jp']);
		expect(await emails(definition, { status: 'active' })).toEqual(['b@example.jp']);
		expect(await store.countSubscribers({ listId: news.id, segment: { definition } })).toBe(2);
		expect(await emails({ conditions: [{ customField: 'spent', type: 'number', operator: 'gte', value: 100 }] })).toEqual(['a@example.jp', 'c@example.jp']);

		const first = await store.getSubscribers({ listId: news.id, segment: { definition: JSON.stringify({ conditions: [] }) } }, { limit: 2 });
		const second = await store.getSubscribers({ listId: news.id, segment: { definition: { conditions: [] } } }, { limit: 10, cursor: first.next });
		expect([...first.items, ...second.items].map((s) => s.email)).toEqual(['a@example.jp', 'b@example.jp', 'c@example.jp', 'd@example.jp', 'e@example.jp']);

		await expect(store.countSubscribers({ segment: { definition: { conditions: [{ list: 'x', operator: 'isOn' }] } } })).rejects.toThrow(
			"The segment is not valid: conditions[0]: 'list' must be a list id (a whole number)",
		);
		await expect(store.countSubscribers({ segment: { definition, timeZone: 'Nowhere/Else' } })).rejects.toMatchObject({ code: 'invalid' });
	});
	it('counts, lists and exports by a saved segment (by id or name) or an inline one, evaluated at one time', async () => {
		const list = await store.createList({ name: 'Saved' }, actor);
		const vip = await store.createList({ name: 'Saved VIP' }, actor);
		await store.bulkUpsert(
			list.id,
			[
				{ email: 'k1@example.jp', name: 'ＫＥＮ', fields: { city: 'ΟΔΥΣΣΕΥΣ', joined: '2026-06-01' } },
				{ email: 'k2@example.jp', name: 'Ken', fields: { city: 'οδυσσευς', joined: '2026-01-01' } },
				{ email: 'k3@example.jp', name: 'Kei', fields: { city: 'Tokyo', joined: '2026-06-10' } },
			],
			{},
			actor,
		);
		await store.bulkUpsert(vip.id, [{ email: 'k2@example.jp' }], {}, actor);
		const definition = {
			conditions: [
				{ customField: 'city', operator: 'equals', value: 'Οδυσσευσ' },
				{ customField: 'joined', type: 'date', operator: 'withinLastDays', value: 30 },
			],
		};
		const saved = await store.createSegment({ name: 'Recent Greeks', definition }, actor);
		const at = '2026-06-15T00:00:00Z';
		const emails = async (segment: object) =>
			(await store.getSubscribers({ listId: list.id, segment: { ...segment, at } }, { limit: 10 })).items.map((s) => s.email);
		expect(await emails({ saved: saved.id })).toEqual(['k1@example.jp']);
		expect(await emails({ saved: 'recent greeks' })).toEqual(['k1@example.jp']);
		expect(await emails({ definition })).toEqual(['k1@example.jp']);
		// "Within the last 30 days" is relative to the evaluation time.
		expect(await store.countSubscribers({ listId: list.id, segment: { saved: saved.id, at: '2026-07-15T00:00:00Z' } })).toBe(0);
		expect(await store.countSubscribers({ listId: list.id, segment: { definition: { conditions: [{ list: vip.id, operator: 'isNotOn' }] } } })).toBe(2);

		const csv = async (segment: object) => {
			const chunks: Buffer[] = [];
			for await (const chunk of exportSubscribersCsv(store, { listId: list.id, segment }, { pageSize: 1 })) chunks.push(Buffer.from(chunk));
			return Buffer.concat(chunks).toString('utf8');
		};
		const file = await csv({ definition: { conditions: [{ field: 'name', operator: 'startsWith', value: 'ｋ' }] } });
		expect(file).toContain('k1@example.jp');
		expect(file).not.toContain('k2@example.jp');
		expect((await csv({ saved: 'Recent Greeks', at })).split('\n').filter(Boolean)).toHaveLength(2);

		await expect(store.countSubscribers({ segment: { saved: 'No such segment' } })).rejects.toMatchObject({ code: 'not-found', message: "There is no saved segment 'No such segment'" });
		await expect(store.countSubscribers({ segment: { saved: saved.id, definition } })).rejects.toMatchObject({ code: 'invalid' });
		await expect(store.countSubscribers({ segment: {} })).rejects.toMatchObject({ code: 'invalid' });
		await expect(
			store.countSubscribers({ segment: { definition: { conditions: [{ field: 'email', operator: 'contains', value: 'a' }, { customField: 'city', operator: 'contains', value: 'x\u0000' }] } } }),
		).rejects.toThrow('The segment is not valid: conditions[1]: the value contains a NUL character');
	});
});

describe.each(BACKENDS)('the segments migration (6 → 7) on a store with data (%s)', (backend) => {
	let fixture: StoreFixture;

	afterAll(async () => {
		await fixture?.cleanup();
	});

	it('keeps existing rows, campaigns and filters working and adds what segments need to find them', async () => {
		fixture = storeFixture(backend);
		const old = await fixture.open();
		const list = await old.createList({ name: 'News' }, actor);
		const vip = await old.createList({ name: 'VIP' }, actor);
		await rollBackToSchemaVersion6(old);
		// Rows as version 6 wrote them: no match copy. Plain ASCII, Unicode whose folding differs,
		// numbers and dates as text, a field name a JSON path cannot quote, and a NUL in a value.
		const rows: Array<[string, string, string, Record<string, unknown>]> = [
			[list.id, 'plain@example.com', 'Plain Person', { city: 'Tokyo', spent: 250, joined: '2026-06-01' }],
			[list.id, 'Straße@example.com', 'ΟΔΥΣΣΕΥΣ', { city: 'TOKYO', spent: '12', joined: '2025-01-01' }],
			[list.id, 'odd@example.com', 'Odd', { 'say "hi"': 'Hello', city: 'to\u0000kyo', spent: 2.5 }],
			[vip.id, 'plain@example.com', 'Plain Person', { city: 'Osaka' }],
		];
		const ids: string[] = [];
		for (const [listId, email, name, fields] of rows) {
			const inserted = await old.sql.get<{ id: unknown }>(
				`INSERT INTO subscribers (list_id, email, email_key, email_lower, name, fields, status, created_at, updated_at)
				 VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?) RETURNING id`,
				[listId, email, email.replace(/@.*/, (domain) => domain.toLowerCase()), email.toLowerCase(), name, JSON.stringify(fields), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
			);
			ids.push(String(inserted?.id));
		}
		const campaign = await old.sql.get<{ id: unknown }>(
			"INSERT INTO campaigns (name, list_id, template, status, created_at, updated_at) VALUES ('Old', ?, '{}', 'finished', ?, ?) RETURNING id",
			[list.id, '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
		);
		await old.sql.run("INSERT INTO send_log (campaign_id, subscriber_id, state, opened_at, updated_at) VALUES (?, ?, 'sent', ?, ?)", [
			campaign?.id,
			ids[1],
			'2026-06-10T00:00:00.000Z',
			'2026-05-01T00:00:00.000Z',
		]);
		await old.close();

		const store = await fixture.open();
		try {
			expect((await store.info()).schemaVersion).toBe(LATEST_SCHEMA_VERSION);
			// Only the rows that need a match copy got one.
			const copies = await store.sql.all<{ email_fold: unknown; name_fold: unknown; fields_match: unknown }>(
				'SELECT email_fold, name_fold, fields_match FROM subscribers ORDER BY id',
			);
			expect(copies[3]).toEqual({ email_fold: null, name_fold: null, fields_match: null });
			// A date needs its instant, a number its value; the rest of the row is read from the row itself.
			const dates = copies[0].fields_match;
			expect(typeof dates === 'string' ? JSON.parse(dates) : dates).toEqual({ n: { k7370656e74: 250 }, d: { k6a6f696e6564: '2026-06-01T00:00:00.000Z' } });
			expect(copies[1].email_fold).toBe('strasse@example.com');
			expect(copies[1].name_fold).toBe('οδυσσευσ');
			expect(copies[2].fields_match).not.toBeNull();
			// Existing filters still work.
			expect(await store.countSubscribers({ listId: list.id })).toBe(3);
			expect((await store.getSubscribers({ listId: list.id, field: { name: 'city', value: 'Tokyo' } }, { limit: 10 })).items.map((s) => s.email)).toEqual(['plain@example.com']);
			const at = '2026-06-15T00:00:00Z';
			const emails = async (conditions: object[]) =>
				(await store.getSubscribers({ listId: list.id, segment: { definition: { conditions }, at } }, { limit: 10 })).items.map((s) => s.email);
			expect(await emails([{ field: 'email', operator: 'startsWith', value: 'STRASSE@' }, { field: 'name', operator: 'endsWith', value: 'σ' }])).toEqual(['Straße@example.com']);
			expect(await emails([{ customField: 'city', operator: 'equals', value: 'tokyo' }])).toEqual(['plain@example.com', 'Straße@example.com']);
			expect(await emails([{ customField: 'spent', type: 'number', operator: 'gt', value: 10 }])).toEqual(['plain@example.com', 'Straße@example.com']);
			expect(await emails([{ customField: 'spent', type: 'number', operator: 'lt', value: 10 }])).toEqual(['odd@example.com']);
			expect(await emails([{ customField: 'say "hi"', operator: 'equals', value: 'HELLO' }])).toEqual(['odd@example.com']);
			expect(await emails([{ customField: 'joined', type: 'date', operator: 'withinLastDays', value: 30 }])).toEqual(['plain@example.com']);
			expect(await emails([{ list: vip.id, operator: 'isNotOn' }])).toEqual(['Straße@example.com', 'odd@example.com']);
			expect(await emails([{ campaign: String(campaign?.id), operator: 'opened' }])).toEqual(['Straße@example.com']);
			expect(await emails([{ activity: 'openedAny', withinLastDays: 7 }])).toEqual(['Straße@example.com']);
			expect(await store.getSegments()).toEqual([]);
		} finally {
			await store.close();
		}
	});
});

describe.each(BACKENDS)('the number copy migration (9 → 10) on a store with data (%s)', (backend) => {
	let fixture: StoreFixture;

	afterAll(async () => {
		await fixture?.cleanup();
	});

	it('puts every JSON number in the match copy, and still matches a copy an older version wrote', async () => {
		fixture = storeFixture(backend);
		const old = await fixture.open();
		const list = await old.createList({ name: 'News' }, actor);
		const people: Array<[string, Record<string, unknown>]> = [
			['high@example.com', { score: 150, city: 'Tokyo' }],
			['low@example.com', { score: 50, spent: '12.5' }],
			['text@example.com', { score: 'n/a' }],
			['ratio@example.com', { ratio: 2.5 }],
		];
		await old.bulkUpsert(list.id, people.map(([email, fields]) => ({ email, fields })), {}, actor);
		// the copies as version 9 wrote them: JSON numbers left to be read from `fields`
		const v9 = [null, '{"n":{"k7370656e74":12.5}}', null, '{"t":{"k726174696f":"2.5"}}'];
		for (const [index, [email]] of people.entries()) {
			await old.sql.run(`UPDATE subscribers SET fields_match = ${backend === 'postgres' ? 'CAST(? AS jsonb)' : '?'} WHERE email = ?`, [v9[index], email]);
		}
		await rollBackToSchemaVersion9(old);
		await old.close();

		const store = await fixture.open();
		try {
			expect((await store.info()).schemaVersion).toBe(10);
			const copies = await store.sql.all<{ fields_match: unknown }>('SELECT fields_match FROM subscribers ORDER BY email');
			const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
			// by e-mail: high, low, ratio, text
			expect(copies.map((row) => json(row.fields_match))).toEqual([
				{ n: { k73636f7265: 150 } },
				{ n: { k73636f7265: 50, k7370656e74: 12.5 } },
				{ t: { k726174696f: '2.5' }, n: { k726174696f: 2.5 } },
				null,
			]);
			const emails = async (conditions: object[]) =>
				(await store.getSubscribers({ listId: list.id, segment: { definition: { conditions } } }, { limit: 10 })).items.map((s) => s.email).sort();
			const atLeast100 = [{ customField: 'score', type: 'number', operator: 'gte', value: 100 }];
			expect(await emails(atLeast100)).toEqual(['high@example.com']);
			expect(await emails([{ customField: 'score', type: 'number', operator: 'lt', value: 100 }])).toEqual(['low@example.com']);
			expect(await emails([{ customField: 'ratio', type: 'number', operator: 'between', value: [2, 3] }])).toEqual(['ratio@example.com']);
			// a process of an older version still running (queue mode, mid-upgrade) writes a copy without the number
			await store.sql.run('UPDATE subscribers SET fields_match = NULL WHERE email = ?', ['high@example.com']);
			expect(await emails(atLeast100)).toEqual(['high@example.com']);
			expect(await store.countSubscribers({ listId: list.id, segment: { definition: { conditions: atLeast100 } } })).toBe(1);
		} finally {
			await store.close();
		}
	});
});
