/**
 * Bulk Send's report operations through execute() with the strict IExecuteFunctions mock, on a real
 * SQLite store with a seeded campaign: Get Report (figures, report URL or why there is none,
 * addresses only on request, HTML binary), Compare (IDs as a list or one comma-separated string),
 * Get Many (statuses, finished after) and the item errors they give for bad input.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { LinkSigner, openStore, type SqlSubscriberStore } from '../../lib/store';
import { verifyReportLink } from '../../lib/webhook';
import { BulkSend } from '../../nodes/BulkSend/BulkSend.node';
import { campaignIdsOf } from '../../nodes/BulkSend/actions/campaign/compare.operation';
import { expectNodeError, runNode } from '../helpers/n8nMock';
import { seedReportCampaign, type SeededReportCampaign } from '../helpers/reportCampaign';

jest.setTimeout(60_000);

const SECRET = 'bulk-send-report-secret-0123456789';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
const SMTP: ICredentialDataDecryptedObject = { host: '127.0.0.1', port: 9, security: 'none', allowPlain: true };

let storeDir: string;
let store: SqlSubscriberStore;
let first: SeededReportCampaign;
let second: SeededReportCampaign;
const FILE = 'reports.sqlite';

function run(parameters: IDataObject, storeData: IDataObject = {}, options: { continueOnFail?: boolean } = {}) {
	return runNode(new BulkSend(), {
		credentials: {
			bulkMailSmtpApi: SMTP,
			bulkMailSubscriberStoreApi: { backend: 'sqlite', file: FILE, publicBaseUrl: BASE_URL, signingSecret: SECRET, ...storeData },
		},
		parameters: { resource: 'campaign', ...parameters },
		...options,
	});
}


beforeAll(async () => {
	storeDir = mkdtempSync(path.join(tmpdir(), 'bulk-send-reports-'));
	store = await openStore({ backend: 'sqlite', file: FILE, baseDir: storeDir });
	first = await seedReportCampaign(store, { recipients: 400, start: new Date(Date.now() - 3 * 3_600_000) });
	second = await seedReportCampaign(store, { recipients: 200, name: 'Older', start: new Date('2026-01-10T00:00:00Z') });
	process.env.BULK_MAIL_STORE_DIR = storeDir;
});

afterAll(async () => {
	await store.close();
	delete process.env.BULK_MAIL_STORE_DIR;
	rmSync(storeDir, { recursive: true, force: true });
});

describe('Get Report', () => {
	it('returns the figures, a verifying report URL, and no addresses unless asked', async () => {
		const { output } = await run({ operation: 'getReport', campaignId: first.campaignId, reportOptions: { timeZone: 'Asia/Tokyo', linkDays: 2 } });
		expect(output[0]).toHaveLength(1);
		const { json, pairedItem, binary } = output[0][0];
		expect(pairedItem).toEqual({ item: 0 });
		expect(binary).toBeUndefined();
		expect(json).toMatchObject({ campaignId: first.campaignId, recipients: 400, timeSeries: { timeZone: 'Asia/Tokyo' } });
		expect(json.addresses).toBeUndefined();
		expect(json.mailHtml).toBeUndefined();
		const url = new URL(String(json.reportUrl));
		expect(`${url.origin}${url.pathname}`).toBe(`${BASE_URL}/report`);
		const verified = verifyReportLink(new LinkSigner(SECRET), url.searchParams.get('t'));
		expect(verified).toMatchObject({ ok: true, claims: { campaignId: first.campaignId, timeZone: 'Asia/Tokyo' } });
		const days = (Date.parse(String(json.reportUrlExpiresAt)) - Date.now()) / 86_400_000;
		expect(days).toBeGreaterThan(1.99);
		expect(days).toBeLessThan(2.01);
	});

	it('says why there is no report URL when the store credential has no base URL', async () => {
		const { output } = await run({ operation: 'getReport', campaignId: first.campaignId }, { publicBaseUrl: '' });
		expect(output[0][0].json.reportUrl).toBeNull();
		expect(String(output[0][0].json.reportUrlNote)).toMatch(/public base URL/);
	});

	it('adds the HTML file, the mail table and the addresses when asked', async () => {
		const { output } = await run({
			operation: 'getReport',
			campaignId: first.campaignId,
			reportOptions: { attachHtml: true, binaryPropertyName: 'file', mailTable: true, includeAddresses: true, language: 'ja', linkDays: 0 },
		});
		const { json, binary } = output[0][0];
		expect(json.reportUrl).toBeUndefined();
		expect(binary?.file).toMatchObject({ mimeType: 'text/html', fileName: `campaign-${first.campaignId}-report.html` });
		const html = Buffer.from(String(binary!.file.data), 'base64').toString('utf8');
		expect(html).toContain('<html lang="ja">');
		expect(String(json.mailHtml)).toContain('<table');
		const addresses = json.addresses as { bounced: string[]; unsubscribed: string[]; truncated: boolean };
		expect(addresses.bounced.length).toBe((json.bounced as { total: number }).total);
		expect(addresses.unsubscribed.length).toBe(json.unsubscribes);
		expect(addresses.bounced.every((email) => /^reader\d{5}@/.test(email))).toBe(true);
		expect(addresses.truncated).toBe(false);
	});

	it('names the item and the problem: unknown campaign, unknown time zone, bad top domains', async () => {
		const unknown = await expectNodeError(run({ operation: 'getReport', campaignId: '987654' }));
		expect(unknown.message).toBe("Item 1: there is no campaign with ID '987654'");
		const zone = await expectNodeError(run({ operation: 'getReport', campaignId: first.campaignId, reportOptions: { timeZone: 'Asia/Atlantis' } }));
		expect(zone.message).toMatch(/^Item 1: Unknown time zone 'Asia\/Atlantis'/);
		expect(zone.description).toMatch(/Time Zone/);
		const top = await expectNodeError(run({ operation: 'getReport', campaignId: first.campaignId, reportOptions: { topDomains: 5000 } }));
		expect(top.message).toMatch(/^Item 1: topDomains must be a whole number from 1 to 1000/);
	});

	it('continues on fail with an error item for that input item', async () => {
		const { output } = await run({ operation: 'getReport', campaignId: '987654' }, {}, { continueOnFail: true });
		expect(output[0]).toEqual([{ json: { error: "Item 1: there is no campaign with ID '987654'" }, pairedItem: { item: 0 } }]);
	});
});

describe('Compare', () => {
	it('reads IDs from a list or one string, removing repeats', () => {
		expect(campaignIdsOf(['3', ' 4 ', '3'])).toEqual(['3', '4']);
		expect(campaignIdsOf('3, 4\n5')).toEqual(['3', '4', '5']);
		expect(campaignIdsOf('')).toEqual([]);
	});

	it('returns one item per campaign, in the order given, with the headline rates', async () => {
		const { output } = await run({ operation: 'compare', campaignIds: `${second.campaignId},${first.campaignId}` });
		expect(output[0].map((entry) => entry.json.campaignId)).toEqual([second.campaignId, first.campaignId]);
		for (const { json } of output[0]) {
			expect(typeof json.openRate).toBe('number');
			expect(typeof json.deliveryRate).toBe('number');
		}
	});

	it('refuses an empty choice and an unknown campaign, naming them', async () => {
		expect((await expectNodeError(run({ operation: 'compare', campaignIds: [] }))).message).toBe('Item 1: no campaign to compare is given');
		const unknown = await expectNodeError(run({ operation: 'compare', campaignIds: [first.campaignId, '987654'] }));
		expect(unknown.message).toMatch(/^Item 1: .*'987654'/);
	});
});

describe('Get Many', () => {
	it('filters by status and by finish time', async () => {
		const all = await run({ operation: 'getMany', returnAll: true });
		expect(all.output[0].map((entry) => entry.json.id)).toEqual([first.campaignId, second.campaignId]);
		const recent = await run({
			operation: 'getMany',
			returnAll: true,
			campaignFilters: { statuses: ['finished'], finishedAfter: new Date(Date.now() - 86_400_000).toISOString() },
		});
		expect(recent.output[0].map((entry) => entry.json.id)).toEqual([first.campaignId]);
		expect(recent.output[0][0].json.template).toBeUndefined();
		const drafts = await run({ operation: 'getMany', returnAll: true, campaignFilters: { statuses: ['draft'] } });
		expect(drafts.output[0]).toEqual([]);
	});

	it('refuses a finish time that is not a time', async () => {
		const error = await expectNodeError(run({ operation: 'getMany', returnAll: true, campaignFilters: { finishedAfter: 'yesterday-ish' } }));
		expect(error.message).toBe("Item 1: 'Finished After' is not a date and time: 'yesterday-ish'");
	});
});
