/**
 * Export everything a customer owns, one CSV per table, on both backends: contents, formula
 * neutralisation, keyset paging over small pages, row counts, and stores without campaign tables.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createCampaign } from '../../../lib/campaign';
import { exportEverythingToFolder, portableCsv, portableFiles, type ExportedFile } from '../../../lib/ops';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor } from './helpers';
import { NEWSLETTER_PEOPLE, OTHER_PERSON, SPAM_TRAP, seedCustomer, type Customer } from './customer';

jest.setTimeout(60_000);

type Row = Record<string, string>;

function readCsv(file: string): { bom: boolean; rows: Row[] } {
	const bytes = readFileSync(file);
	return { bom: bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), rows: parse(bytes, { bom: true, columns: true }) as Row[] };
}

describe.each(BACKENDS)('export everything on %s', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let customer: Customer;
	let folder: string;

	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
		customer = await seedCustomer(store);
		folder = mkdtempSync(path.join(tmpdir(), 'bulk-mail-export-'));
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
		rmSync(folder, { recursive: true, force: true });
	});

	it('writes lists, subscribers of every status, suppressions, audit log, campaigns and send log', async () => {
		// Small pages, so every file is read over several keyset pages.
		const files = await exportEverythingToFolder(store, folder, { pageSize: 2, fileNamePrefix: 'acme-' });
		const byTable = new Map<string, ExportedFile>(files.map((file) => [file.table, file]));
		expect(files.map((file) => path.basename(file.file))).toEqual([
			'acme-lists.csv',
			'acme-subscribers.csv',
			'acme-suppressions.csv',
			'acme-audit-log.csv',
			'acme-campaigns.csv',
			'acme-send-log.csv',
			'acme-consents.csv',
		]);
		const read = (table: string) => {
			const csv = readCsv(byTable.get(table)!.file);
			expect(csv.bom).toBe(true);
			// The row count reported is the number of data rows in the file.
			expect(byTable.get(table)!.rows).toBe(csv.rows.length);
			return csv.rows;
		};

		const lists = read('lists');
		expect(lists.map((row) => [row.id, row.name, row.description, row.subscribers])).toEqual([
			[customer.newsletterId, 'Newsletter', 'Monthly news', String(NEWSLETTER_PEOPLE.length)],
			[customer.customersId, 'Customers', '', '1'],
		]);

		const subscribers = read('subscribers');
		expect(subscribers).toHaveLength(NEWSLETTER_PEOPLE.length + 1);
		const statusOf = new Map(subscribers.map((row) => [row.email, row.status]));
		expect(statusOf.get('carol.quit@example.org')).toBe('unsubscribed');
		expect(statusOf.get('dave.trash@example.org')).toBe('trashed');
		expect(statusOf.get('bounce.me@example.org')).toBe('bounced');
		expect(statusOf.get(OTHER_PERSON.email)).toBe('active');
		const erinId = customer.ids.get('erin.erased@example.org')!;
		expect(statusOf.get(`erased-${erinId}@erased.invalid`)).toBe('trashed');
		expect(subscribers.some((row) => row.email === 'erin.erased@example.org')).toBe(false);
		// Cells a spreadsheet would run as formulas start with an apostrophe.
		const bob = subscribers.find((row) => row.email === 'bob.formula@example.org')!;
		expect(bob.name).toBe('\'=HYPERLINK("http://evil.example","Bob")');
		expect(JSON.parse(bob.fields)).toEqual({ note: '@SUM(A1:A2)' });
		const alice = subscribers.find((row) => row.email === 'alice.anders@example.org')!;
		expect(JSON.parse(alice.fields)).toEqual({ city: 'Osaka', phone: '+81 6 1234 5678' });
		expect(subscribers.find((row) => row.email === 'bounce.me@example.org')!.last_error).toContain('5.1.1');

		const suppressions = read('suppressions');
		expect(suppressions.map((row) => row.email).sort()).toEqual(['', 'alice.anders@example.org', SPAM_TRAP].sort());
		expect(suppressions.find((row) => row.email === SPAM_TRAP)).toMatchObject({ hash: store.hashEmail(SPAM_TRAP), reason: 'spam-trap', source: 'manual' });
		// The erased address: only its hash, no address.
		expect(suppressions.find((row) => row.email === '')).toMatchObject({ hash: store.hashEmail('erin.erased@example.org'), reason: 'erased' });
		for (const row of suppressions) expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);

		const audit = read('audit_log');
		const all = await store.getAuditLog({}, { limit: 10_000 });
		expect(audit.map((row) => row.id)).toEqual(all.items.map((entry) => entry.id));
		const actions = audit.map((row) => row.action);
		for (const action of ['list.create', 'subscriber.create', 'subscriber.status', 'subscriber.erase', 'suppression.add', 'campaign.create', 'campaign.start', 'delivery.hard']) {
			expect(actions).toContain(action);
		}
		expect(JSON.parse(audit[0].actor)).toEqual({ type: 'test', id: 'ops-tests' });

		const campaigns = read('campaigns');
		expect(campaigns).toHaveLength(1);
		expect(campaigns[0]).toMatchObject({ id: customer.campaignId, name: 'November news', list_id: customer.newsletterId, status: 'finished', sent: '1', failed: '1' });
		expect(JSON.parse(campaigns[0].template)).toMatchObject({ spec: { subject: 'News for {{ name }}' } });

		const sendLog = read('send_log');
		const states = new Map(sendLog.map((row) => [row.subscriber_id, row]));
		expect(states.get(customer.ids.get('bob.formula@example.org')!)!.state).toBe('sent');
		expect(states.get(customer.ids.get('bob.formula@example.org')!)!.message_id).toMatch(/^<.+@sender\.example>$/);
		expect(states.get(customer.ids.get('bounce.me@example.org')!)).toMatchObject({ state: 'failed', response_code: '550' });
		expect(states.get(customer.ids.get('alice.anders@example.org')!)!.state).toBe('skipped');
		expect(sendLog.every((row) => row.campaign_id === customer.campaignId)).toBe(true);
	});

	it('pages the send log by (campaign, subscriber) without gaps or repeats', async () => {
		// A second campaign with hand-written log rows, interleaving subscriber ids with the first.
		const second = await createCampaign(
			store,
			{ name: 'Second', listId: customer.newsletterId, template: { subject: 'x', html: '<p>x</p>', from: 'a@sender.example' } },
			actor,
		);
		for (let id = 1; id <= 7; id++) {
			await store.sql.run('INSERT INTO send_log (campaign_id, subscriber_id, state, attempts, updated_at) VALUES (?, ?, ?, 0, ?)', [
				second.id,
				id,
				'queued',
				new Date().toISOString(),
			]);
		}
		const expected = await store.sql.all('SELECT campaign_id, subscriber_id FROM send_log ORDER BY campaign_id, subscriber_id');
		for (const pageSize of [1, 2, 3, 1000]) {
			const csv = await portableCsv(store, 'send_log', { pageSize, bom: false });
			const text = (await csv.stream.toArray()).join('');
			const rows = parse(text, { columns: true }) as Row[];
			expect(rows.map((row) => `${row.campaign_id}/${row.subscriber_id}`)).toEqual(
				expected.map((row) => `${String(row.campaign_id)}/${String(row.subscriber_id)}`),
			);
			expect(csv.rows()).toBe(expected.length);
			expect(text.charCodeAt(0)).not.toBe(0xfeff);
		}
	});

	it('leaves out the campaign files when the store has no campaign tables', async () => {
		await store.sql.exec('DROP TABLE send_log');
		await store.sql.exec('DROP TABLE campaigns');
		await store.sql.exec('DROP TABLE consents');
		const files = await portableFiles(store);
		expect(files.map((file) => file.fileName)).toEqual(['lists.csv', 'subscribers.csv', 'suppressions.csv', 'audit-log.csv']);
		const written = await exportEverythingToFolder(store, folder);
		expect(written.map((file) => file.table)).toEqual(['lists', 'subscribers', 'suppressions', 'audit_log']);
		await expect(portableCsv(store, 'campaigns')).rejects.toThrow('This store has no campaigns table to export');
	});
});
