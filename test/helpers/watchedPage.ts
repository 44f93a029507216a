import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

/**
 * A new browser context and page that record console errors and warnings and page errors
 * (`problems`) and every URL the page requests (`requests`), for tests that assert a page loads
 * cleanly and on its own. Close `context` when done.
 */
export async function watchedPage(
	browser: Browser,
	options: BrowserContextOptions,
): Promise<{ context: BrowserContext; page: Page; problems: string[]; requests: string[] }> {
	const context = await browser.newContext(options);
	const page = await context.newPage();
	const problems: string[] = [];
	const requests: string[] = [];
	page.on('console', (message) => {
		if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
	});
	page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
	page.on('request', (request) => requests.push(request.url()));
	return { context, page, problems, requests };
}
