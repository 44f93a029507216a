/**
 * The report URL served by a real n8n 2.40.7 (Bounce Webhook Trigger, published, `n8n start`) in
 * Debian's chromium: a seeded campaign with realistic numbers (3,000 recipients, opens and clicks
 * over two days, bounces of five reasons) on the embedded SQLite store. Fails on a console error
 * or warning, a page error, any request other than the report URL itself, missing charts, or a page
 * wider than the phone's viewport; an expired link shows its page, not a stack trace. Screenshots
 * go to docs/screenshots/report-url-*.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { LinkSigner, openStore, type SqlSubscriberStore, type StoreConfig } from '../../lib/store';
import { reportLinkUrl, signReportLink, storeTag } from '../../lib/webhook';
import { seedReportCampaign, type SeededReportCampaign } from '../helpers/reportCampaign';
import { CHROMIUM_ARGS, chromiumPath, freePort } from '../helpers/services';
import { watchedPage } from '../helpers/watchedPage';
import { bounceWorkflow, registerBounceWebhook } from './bounceWebhookHelpers';
import { createN8nInstance, type N8nInstance } from './harness';

jest.setTimeout(600_000);

const SCREENSHOTS = path.resolve(__dirname, '../../docs/screenshots');
const LINK_SECRET = 'report-link-secret-for-the-browser-test';
const HOOK = '7a2e4c1b-5d3f-4e6a-9b8c-1f0e2d3c4b5a';
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

let n8n: N8nInstance;
let browser: Browser;
let store: SqlSubscriberStore;
let seeded: SeededReportCampaign;
let config: StoreConfig;
let base: string;
const signer = new LinkSigner(LINK_SECRET);

const link = (days = 7) =>
	reportLinkUrl(
		base,
		signReportLink(signer, { campaignId: seeded.campaignId, storeTag: storeTag(config), expiresAt: Math.floor(Date.now() / 1000) + days * 86_400, timeZone: 'Asia/Tokyo' }),
	);

beforeAll(async () => {
	const port = await freePort();
	base = `http://127.0.0.1:${port}/webhook/${HOOK}`;
	n8n = await createN8nInstance({ dbType: 'sqlite' });
	registerBounceWebhook(n8n);
	config = { backend: 'sqlite', file: 'reports.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') };
	store = await openStore(config);
	seeded = await seedReportCampaign(store, { recipients: 3000 });
	await n8n.importCredentials([
		{ id: 'storeRep1', name: 'storeRep1', type: 'bulkMailSubscriberStoreApi', data: { backend: 'sqlite', file: 'reports.sqlite', signingSecret: LINK_SECRET, publicBaseUrl: base } },
		{ id: 'bounceCred1', name: 'bounceCred1', type: 'bulkMailBounceWebhookApi', data: { genericSecret: 'generic-secret-for-reports' } },
	]);
	const workflow = bounceWorkflow('wfReportPages', [{ name: 'Report Pages', webhookId: HOOK, provider: 'generic', storeCredential: 'storeRep1' }]);
	await n8n.importWorkflow(workflow);
	await n8n.publish(workflow.id);
	await n8n.start({ port });
	await n8n.waitForWebhook(`${HOOK}/events`, { method: 'POST' });
	browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
	mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
	await browser?.close();
	await store?.close();
	await n8n?.cleanup();
});

const cases = (['en', 'ja'] as const).flatMap((language) => (['desktop', 'phone'] as const).map((device) => [language, device] as const));

it.each(cases)('the report URL in %s at %s width', async (language, device) => {
	const viewport = VIEWPORTS[device];
	// the trigger's page language is "auto": the browser's language decides
	const { context, page, problems, requests } = await watchedPage(browser, { viewport, locale: language === 'ja' ? 'ja-JP' : 'en-US', deviceScaleFactor: device === 'phone' ? 2 : 1 });
	try {
		const url = link();
		const response = await page.goto(url, { waitUntil: 'load' });
		expect(response?.status()).toBe(200);
		expect(response?.headers()['x-robots-tag']).toBe('noindex, nofollow');
		expect(await page.locator('html').getAttribute('lang')).toBe(language);
		expect(await page.locator('h1').textContent()).toContain('冬のセール');

		const charts = page.locator('.chart svg >> visible=true');
		expect(await charts.count()).toBe(2);
		const chartBox = await charts.first().boundingBox();
		expect(chartBox!.width).toBeLessThanOrEqual(viewport.width);
		expect(await page.locator('.chart svg path').count()).toBeGreaterThan(10);
		expect(await page.locator('#links tbody tr').count()).toBeGreaterThanOrEqual(4);
		expect(await page.locator('#domains tbody tr').count()).toBe(10);
		expect(await page.locator('#bounces tbody tr').count()).toBe(5);
		expect(await page.content()).not.toMatch(/reader\d{5}@/);

		const pageWidth = await page.locator('html').evaluate((root: { scrollWidth: number }) => root.scrollWidth);
		expect(pageWidth).toBeLessThanOrEqual(viewport.width);
		await page.screenshot({ path: path.join(SCREENSHOTS, `report-url-${language}-${device}.png`), fullPage: true });

		expect(problems).toEqual([]);
		expect(requests).toEqual([url]);
	} finally {
		await context.close();
	}
});

it('an expired link shows a readable page at phone width', async () => {
	const context = await browser.newContext({ viewport: VIEWPORTS.phone, locale: 'ja-JP' });
	const page = await context.newPage();
	try {
		const response = await page.goto(link(-1));
		expect(response?.status()).toBe(410);
		expect(await page.locator('h1').textContent()).toContain('有効期限');
		expect(await page.content()).not.toMatch(/Error:|\bat \w+ \(/);
		const pageWidth = await page.locator('html').evaluate((root: { scrollWidth: number }) => root.scrollWidth);
		expect(pageWidth).toBeLessThanOrEqual(VIEWPORTS.phone.width);
		await page.screenshot({ path: path.join(SCREENSHOTS, 'report-url-expired-ja-phone.png') });
	} finally {
		await context.close();
	}
});
