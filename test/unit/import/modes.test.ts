import { readFileSync } from 'node:fs';
import { importCsv } from '../../../lib/import';
import type { SubscriberStore } from '../../../lib/store/types';
import {
	allSubscribers,
	BACKENDS,
	expectImportError,
	openTestStore,
	streamOf,
	subscriberByEmail,
	uniqueList,
	type TestBackend,
	useIsolatedTmpdir,
} from './helpers';

const actor = { type: 'test' };

useIsolatedTmpdir();

describe.each(BACKENDS)('import modes (%s)', (backend) => {
	let handle: TestBackend;
	let store: SubscriberStore;

	beforeAll(async () => {
		handle = await openTestStore(backend);
		store = handle.store;
	});
	afterAll(async () => handle?.close());

	async function seededList(rows: Array<{ email: string; name?: string }>) {
		const list = await store.createList({ name: uniqueList(backend) }, actor);
		if (rows.length) await store.bulkUpsert(list.id, rows, {}, actor);
		return list;
	}

	test('upsert creates new, updates changed, keeps unchanged; a re-run of the same file is idempotent', async () => {
		const list = await seededList([
			{ email: 'old@example.com', name: 'Old Name' },
			{ email: 'same@example.com', name: 'Same' },
		]);
		const csv =
			'email,name\nnew@example.com,New\nold@example.com,New Name\nsame@example.com,Same\n';
		const first = await importCsv(store, { source: { stream: streamOf(csv) }, list: list.name });
		expect(first.summary).toMatchObject({
			rows: 3,
			created: 1,
			updated: 1,
			unchanged: 1,
			invalid: 0,
			duplicates: 0,
			skipped: 0,
		});
		expect((await subscriberByEmail(store, list.id, 'old@example.com'))?.name).toBe('New Name');

		const again = await importCsv(store, { source: { stream: streamOf(csv) }, list: list.name });
		expect(again.summary).toMatchObject({
			rows: 3,
			created: 0,
			updated: 0,
			unchanged: 3,
			duplicates: 0,
		});
		expect(again.summary.importRunId).not.toBe(first.summary.importRunId);
		expect(await allSubscribers(store, list.id)).toHaveLength(3);
	});

	test('duplicates inside the file are reported, the first one wins, also across batches', async () => {
		const list = await seededList([]);
		const csv =
			'email,name\ndup@example.com,First\nother@example.com,Other\nthird@example.com,Third\n' +
			'dup@example.com,Second\nDup@EXAMPLE.com,Domain case\n';
		const result = await importCsv(store, {
			source: { stream: streamOf(csv) },
			list: list.id,
			batchSize: 2,
		});
		expect(result.summary).toMatchObject({ rows: 5, created: 4, duplicates: 1 });
		expect((await subscriberByEmail(store, list.id, 'dup@example.com'))?.name).toBe('First');
		const duplicates = result.rejected.filter((row) => row.outcome === 'duplicate');
		expect(duplicates.map((row) => row.line)).toEqual([5]);
		expect(duplicates[0].reason).toMatch(/^Line 5: duplicate/);
		expect(duplicates[0].raw).toBe('dup@example.com,Second');
		// The local part is case-sensitive (RFC 5321), the domain is not: Dup@ is another address.
		expect((await subscriberByEmail(store, list.id, 'Dup@example.com'))?.name).toBe('Domain case');
	});

	test('createOnly adds new addresses and skips existing ones', async () => {
		const list = await seededList([{ email: 'exists@example.com', name: 'Keep' }]);
		const csv = 'email,name\nexists@example.com,Changed\nfresh@example.com,Fresh\n';
		const result = await importCsv(store, {
			source: { stream: streamOf(csv) },
			list: list.name,
			mode: 'createOnly',
		});
		expect(result.summary).toMatchObject({ rows: 2, created: 1, updated: 0, skipped: 1 });
		expect(result.rejected).toEqual([
			expect.objectContaining({ line: 2, email: 'exists@example.com', outcome: 'skipped-exists' }),
		]);
		expect((await subscriberByEmail(store, list.id, 'exists@example.com'))?.name).toBe('Keep');
	});

	test('updateOnly updates existing addresses and skips missing ones', async () => {
		const list = await seededList([{ email: 'exists@example.com', name: 'Before' }]);
		const csv = 'email,name\nexists@example.com,After\nmissing@example.com,Nobody\n';
		const result = await importCsv(store, {
			source: { stream: streamOf(csv) },
			list: list.name,
			mode: 'updateOnly',
		});
		expect(result.summary).toMatchObject({ rows: 2, created: 0, updated: 1, skipped: 1 });
		expect(result.rejected[0]).toMatchObject({ line: 3, outcome: 'skipped-missing' });
		expect((await subscriberByEmail(store, list.id, 'exists@example.com'))?.name).toBe('After');
		expect(await subscriberByEmail(store, list.id, 'missing@example.com')).toBeNull();
	});

	test('unsubscribe marks listed addresses unsubscribed; unknown ones are skipped', async () => {
		const list = await seededList([
			{ email: 'a@example.com' },
			{ email: 'b@example.com' },
			{ email: 'keep@example.com' },
		]);
		const csv = 'email\na@example.com\nb@example.com\nb@example.com\nnobody@example.com\n';
		const result = await importCsv(store, {
			source: { stream: streamOf(csv) },
			list: list.name,
			mode: 'unsubscribe',
		});
		expect(result.summary).toMatchObject({
			rows: 4,
			updated: 2,
			unchanged: 1,
			skipped: 1,
			invalid: 0,
		});
		expect(result.rejected).toEqual([
			expect.objectContaining({ line: 5, outcome: 'skipped-missing' }),
		]);
		expect((await subscriberByEmail(store, list.id, 'a@example.com'))?.status).toBe('unsubscribed');
		expect((await subscriberByEmail(store, list.id, 'keep@example.com'))?.status).toBe('active');
	});

	test('trash (delete listed) moves listed addresses to the trash', async () => {
		const list = await seededList([{ email: 'gone@example.com' }, { email: 'stay@example.com' }]);
		const result = await importCsv(store, {
			source: { stream: streamOf('email\ngone@example.com\n') },
			list: list.name,
			mode: 'trash',
		});
		expect(result.summary).toMatchObject({ rows: 1, updated: 1 });
		expect((await subscriberByEmail(store, list.id, 'gone@example.com'))?.status).toBe('trashed');
		expect((await subscriberByEmail(store, list.id, 'stay@example.com'))?.status).toBe('active');
	});

	test('suppress imports a suppression list: the addresses are never added afterwards', async () => {
		const list = await seededList([]);
		const result = await importCsv(store, {
			source: { stream: streamOf('email\nblocked1@example.org\nblocked2@example.org\n') },
			list: list.name,
			mode: 'suppress',
		});
		expect(result.summary).toMatchObject({ rows: 2, updated: 2, skipped: 0 });
		expect(await store.isSuppressed('blocked1@example.org')).toBe(true);

		const later = await importCsv(store, {
			source: { stream: streamOf('email,name\nblocked1@example.org,Back\nok@example.org,Ok\n') },
			list: list.name,
		});
		expect(later.summary).toMatchObject({ created: 1, skipped: 1 });
		expect(later.rejected[0]).toMatchObject({ line: 2, outcome: 'skipped-suppressed' });
		expect(later.rejected[0].reason).toMatch(/suppressed/);
		expect(await subscriberByEmail(store, list.id, 'blocked1@example.org')).toBeNull();
	});

	test('unsubscribed addresses are not reactivated unless allowReactivate is on', async () => {
		const list = await seededList([{ email: 'left@example.com', name: 'Left' }]);
		await importCsv(store, {
			source: { stream: streamOf('email\nleft@example.com\n') },
			list: list.name,
			mode: 'unsubscribe',
		});

		const plain = await importCsv(store, {
			source: { stream: streamOf('email,name\nleft@example.com,Left Again\n') },
			list: list.name,
		});
		expect(plain.summary.updated).toBe(1);
		const kept = await subscriberByEmail(store, list.id, 'left@example.com');
		expect(kept).toMatchObject({ status: 'unsubscribed', name: 'Left Again' });

		const consented = await importCsv(store, {
			source: { stream: streamOf('email,name\nleft@example.com,Left Again\n') },
			list: list.name,
			allowReactivate: true,
		});
		expect(consented.summary.updated).toBe(1);
		expect((await subscriberByEmail(store, list.id, 'left@example.com'))?.status).toBe('active');
	});

	test('dry run validates and counts without writing anything', async () => {
		const list = await seededList([]);
		const csv = 'email,name\na@example.com,A\nbroken,B\nc@example.com,C\n';
		const result = await importCsv(store, {
			source: { stream: streamOf(csv) },
			list: list.name,
			dryRun: true,
		});
		expect(result.summary).toMatchObject({
			dryRun: true,
			rows: 3,
			valid: 2,
			invalid: 1,
			created: 0,
			committedRows: 0,
		});
		expect(result.rejected[0]).toMatchObject({ line: 3, email: 'broken', outcome: 'invalid' });
		expect(await allSubscribers(store, list.id)).toHaveLength(0);
	});

	test('the target list is found by id or name, created on request, and a missing one is a clear error', async () => {
		const name = uniqueList('created');
		const missing = await expectImportError(
			importCsv(store, { source: { stream: streamOf('email\na@example.com\n') }, list: name }),
		);
		expect(missing.code).toBe('list-not-found');
		expect(missing.message).toContain(`'${name}' does not exist`);

		const dry = await importCsv(store, {
			source: { stream: streamOf('email\na@example.com\n') },
			list: name,
			createList: true,
			dryRun: true,
		});
		expect(dry.warnings.join(' ')).toContain('would create it');
		expect(await store.getList(name)).toBeNull();

		const created = await importCsv(store, {
			source: { stream: streamOf('email\na@example.com\n') },
			list: name,
			createList: true,
		});
		const list = await store.getList(name);
		expect(list).not.toBeNull();
		expect(created.summary.listId).toBe(list?.id);
		const byId = await importCsv(store, {
			source: { stream: streamOf('email\nb@example.com\n') },
			list: String(list?.id),
		});
		expect(byId.summary.created).toBe(1);
		expect(await allSubscribers(store, String(list?.id))).toHaveLength(2);
	});

	test('auto-mapped headers (Japanese and English) feed e-mail, name and custom fields; typed fields are checked', async () => {
		const list = await seededList([]);
		const csv =
			'メールアドレス,お名前,Age,Joined,VIP,Note\nkana@example.jp,仮名 太郎,33,2024/3/5,はい,first\n';
		const result = await importCsv(store, {
			source: { stream: streamOf(csv) },
			list: list.name,
			mapping: {
				fields: [
					{ column: 'age', type: 'number' },
					{ column: 'Joined', field: 'joinedOn', type: 'date' },
					{ column: 5, type: 'boolean' },
				],
			},
		});
		expect(result.summary.created).toBe(1);
		expect(result.detected?.mapping).toEqual({
			email: 1,
			name: 2,
			fields: [
				{ column: 3, field: 'Age', type: 'number' },
				{ column: 4, field: 'joinedOn', type: 'date' },
				{ column: 5, field: 'VIP', type: 'boolean' },
				{ column: 6, field: 'Note', type: 'string' },
			],
		});
		const subscriber = await subscriberByEmail(store, list.id, 'kana@example.jp');
		expect(subscriber).toMatchObject({
			name: '仮名 太郎',
			fields: { Age: 33, joinedOn: '2024-03-05', VIP: true, Note: 'first' },
		});
	});

	test('per-row problems are reported with line, content and reason while the good rows are imported', async () => {
		const list = await seededList([]);
		const result = await importCsv(store, {
			source: { stream: streamOf(readFileSync(`${__dirname}/../../fixtures/import/bad-rows.csv`)) },
			list: list.name,
			mapping: {
				fields: [
					{ column: 'age', type: 'number' },
					{ column: 'birthday', type: 'date' },
					{ column: 'vip', type: 'boolean' },
				],
			},
		});
		const byLine = Object.fromEntries(result.rejected.map((row) => [row.line, row]));
		expect(byLine[3].reason).toBe(
			"Line 3: 'not-an-email' is not a valid e-mail address (column 'email')",
		);
		expect(byLine[4].reason).toMatch(/e-mail address is empty/);
		expect(byLine[5].reason).toMatch(/column 'age': 'abc' is not a number/);
		expect(byLine[6].reason).toMatch(/column 'birthday': '1990-02-30' is not a valid date/);
		expect(byLine[7].reason).toMatch(/column 'vip': 'maybe' is not a yes\/no value/);
		expect(byLine[8].reason).toMatch(/found 3 columns where the header has 5/);
		expect(byLine[8].raw).toBe('ok7@example.com,Seven,42');
		expect(byLine[12]).toMatchObject({ outcome: 'duplicate', email: 'ok1@example.com' });
		expect(result.summary).toMatchObject({ rows: 10, created: 3, invalid: 6, duplicates: 1 });
		// A stray quote stays literal text (as Excel reads it) instead of swallowing the next rows.
		expect((await subscriberByEmail(store, list.id, 'ok8@example.com'))?.name).toBe('"Eight" x');
		expect(await subscriberByEmail(store, list.id, 'ok9@example.com')).toMatchObject({
			fields: { age: 1234.5, birthday: '1990-03-04', vip: false },
		});
		expect((await subscriberByEmail(store, list.id, 'ok1@example.com'))?.name).toBe('One');
	});
});
