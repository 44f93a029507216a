/**
 * Issue 17, item 4: export → import gives back the same addresses, names and fields; the import
 * recognises the export's own columns (never custom fields), its status column only makes a
 * subscriber stricter, and no consent record is ever created by an import.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { exportSubscribersCsv } from '../../../lib/export';
import { importCsv, type ImportOptions } from '../../../lib/import';
import { portableCsv } from '../../../lib/ops';
import type { SqlSubscriberStore, Subscriber, SubscriberStatus } from '../../../lib/store';
import {
	allSubscribers,
	BACKENDS,
	streamOf,
	uniqueList,
	useIsolatedTmpdir,
	useTestStore,
} from './helpers';

useIsolatedTmpdir();

const actor = { type: 'test' };

const PEOPLE: Array<{ email: string; name?: string; fields?: Record<string, unknown>; status?: SubscriberStatus }> = [
	{ email: '=cmd@example.com', name: 'Formula Address', fields: { plan: 'pro' } },
	{ email: '+15551234@example.com', name: '+1 555 1234' },
	{ email: '-dash@example.com', name: '=HYPERLINK("http://evil.example","Bob")', fields: { note: '@SUM(A1:A2)' } },
	{ email: 'quote@example.com', name: "'=already quoted", fields: { note: "'-also" } },
	{ email: 'typed@example.com', name: 'Typed', fields: { age: 42, vip: true, since: '2024-03-01', tags: ['a', 'b'] } },
	{ email: 'gone@example.com', name: 'Gone', status: 'unsubscribed' },
	{ email: 'bounced@example.com', name: 'Bounced', status: 'bounced' },
	{ email: 'complained@example.com', name: 'Complained', status: 'complained' },
	{ email: 'waiting@example.com', name: 'Waiting', status: 'pending' },
];

function essentials(subscribers: Subscriber[]) {
	return subscribers
		.map((s) => ({ email: s.email, name: s.name, fields: s.fields, status: s.status }))
		.sort((a, b) => a.email.localeCompare(b.email));
}

describe.each(BACKENDS)('export → import round trip (%s)', (backend) => {
	const storeOf = useTestStore(backend);
	let store: SqlSubscriberStore;
	beforeAll(() => {
		store = storeOf() as SqlSubscriberStore;
	});

	async function listWith(people: typeof PEOPLE) {
		const list = await store.createList({ name: uniqueList('source') }, actor);
		for (const person of people) {
			const { subscriber } = await store.upsertSubscriber(
				list.id,
				{ email: person.email, name: person.name, fields: person.fields },
				{},
				actor,
			);
			if (person.status) await store.setStatus(subscriber!.id, person.status, {}, actor);
		}
		return list;
	}

	async function exported(listId: string): Promise<string> {
		return text(exportSubscribersCsv(store, { listId }, { fieldColumns: ['note', 'age'] }) as Readable);
	}

	function importInto(list: string, csv: string, options: Partial<ImportOptions> = {}) {
		return importCsv(store, { source: { stream: streamOf(csv), name: 'export.csv' }, list, createList: true, ...options });
	}

	async function consentCount(): Promise<number> {
		const [row] = await store.sql.all('SELECT COUNT(*) AS n FROM consents');
		return Number(row.n);
	}

	test('the export keeps every address as it is; other cells get reversible formula protection', async () => {
		const source = await listWith(PEOPLE);
		const rows = parse(await exported(source.id), { columns: true }) as Array<Record<string, string>>;
		const byEmail = new Map(rows.map((row) => [row.email, row]));
		expect([...byEmail.keys()].sort()).toEqual(PEOPLE.map((p) => p.email).sort());
		expect(byEmail.get('-dash@example.com')).toMatchObject({
			name: '\'=HYPERLINK("http://evil.example","Bob")',
			'field:note': "'@SUM(A1:A2)",
		});
		expect(byEmail.get('+15551234@example.com')?.name).toBe("'+1 555 1234");
		expect(byEmail.get('quote@example.com')).toMatchObject({ name: "''=already quoted", 'field:note': "''-also" });
	});

	test('the export counts the rows it writes, so a summary matches the file even when the list grows meanwhile', async () => {
		const source = await listWith(PEOPLE.slice(0, 2));
		let counted = 0;
		const stream = exportSubscribersCsv(store, { listId: source.id }, { pageSize: 1, onRecord: () => (counted += 1) });
		// A subscriber added while the file is being read: the file and the count agree either way.
		await store.upsertSubscriber(source.id, { email: 'late@example.com' }, {}, actor);
		const rows = parse(await text(stream as Readable), { columns: true }) as Array<Record<string, string>>;
		expect(counted).toBe(rows.length);
		expect(rows.length).toBeGreaterThanOrEqual(2);
	});

	test('Export Everything writes addresses as they are too (subscribers and suppressions)', async () => {
		await listWith([{ email: '=everything@example.com', name: '=Sum' }]);
		await store.suppress('+suppressed@example.com', 'manual', 'test', actor);
		const subscribers = parse(await text((await portableCsv(store, 'subscribers')).stream), { bom: true, columns: true });
		expect(subscribers).toContainEqual(expect.objectContaining({ email: '=everything@example.com', name: "'=Sum" }));
		const suppressions = parse(await text((await portableCsv(store, 'suppressions')).stream), { bom: true, columns: true });
		expect(suppressions).toContainEqual(expect.objectContaining({ email: '+suppressed@example.com' }));
	});

	test('into a new list: the same addresses, names, fields and statuses; no export column becomes a field', async () => {
		const source = await listWith(PEOPLE);
		const before = await consentCount();
		const result = await importInto(uniqueList('copy'), await exported(source.id));
		expect(result.summary).toMatchObject({ rows: PEOPLE.length, created: PEOPLE.length, invalid: 0 });
		expect(result.detected?.mapping.fields.map((field) => field.field)).toEqual(['note', 'age']);
		const copy = await allSubscribers(store, result.summary.listId!);
		expect(essentials(copy)).toEqual(essentials(await allSubscribers(store, source.id)));
		expect(copy.find((s) => s.email === 'typed@example.com')?.fields).toEqual({
			age: 42,
			vip: true,
			since: '2024-03-01',
			tags: ['a', 'b'],
		});
		expect(await consentCount()).toBe(before);
	});

	test('back into a list where they are active: opt-outs arrive as such; nobody is reactivated', async () => {
		const source = await listWith(PEOPLE);
		const csv = await exported(source.id);
		// The target has everyone active, and one address the source has active blocked.
		const target = await listWith(
			PEOPLE.map(({ email, name }) => ({ email, name, status: email === 'typed@example.com' ? 'bounced' : undefined })),
		);
		const before = await consentCount();
		const result = await importInto(target.id, csv, { allowReactivate: false });
		expect(result.summary.invalid).toBe(0);
		const statuses = Object.fromEntries((await allSubscribers(store, target.id)).map((s) => [s.email, s.status]));
		expect(statuses).toMatchObject({
			'gone@example.com': 'unsubscribed',
			'bounced@example.com': 'bounced',
			'complained@example.com': 'complained',
			'typed@example.com': 'bounced',
			// Pending is not stricter than active: a confirmed subscriber stays confirmed.
			'waiting@example.com': 'active',
			'=cmd@example.com': 'active',
		});
		expect(await consentCount()).toBe(before);
	});

	test('a status column never loosens: not even with the consent override does an opt-out row reactivate', async () => {
		const target = await listWith([
			{ email: 'gone@example.com', status: 'unsubscribed' },
			{ email: 'stopped@example.com', status: 'stopped' },
		]);
		const header = 'id,list_id,email,name,status,hard_bounces,soft_bounces,complaints,last_error,source,created_at,updated_at,fields';
		const row = (email: string, status: string) => `x,y,${email},,${status},0,0,0,,csv,2024-01-01,2024-01-01,{}`;
		const csv = [header, row('gone@example.com', 'bounced'), row('stopped@example.com', 'unsubscribed')].join('\n');
		await importInto(target.id, csv, { allowReactivate: true });
		const statuses = Object.fromEntries((await allSubscribers(store, target.id)).map((s) => [s.email, s.status]));
		// unsubscribed → bounced is no stricter (both block mail until consent); stopped → unsubscribed is.
		expect(statuses).toEqual({ 'gone@example.com': 'unsubscribed', 'stopped@example.com': 'unsubscribed' });

		const bad = await importInto(target.id, [header, row('new@example.com', 'deleted')].join('\n'));
		expect(bad.rejected[0].reason).toContain("column 'status': 'deleted' is not a subscriber status");
	});
});
