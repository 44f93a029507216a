/**
 * Campaign reports in a real n8n 2.40.7, on both store backends: Bulk Send's Get Report (figures,
 * the HTML report as a binary, the mail table, a signed report URL), Compare (one item per
 * campaign), their item errors on the error output (unknown campaign, unknown time zone), and the
 * Bounce Webhook Trigger serving the report URL (good token → 200 with safe headers; tampered →
 * 403; expired → 410; unknown campaign or another store's link → 404).
 */
import path from 'node:path';
import { LinkSigner, openStore, type SqlSubscriberStore, type StoreConfig } from '../../lib/store';
import { signReportLink, storeTag } from '../../lib/webhook';
import { seedReportCampaign, type SeededReportCampaign } from '../helpers/reportCampaign';
import { freePort } from '../helpers/services';
import { BACKENDS, PG_CONNECTION, storeFixture, type Backend } from '../helpers/stores';
import { bounceWorkflow, registerBounceWebhook } from './bounceWebhookHelpers';
import { createN8nInstance, storedBinary, type ExecutionResult, type N8nInstance, type WorkflowInput, type WorkflowNode } from './harness';

jest.setTimeout(600_000);

const PKG = 'n8n-nodes-bulk-mail';
const LINK_SECRET = 'report-link-secret-for-the-n8n-test';
const SETUPS = {
	sqlite: { credential: 'storeRepSqlite', hook: '6c1d3f0e-18aa-4c55-9d7e-2f0b4c3e9a01', language: 'ja' },
	postgres: { credential: 'storeRepPg', hook: '6c1d3f0e-18aa-4c55-9d7e-2f0b4c3e9a02', language: 'auto' },
} as const;

let n8n: N8nInstance;
let port: number;
let result: ExecutionResult;
const pgFixture = storeFixture('postgres');
const stores: Partial<Record<Backend, SqlSubscriberStore>> = {};
const campaigns: Partial<Record<Backend, [SeededReportCampaign, SeededReportCampaign]>> = {};
const configs: Partial<Record<Backend, StoreConfig>> = {};

const hookBase = (backend: Backend) => `http://127.0.0.1:${port}/webhook/${SETUPS[backend].hook}`;

function credentialsFor(backend: Backend): WorkflowNode['credentials'] {
	return {
		bulkMailSmtpApi: { id: 'smtpRep1', name: 'Unused SMTP' },
		bulkMailSubscriberStoreApi: { id: SETUPS[backend].credential, name: SETUPS[backend].credential },
	};
}

function bulkSend(name: string, backend: Backend, parameters: Record<string, unknown>, y: number): WorkflowNode {
	return {
		id: name.replace(/\W/g, ''),
		name,
		type: `${PKG}.bulkSend`,
		typeVersion: 1,
		position: [300, y],
		parameters: { resource: 'campaign', ...parameters },
		credentials: credentialsFor(backend),
		onError: 'continueErrorOutput',
	};
}

const locator = (id: string) => ({ __rl: true, mode: 'id', value: id });

function reportWorkflow(): WorkflowInput {
	const nodes: WorkflowNode[] = [{ id: 'manual', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }];
	let y = 0;
	for (const backend of BACKENDS) {
		const [first, second] = campaigns[backend]!;
		nodes.push(
			bulkSend(`Get Report ${backend}`, backend, {
				operation: 'getReport',
				campaignId: locator(first.campaignId),
				reportOptions: { attachHtml: true, mailTable: true, language: 'ja', timeZone: 'Asia/Tokyo', topDomains: 5, linkDays: 7 },
			}, (y += 200)),
			bulkSend(`Compare ${backend}`, backend, { operation: 'compare', campaignIds: [first.campaignId, second.campaignId] }, (y += 200)),
			bulkSend(`Unknown Campaign ${backend}`, backend, { operation: 'getReport', campaignId: locator('987654') }, (y += 200)),
			bulkSend(`Bad Zone ${backend}`, backend, { operation: 'getReport', campaignId: locator(first.campaignId), reportOptions: { timeZone: 'Mars/Olympus_Mons' } }, (y += 200)),
		);
	}
	const targets = nodes.slice(1).map((node) => ({ node: node.name, type: 'main', index: 0 }));
	return { id: 'wfReports1', name: 'Reports', nodes, connections: { Start: { main: [targets] } }, settings: { executionOrder: 'v1' } };
}

