/**
 * The Subscriber List node's Store resource through execute() with the strict n8n mock:
 * Back Up, Export Everything (one item per file, binary data, pairedItem), Erase List Entirely
 * (confirmation required), continueOnFail, and the PostgreSQL backup pointer.
 */
import { existsSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { IBinaryData, IDataObject } from 'n8n-workflow';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { SubscriberList } from '../../../nodes/SubscriberList/SubscriberList.node';
import { runNode } from '../../helpers/n8nMock';
import { PG_CONNECTION, storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor, addSubscribers } from './helpers';

jest.setTimeout(60_000);

const SQLITE_CREDENTIALS = { bulkMailSubscriberStoreApi: { backend: 'sqlite', file: 'test.sqlite' } };

function csvOf(binary: IBinaryData): Array<Record<string, string>> {
	return parse(Buffer.from(binary.data, 'base64'), { bom: true, columns: true }) as Array<Record<string, string>>;
}

describe('Subscriber List node, Store resource (SQLite)', () => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let newsletterId: string;
	const previousDir = process.env.BULK_MAIL_STORE_DIR;

	beforeEach(async () => {
		fixture = storeFixture('sqlite');
		process.env.BULK_MAIL_STORE_DIR = (fixture.config as { baseDir: string }).baseDir;
		store = await fixture.open();
		newsletterId = (await store.createList({ name: 'Newsletter' }, actor)).id;
		await addSubscribers(store, newsletterId, 5, 'news', (i) => ({ name: i === 0 ? '=1+1' : `Reader ${i}` }));
		const other = await store.createList({ name: 'Other' }, actor);
		await addSubscribers(store, other.id, 2, 'other');
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
		if (previousDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
		else process.env.BULK_MAIL_STORE_DIR = previousDir;
	});

	it('backs up the store file, keeping the number of backups asked for', async () => {
		let last: IDataObject = {};
		for (let run = 0; run < 3; run++) {
			const { output } = await runNode(new SubscriberList(), {
				parameters: { resource: 'store', operation: 'backup', keepBackups: 2 },
				credentials: SQLITE_CREDENTIALS,
			});
			expect(output[0]).toHaveLength(1);
			expect(output[0][0].pairedItem).toEqual({ item: 0 });
			last = output[0][0].json;
		}
		expect(last.file).toMatch(/backups\/test-\d{8}T\d{6}\.\d{3}Z\.sqlite$/);
		expect(existsSync(String(last.file))).toBe(true);
		expect(last.kept).toHaveLength(2);
		expect(last.deleted).toHaveLength(1);
		expect(Number(last.bytes)).toBeGreaterThan(0);
	});

	it('exports everything as one item per CSV file, each paired with its input item', async () => {
		const { output, mock } = await runNode(new SubscriberList(), {
			parameters: {
				resource: 'store',
				operation: 'exportAll',
				binaryPropertyName: 'file',
				exportAllOptions: { fileNamePrefix: 'acme-' },
			},
			credentials: SQLITE_CREDENTIALS,
		});
		const items = output[0];
		expect(items.map((item) => item.json.table)).toEqual(['lists', 'subscribers', 'suppressions', 'audit_log', 'campaigns', 'send_log', 'consents']);
		expect(items.map((item) => item.binary!.file.fileName)).toEqual([
			'acme-lists.csv',
			'acme-subscribers.csv',
			'acme-suppressions.csv',
			'acme-audit-log.csv',
			'acme-campaigns.csv',
			'acme-send-log.csv',
			'acme-consents.csv',
		]);
		for (const item of items) {
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.binary!.file.mimeType).toBe('text/csv');
			expect(csvOf(item.binary!.file)).toHaveLength(Number(item.json.rows));
		}
		expect(mock.preparedBinaries).toHaveLength(7);
		const subscribers = csvOf(items[1].binary!.file);
		expect(subscribers).toHaveLength(7);
		expect(subscribers.find((row) => row.email === 'news0@example.org')!.name).toBe("'=1+1");
		expect(items[0].json).toMatchObject({ rows: 2, fileName: 'acme-lists.csv' });
	});

	it('leaves the single-file Export resource as it was (the router change for several files)', async () => {
		const { output } = await runNode(new SubscriberList(), {
			parameters: { resource: 'export', operation: 'csv', filters: { list: 'Other' } },
			credentials: SQLITE_CREDENTIALS,
		});
		expect(output[0]).toHaveLength(1);
		expect(output[0][0]).toMatchObject({ json: { fileName: 'subscribers.csv', rows: 2 }, pairedItem: { item: 0 } });
		expect(csvOf(output[0][0].binary!.data).map((row) => row.email)).toEqual(['other0@example.org', 'other1@example.org']);
	});

	it('erases a list only when the operator confirms, and reports the counts', async () => {
		const refused = runNode(new SubscriberList(), {
			parameters: { resource: 'store', operation: 'eraseList', list: 'Newsletter' },
			credentials: SQLITE_CREDENTIALS,
		});
		await expect(refused).rejects.toThrow(
			'Item 1: Erasing a list cannot be undone: turn on "I Understand This Cannot Be Undone" to go ahead',
		);
		expect(await store.countSubscribers({ listId: newsletterId })).toBe(5);

		const { output } = await runNode(new SubscriberList(), {
			parameters: { resource: 'store', operation: 'eraseList', list: 'Newsletter', confirmErase: true, eraseOptions: { compact: true } },
			credentials: SQLITE_CREDENTIALS,
			workflow: { id: 'wf-9', name: 'Offboarding' },
		});
		expect(output[0]).toHaveLength(1);
		expect(output[0][0].json).toMatchObject({
			listId: newsletterId,
			name: 'Newsletter',
			subscribersErased: 5,
			suppressionsAdded: 5,
			compacted: true,
			walCheckpointed: true,
		});
		expect(await store.getList(newsletterId)).toBeNull();
		expect(await store.isSuppressed('news3@example.org')).toBe(true);
		const audit = await store.getAuditLog({ action: 'list.erase' }, { limit: 5 });
		expect(audit.items[0].actor).toMatchObject({ type: 'n8n', id: 'wf-9/exec-1', name: 'Offboarding / Subscriber List' });
	});

	it('with continueOnFail, a bad item becomes an error item and the others go on', async () => {
		const { output } = await runNode(new SubscriberList(), {
			parameters: { resource: 'store', operation: 'eraseList', list: '={{ $json.list }}', confirmErase: true },
			items: [{ json: { list: 'No such list' } }, { json: { list: 'Other' } }],
			credentials: SQLITE_CREDENTIALS,
			continueOnFail: true,
		});
		expect(output[0]).toHaveLength(2);
		expect(output[0][0]).toEqual({ json: { error: "Item 1: There is no list named or numbered 'No such list'" }, pairedItem: { item: 0 } });
		expect(output[0][1]).toMatchObject({ json: { name: 'Other', subscribersErased: 2 }, pairedItem: { item: 1 } });
	});
});

describe('Subscriber List node, Store resource (PostgreSQL)', () => {
	it('answers Back Up with the pg_dump command', async () => {
		const fixture = storeFixture('postgres');
		const schema = (fixture.config as { schema: string }).schema;
		try {
			const { output } = await runNode(new SubscriberList(), {
				parameters: { resource: 'store', operation: 'backup' },
				credentials: { bulkMailSubscriberStoreApi: { backend: 'postgres', ...PG_CONNECTION, schema } },
				continueOnFail: true,
			});
			expect(String(output[0][0].json.error)).toContain(
				`Item 1: This store is on PostgreSQL; back it up with PostgreSQL's own tools, e.g. pg_dump --format=custom --schema=${schema}`,
			);
		} finally {
			await fixture.cleanup();
		}
	});
});
