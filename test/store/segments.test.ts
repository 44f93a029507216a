/**
 * Segments in the store, on both backends: saved segments (create, get, get many, rename,
 * delete), and the migration that adds the match copy to a store made before segments existed.
 */
import { parseSegment } from '../../lib/segments';
import { compileSegment, LATEST_SCHEMA_VERSION, StoreError } from '../../lib/store';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { BACKENDS, rollBackToSchemaVersion5, storeFixture, type StoreFixture } from '../helpers/stores';

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
});

describe.each(BACKENDS)('the segments migration on a store made before it (%s)', (backend) => {
	let fixture: StoreFixture;

	afterAll(async () => {
		await fixture?.cleanup();
	});

	it('adds the match copy to existing rows, so segments find them', async () => {
		fixture = storeFixture(backend);
		const old = await fixture.open();
		const list = await old.createList({ name: 'News' }, actor);
		// Back to schema version 5: no match copy, no segments table; a row written then.
		await rollBackToSchemaVersion5(old);
		await old.sql.run(
			`INSERT INTO subscribers (list_id, email, email_key, email_lower, name, fields, status, created_at, updated_at)
			 VALUES (?, 'Straße@example.com', 'Straße@example.com', 'straße@example.com', 'ΟΔΥΣΣΕΥΣ', '{"city":"TOKYO","spent":"12"}', 'active', ?, ?)`,
			[list.id, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
		);
		await old.close();

		const store = await fixture.open();
		try {
			expect((await store.info()).schemaVersion).toBe(LATEST_SCHEMA_VERSION);
			const segment = parseSegment({
				conditions: [
					{ field: 'email', operator: 'startsWith', value: 'STRASSE@' },
					{ field: 'name', operator: 'endsWith', value: 'σ' },
					{ customField: 'city', operator: 'equals', value: 'tokyo' },
					{ customField: 'spent', type: 'number', operator: 'gt', value: 10 },
				],
			});
			const { where, params } = compileSegment(store.sql.dialect, segment, { at: '2026-06-15T00:00:00Z' });
			const rows = await store.sql.all(`SELECT s.email FROM subscribers s WHERE ${where}`, params);
			expect(rows).toEqual([{ email: 'Straße@example.com' }]);
			expect(await store.getSegments()).toEqual([]);
		} finally {
			await store.close();
		}
	});
});