beforeAll(async () => {
	port = await freePort();
	n8n = await createN8nInstance({ dbType: 'sqlite' });
	registerBounceWebhook(n8n);
	configs.sqlite = { backend: 'sqlite', file: 'reports.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') };
	configs.postgres = pgFixture.config;
	const schema = (pgFixture.config as { schema: string }).schema;
	for (const backend of BACKENDS) {
		const store = (stores[backend] = await openStore(configs[backend]!));
		campaigns[backend] = [
			await seedReportCampaign(store, { recipients: 1500, allowInsecureHttp: true }),
			await seedReportCampaign(store, { recipients: 600, name: 'Year-end notice / 年末のお知らせ', start: new Date('2026-12-02T03:00:00Z') }),
		];
	}
	await n8n.importCredentials([
		{ id: 'smtpRep1', name: 'Unused SMTP', type: 'bulkMailSmtpApi', data: { host: '127.0.0.1', port: 9, security: 'none', allowPlain: true } },
		{
			id: SETUPS.sqlite.credential,
			name: SETUPS.sqlite.credential,
			type: 'bulkMailSubscriberStoreApi',
			data: { backend: 'sqlite', file: 'reports.sqlite', signingSecret: LINK_SECRET, publicBaseUrl: hookBase('sqlite') },
		},
		{
			id: SETUPS.postgres.credential,
			name: SETUPS.postgres.credential,
			type: 'bulkMailSubscriberStoreApi',
			data: { backend: 'postgres', ...PG_CONNECTION, ssl: 'disable', schema, signingSecret: LINK_SECRET, publicBaseUrl: hookBase('postgres') },
		},
		{ id: 'bounceCred1', name: 'bounceCred1', type: 'bulkMailBounceWebhookApi', data: { genericSecret: 'generic-secret-for-reports' } },
	]);
	const workflow = reportWorkflow();
	const triggers = bounceWorkflow(
		'wfReportHooks',
		BACKENDS.map((backend) => ({
			name: `Report Pages ${backend}`,
			webhookId: SETUPS[backend].hook,
			provider: 'generic',
			storeCredential: SETUPS[backend].credential,
			options: { pageLanguage: SETUPS[backend].language },
		})),
	);
	await n8n.importWorkflow([workflow, triggers]);
	result = await n8n.execute(workflow.id);
	await n8n.publish(triggers.id);
	await n8n.start({ port });
	for (const backend of BACKENDS) await n8n.waitForWebhook(`${SETUPS[backend].hook}/events`, { method: 'POST' });
});

afterAll(async () => {
	for (const store of Object.values(stores)) await store?.close();
	await n8n?.cleanup();
	await pgFixture.cleanup();
});

