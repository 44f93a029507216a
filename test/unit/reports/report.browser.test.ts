/**
 * The HTML report in Debian's chromium (driven by playwright-core, as the editor test does): the
 * synthetic campaign's report, English and Japanese, at desktop and phone width. Fails on a
 * console message of type error or warning, a page error, any request other than the page itself,
 * missing SVG charts, or a page wider than the phone's viewport. Screenshots go to
 * docs/screenshots/report-*.png (committed; the README shows one).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { renderReportHtml, type ReportLanguage } from '../../../lib/reports';
import { CHROMIUM_ARGS, chromiumPath } from '../../helpers/services';
import { syntheticReport } from '../../helpers/reportFixture';
import { watchedPage } from '../../helpers/watchedPage';

jest.setTimeout(120_000);

const SCREENSHOTS = path.resolve(__dirname, '../../../docs/screenshots');

const VIEWPORTS = {
	desktop: { width: 1280, height: 900 },
	phone: { width: 390, height: 844 },
} as const;

let browser: Browser;
let server: Server;
let origin: string;

beforeAll(async () => {
	const pages: Record<string, string> = {
		'/en': renderReportHtml(syntheticReport(), { language: 'en' }),
		'/ja': renderReportHtml(syntheticReport(), { language: 'ja' }),
	};
	server = createServer((request, response) => {
		const body = pages[request.url ?? ''];
		if (!body) {
			response.writeHead(404).end();
			return;
		}
		response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
	mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
	await browser?.close();
	server?.closeAllConnections();
	await new Promise((resolve) => server?.close(resolve));
});

const cases = (['en', 'ja'] as ReportLanguage[]).flatMap((language) =>
	(Object.keys(VIEWPORTS) as Array<keyof typeof VIEWPORTS>).map((device) => [language, device] as const),
);

it.each(cases)('report in %s at %s width', async (language, device) => {
	const viewport = VIEWPORTS[device];
	const { context, page, problems, requests } = await watchedPage(browser, { viewport, deviceScaleFactor: device === 'phone' ? 2 : 1 });
	try {
		const url = `${origin}/${language}`;
		const response = await page.goto(url, { waitUntil: 'load' });
		expect(response?.status()).toBe(200);

		// Each chart is drawn wide and narrow; CSS shows the one that fits the screen.
		const charts = page.locator('.chart svg >> visible=true');
		expect(await charts.count()).toBe(2);
		const drawnWidth = device === 'phone' ? '360' : '720';
		expect(await charts.first().getAttribute('width')).toBe(drawnWidth);
		const chartBox = await charts.first().boundingBox();
		expect(chartBox?.width).toBeGreaterThan(300);
		expect(chartBox!.width).toBeLessThanOrEqual(viewport.width);
		// The series were drawn: line paths and bars inside the SVG.
		expect(await page.locator('.chart svg path').count()).toBeGreaterThan(10);

		expect(await page.locator('#links tbody tr').count()).toBe(12);
		expect(await page.locator('#domains tbody tr').count()).toBe(10);
		expect(await page.locator('#bounces tbody tr').count()).toBe(7);
		expect(await page.locator('#bounceKinds tbody tr').count()).toBe(3);
		const title = await page.locator('h1').textContent();
		expect(title).toContain('冬のセール');

		// Readable at phone width: nothing pushes the page sideways (wide tables scroll in their box).
		const pageWidth = await page.locator('html').evaluate((root: { scrollWidth: number }) => root.scrollWidth);
		expect(pageWidth).toBeLessThanOrEqual(viewport.width);

		await page.screenshot({ path: path.join(SCREENSHOTS, `report-${language}-${device}.png`), fullPage: true });

		expect(problems).toEqual([]);
		expect(requests).toEqual([url]);
	} finally {
		await context.close();
	}
});