describe.each(BACKENDS)('campaign reports in real n8n (%s store)', (backend: Backend) => {
	const signer = new LinkSigner(LINK_SECRET);

	it('Get Report returns one item with the figures, the HTML report, the mail table and a report URL', async () => {
		const items = result.items(`Get Report ${backend}`);
		expect(items).toHaveLength(1);
		const [item] = items;
		expect(item.pairedItem).toEqual({ item: 0 });
		const json = item.json as Record<string, any>;
		const seeded = campaigns[backend]![0];
		const direct = await stores[backend]!.getCampaignReport(seeded.campaignId, { timeZone: 'Asia/Tokyo', topDomains: 5 });
		expect(json.campaignId).toBe(seeded.campaignId);
		expect(json.recipients).toBe(1500);
		expect(json.sent).toBe(direct.sent);
		expect(json.bounced).toEqual(direct.bounced);
		expect(json.uniqueOpens).toEqual(direct.uniqueOpens);
		expect(json.uniqueOpens.unknown).toBeGreaterThan(0);
		expect(json.uniqueOpens.machine).toBeGreaterThan(0);
		expect(json.links).toEqual(direct.links);
		expect(json.domains).toHaveLength(5);
		expect(json.timeSeries.timeZone).toBe('Asia/Tokyo');
		expect(json.timeSeries.buckets.length).toBeGreaterThan(24);
		expect(json.rates.openRate).toBeGreaterThan(0.2);
		expect(json.mailHtml).toContain('<table');
		expect(json.mailHtml).not.toContain('<svg');
		expect(json.addresses).toBeUndefined();
		expect(json.reportUrl).toMatch(new RegExp(`^${hookBase(backend)}/report\\?t=`));
		expect(Date.parse(json.reportUrlExpiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);

		const binary = item.binary?.report;
		expect(binary?.mimeType).toBe('text/html');
		expect(binary?.fileName).toBe(`campaign-${seeded.campaignId}-report.html`);
		const html = binary?.data && binary.data !== 'filesystem-v2' ? Buffer.from(binary.data, 'base64').toString('utf8') : storedBinary(n8n.userFolder, String(binary?.id)).toString('utf8');
		expect(html).toContain('<html lang="ja">');
		expect(html).toContain('<svg');
		expect(html).not.toMatch(/<script|(src|href)="https?:/i);
		expect(html).not.toMatch(/reader\d{5}@/);
	});

	it('Compare returns one item per campaign with the headline rates', () => {
		const rows = result.json(`Compare ${backend}`);
		expect(rows.map((row) => row.campaignId)).toEqual(campaigns[backend]!.map((c) => c.campaignId));
		expect(rows[1].campaignName).toBe('Year-end notice / 年末のお知らせ');
		for (const row of rows) {
			for (const rate of ['deliveryRate', 'openRate', 'clickRate', 'bounceRate', 'unsubscribeRate', 'complaintRate', 'clickToOpenRate']) {
				expect(typeof row[rate]).toBe('number');
			}
		}
		expect(result.items(`Compare ${backend}`).every((item) => JSON.stringify(item.pairedItem) === '{"item":0}')).toBe(true);
	});

	it('puts an unknown campaign and an unknown time zone on the error output, saying which', () => {
		const unknown = result.json(`Unknown Campaign ${backend}`, { output: 2 });
		expect(unknown).toHaveLength(1);
		expect(String(unknown[0].error)).toMatch(/^Item 1: .*987654/);
		const zone = result.json(`Bad Zone ${backend}`, { output: 2 });
		expect(String(zone[0].error)).toMatch(/Item 1: Unknown time zone 'Mars\/Olympus_Mons'/);
		expect(JSON.stringify([unknown, zone])).not.toMatch(/\n\s+at /);
	});

	it('the Bounce Webhook serves the report URL read-only, with safe headers', async () => {
		const url = String(result.json(`Get Report ${backend}`)[0].reportUrl);
		const response = await fetch(url, { headers: { 'accept-language': 'en' } });
		expect(response.status).toBe(200);
		expect(response.headers.get('x-robots-tag')).toBe('noindex, nofollow');
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(response.headers.get('referrer-policy')).toBe('no-referrer');
		expect(response.headers.get('cache-control')).toContain('no-store');
		expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
		const html = await response.text();
		// sqlite's trigger is set to Japanese pages, postgres' follows the browser (English here)
		expect(html).toContain(`<html lang="${backend === 'sqlite' ? 'ja' : 'en'}">`);
		expect(html).toContain('Winter sale 2026');
		expect(html).not.toMatch(/reader\d{5}@/);
	});

	it('refuses tampered (403), expired (410), unknown-campaign and other-store (404) links without a stack trace', async () => {
		const url = String(result.json(`Get Report ${backend}`)[0].reportUrl);
		const base = `${hookBase(backend)}/report?t=`;
		const sign = (campaignId: string, days: number, tag = storeTag(configs[backend]!)) =>
			base + signReportLink(signer, { campaignId, storeTag: tag, expiresAt: Math.floor(Date.now() / 1000) + days * 86_400 });
		const cases: Array<[string, number, RegExp]> = [
			[url.slice(0, -4) + (url.endsWith('AAAA') ? 'BBBB' : 'AAAA'), 403, /not valid|無効/],
			[sign(campaigns[backend]![0].campaignId, -1), 410, /expired|有効期限/],
			[sign('987654', 7), 404, /not available|表示できません/],
			[sign(campaigns[backend]![0].campaignId, 7, 'another-store'), 404, /not available|表示できません/],
		];
		for (const [target, status, text] of cases) {
			const response = await fetch(target);
			const body = await response.text();
			expect([target, response.status]).toEqual([target, status]);
			expect(body).toMatch(text);
			expect(body).not.toMatch(/Winter sale|\bat \w+ \(|Error:/);
			expect(response.headers.get('x-robots-tag')).toBe('noindex, nofollow');
		}
	});
});
