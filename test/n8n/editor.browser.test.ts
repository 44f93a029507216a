/**
 * The package in the real n8n 2.40.7 editor, driven in Debian's chromium by playwright-core: each
 * node is added to the canvas through the node creator (search, pick), its panel (NDV) must render
 * its parameters, each credential type's form is opened from the Credentials page, and every step
 * leaves a screenshot in test-artifacts/editor/. Fails on a broken or fallback node icon, a
 * console/page error, an HTTP error for the package's files, or a panel without parameter inputs.
 *
 * BULK_MAIL_DOCS_SCREENSHOTS=1 also writes the README's screenshots into docs/screenshots/.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
	chromium,
	selectors,
	type Browser,
	type BrowserContext,
	type Locator,
	type Page,
} from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/services';
import { createN8nInstance, type N8nInstance } from './harness';

jest.setTimeout(240_000);

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/editor');
const DOCS_SCREENSHOTS = path.resolve(__dirname, '../../docs/screenshots');
const WRITE_DOCS = process.env.BULK_MAIL_DOCS_SCREENSHOTS === '1';
// The editor is a large single-page app; on 2 busy shared cores its first load took 20–50 s.
const LOAD_TIMEOUT = 120_000;
const STEP_TIMEOUT = 60_000;

interface NodeCase {
	/** What a user types into the node creator's search and sees as the node's name. */
	name: string;
	/** The node type's `name` (without the package prefix). */
	type: string;
	/** The action to pick in the node creator for nodes with operations; else "Add to workflow". */
	action?: string;
	/** A parameter the panel must show (`parameter-input-<name>`). */
	parameter: string;
	screenshot: string;
}

/** In pipeline order; the triggers last, each on its own (nothing selected), so the canvas reads well. */
const NODES: NodeCase[] = [
	{ name: 'Import CSV', type: 'importCsv', parameter: 'list', screenshot: 'node-import-csv' },
	{
		name: 'Subscriber List',
		type: 'subscriberList',
		action: 'Create or update a subscriber',
		parameter: 'email',
		screenshot: 'node-subscriber-list',
	},
	{
		name: 'Compose Message',
		type: 'composeMessage',
		action: 'Compose a message for each item',
		parameter: 'subject',
		screenshot: 'node-compose-message',
	},
	{
		name: 'Bulk Send',
		type: 'bulkSend',
		action: 'Start or resume a campaign',
		parameter: 'campaignId',
		screenshot: 'node-bulk-send',
	},
	{
		name: 'Bounce Webhook Trigger',
		type: 'bounceWebhookTrigger',
		parameter: 'provider',
		screenshot: 'node-bounce-webhook-trigger',
	},
	{
		name: 'Bounce Mailbox Trigger',
		type: 'bounceMailboxTrigger',
		parameter: 'folder',
		screenshot: 'node-bounce-mailbox-trigger',
	},
];

interface CredentialCase {
	displayName: string;
	/** A field the form must show (`parameter-input-<name>`). */
	parameter: string;
	screenshot: string;
}

const CREDENTIALS: CredentialCase[] = [
	{ displayName: 'Bulk Mail Subscriber Store API', parameter: 'backend', screenshot: 'credential-subscriber-store' },
	{ displayName: 'Bulk Mail SMTP API', parameter: 'host', screenshot: 'credential-smtp' },
	{ displayName: 'Bulk Mail Redis Rate Limit API', parameter: 'host', screenshot: 'credential-redis-limiter' },
	{ displayName: 'Bulk Mail Bounce Webhook API', parameter: 'genericSecret', screenshot: 'credential-bounce-webhook' },
	{ displayName: 'Bulk Mail Bounce Mailbox (IMAP) API', parameter: 'host', screenshot: 'credential-bounce-mailbox' },
];

/** The subset shown in the README. */
const DOCS_SET = new Set([
	'canvas',
	'node-import-csv',
	'node-subscriber-list',
	'node-compose-message',
	'node-bulk-send',
	'node-bounce-webhook-trigger',
	'node-bounce-mailbox-trigger',
	'credential-smtp',
]);

const OWNER = { email: 'owner@example.com', firstName: 'Ada', lastName: 'Owner', password: 'Editor-test-1' };

let n8n: N8nInstance;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let origin: string;
let packageName: string;
/** Console errors, page errors and failed responses, each with the step it happened in. */
const problems: string[] = [];
let currentStep = 'loading the editor';

/**
 * n8n's own noise, allowed explicitly. Everything else the browser reports is a failure.
 * - The test blocks every request that leaves the machine (there is no internet here); the editor
 *   still asks registry.npmjs.org about installed community packages, and Chromium logs each
 *   blocked request as "Failed to load resource".
 * - The editor asks `/schemas/<node type>/<version>[/<resource>/<operation>].json` for an optional
 *   output-schema preview of the node before the open one; n8n answers 404 for any node that ships
 *   none, and the panel works without it.
 */
function isKnownNoise(text: string, url: string): boolean {
	if (!text.startsWith('Failed to load resource')) return false;
	if (url && !url.startsWith(origin)) return true;
	return /404/.test(text) && url.startsWith(`${origin}/schemas/${packageName}.`);
}

function watchForProblems(target: Page): void {
	target.on('console', (message) => {
		if (message.type() !== 'error') return;
		const url = message.location().url ?? '';
		if (isKnownNoise(message.text(), url)) return;
		problems.push(`${currentStep}: console error: ${message.text()}${url ? ` (at ${url})` : ''}`);
	});
	target.on('pageerror', (error) => problems.push(`${currentStep}: page error: ${error.stack ?? error.message}`));
	target.on('response', (response) => {
		const url = response.url();
		if (response.status() < 400 || !url.includes(packageName)) return;
		if (response.status() === 404 && url.startsWith(`${origin}/schemas/${packageName}.`)) return;
		problems.push(`${currentStep}: HTTP ${response.status()} for ${url}`);
	});
}

async function screenshot(name: string): Promise<void> {
	const file = path.join(ARTIFACTS, `${name}.png`);
	await page.screenshot({ path: file });
	if (WRITE_DOCS && DOCS_SET.has(name)) copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
}

/** The parts of a DOM <img> used here (the tests compile without the DOM typings). */
interface LoadableImage {
	complete: boolean;
	naturalWidth: number;
	currentSrc: string;
	src: string;
	addEventListener(type: 'load' | 'error', listener: () => void, options: { once: boolean }): void;
}

/**
 * Every icon of the package inside `scope` has loaded with a real size, and none of n8n's
 * fallback icons (the node name's first letter, shown when the icon is missing) is there.
 */
async function expectPackageIcons(scope: Locator, what: string): Promise<void> {
	const fallbacks = await scope.locator('[class*="_nodeIconPlaceholder_"]').allInnerTexts();
	if (fallbacks.length > 0) {
		throw new Error(`${what}: n8n shows its fallback icon (${fallbacks.join(', ')}) instead of the package's`);
	}
	const icons = scope.locator(`img[src*="/icons/${packageName}/"]`);
	// All at once: the node creator re-renders its lists while panels slide in.
	const loaded = await icons.evaluateAll((images: LoadableImage[]) =>
		Promise.all(
			images.map(
				(img) =>
					new Promise<{ src: string; width: number }>((resolve) => {
						const done = () => resolve({ src: img.currentSrc || img.src, width: img.naturalWidth });
						if (img.complete) done();
						else {
							img.addEventListener('load', done, { once: true });
							img.addEventListener('error', done, { once: true });
						}
					}),
			),
		),
	);
	if (loaded.length === 0) throw new Error(`${what}: no icon of the package is shown`);
	const broken = [...new Set(loaded.filter((image) => image.width === 0).map((image) => image.src))];
	if (broken.length > 0) throw new Error(`${what}: icon(s) did not load (naturalWidth 0): ${broken.join(', ')}`);
}

/** Picks the node in the node creator (searching by name), then its action or "Add to workflow". */
async function addNodeThroughCreator(node: NodeCase): Promise<void> {
	const search = page.getByTestId('node-creator-search-bar');
	await search.waitFor({ timeout: STEP_TIMEOUT });
	await search.fill(node.name);
	const result = page
		.getByTestId('node-creator')
		.getByTestId('node-creator-item-name')
		.getByText(node.name, { exact: true });
	await result.first().click({ timeout: STEP_TIMEOUT });
	// A community node opens a "Node details" panel: its actions, or one "Add to workflow" button.
	const details = page.getByTestId('nodes-list-header').filter({ hasText: 'Node details' });
	await details.waitFor({ timeout: STEP_TIMEOUT });
	await expectPackageIcons(page.getByTestId('node-creator'), `${node.name} in the node creator`);
	if (node.action) {
		await page
			.getByTestId('node-creator')
			.getByTestId('node-creator-item-name')
			.getByText(node.action, { exact: true })
			.click({ timeout: STEP_TIMEOUT });
	} else {
		await page.getByRole('button', { name: 'Add to workflow' }).click({ timeout: STEP_TIMEOUT });
	}
}

beforeAll(async () => {
	rmSync(ARTIFACTS, { recursive: true, force: true });
	mkdirSync(ARTIFACTS, { recursive: true });
	if (WRITE_DOCS) mkdirSync(DOCS_SCREENSHOTS, { recursive: true });

	n8n = await createN8nInstance({ dbType: 'sqlite' });
	packageName = n8n.packageName;
	await n8n.start();
	origin = n8n.baseUrl;

	selectors.setTestIdAttribute('data-test-id');
	browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
	context = await browser.newContext({ baseURL: origin, viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
	// Only this n8n: nothing may leave the machine.
	await context.route((url) => !url.href.startsWith(origin), (route) => route.abort('blockedbyclient'));
	page = await context.newPage();
	page.setDefaultTimeout(STEP_TIMEOUT);
	page.setDefaultNavigationTimeout(LOAD_TIMEOUT);
	watchForProblems(page);

	// Owner setup through n8n's REST API (what the setup form posts); it also logs the browser in.
	const setup = await context.request.post('/rest/owner/setup', { data: OWNER });
	if (!setup.ok()) throw new Error(`owner setup failed: HTTP ${setup.status()} ${await setup.text()}`);
}, 300_000);

afterAll(async () => {
	await browser?.close();
	await n8n?.cleanup();
});

/** Runs one step of the walk-through; on failure leaves `failed-<step>.png` to look at. */
async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
	currentStep = name;
	try {
		return await action();
	} catch (error) {
		const file = path.join(ARTIFACTS, `failed-${name.replace(/\W+/g, '-')}.png`);
		await page.screenshot({ path: file }).catch(() => undefined);
		throw error;
	}
}

/** Fails with everything the browser reported since the last check, naming the step. */
function expectNoBrowserProblems(): void {
	expect(problems.splice(0)).toEqual([]);
}

describe('the n8n editor with the package installed', () => {
	// First, while nothing is unsaved: a later full page load would meet n8n's "leave page?" guard.
	test('each credential type opens its form from the Credentials page', async () => {
		const create = page.getByRole('button', { name: 'Create credential' }).first();
		await step('opening the Credentials page', async () => {
			await page.goto('/home/credentials', { waitUntil: 'domcontentloaded' });
			await create.waitFor({ timeout: LOAD_TIMEOUT });
			expectNoBrowserProblems();
		});

		for (const credential of CREDENTIALS) {
			await step(`the ${credential.displayName} form`, async () => {
				await create.click();
				await page.getByRole('combobox', { name: 'Search for app...' }).fill(credential.displayName);
				await page
					.getByTestId('new-credential-type-select-option')
					.filter({ hasText: credential.displayName })
					.click({ timeout: STEP_TIMEOUT });
				await page.getByTestId('new-credential-type-button').click();

				const form = page.getByTestId('credential-edit-dialog');
				await form.getByTestId(`parameter-input-${credential.parameter}`).waitFor({ timeout: STEP_TIMEOUT });
				expect(await form.getByTestId('credential-connection-parameter').count()).toBeGreaterThan(1);
				// The modal around the form: its header has the type's name and icon.
				const modal = page.locator('.el-dialog').filter({ has: form });
				expect(await modal.getByText(credential.displayName, { exact: true }).count()).toBeGreaterThan(0);
				await expectPackageIcons(modal, `${credential.displayName} form`);
				await screenshot(credential.screenshot);
				await page.keyboard.press('Escape');
				await form.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
				expectNoBrowserProblems();
			});
		}
	});

	test('each node is added through the node creator, with its icon and a panel that renders its parameters', async () => {
		await step('opening a new workflow', async () => {
			await page.goto('/workflow/new', { waitUntil: 'domcontentloaded' });
			await page.getByTestId('canvas-add-button').waitFor({ timeout: LOAD_TIMEOUT });
			expectNoBrowserProblems();
		});

		for (const [index, node] of NODES.entries()) {
			await step(`adding ${node.name}`, async () => {
				if (index === 0) {
					await page.getByTestId('canvas-add-button').click();
				} else {
					if (node.type.endsWith('Trigger')) {
						// A click on empty canvas deselects, so a trigger is not attached after the last node.
						await page.locator('.vue-flow__pane').click({ position: { x: 300, y: 80 } });
					}
					await page.getByTestId('node-creator-plus-button').click();
				}
				await addNodeThroughCreator(node);
			});

			await step(`the ${node.name} panel`, async () => {
				const ndv = page.getByTestId('ndv');
				await ndv.waitFor({ timeout: STEP_TIMEOUT });
				await ndv.getByTestId(`parameter-input-${node.parameter}`).first().waitFor({ timeout: STEP_TIMEOUT });
				expect(await ndv.getByTestId('parameter-input').count()).toBeGreaterThan(1);
				await expectPackageIcons(ndv, `${node.name} panel`);
				await screenshot(node.screenshot);
				await ndv.getByTestId('ndv-close-button').first().click();
				await ndv.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
				expectNoBrowserProblems();
			});
		}

		await step('the canvas', async () => {
			const packageNodes = page.locator(`[data-test-id="canvas-node"][data-node-type^="${packageName}."]`);
			const onCanvas = await packageNodes.evaluateAll((elements) =>
				elements.map((element) => element.getAttribute('data-node-type')),
			);
			expect(onCanvas.sort()).toEqual(NODES.map((node) => `${packageName}.${node.type}`).sort());
			for (const node of NODES) {
				await expectPackageIcons(
					page.locator(`[data-test-id="canvas-node"][data-node-type="${packageName}.${node.type}"]`),
					`${node.name} on the canvas`,
				);
			}
			await page.getByTestId('tidy-up-button').click();
			await page.getByTestId('zoom-to-fit').click();
			// The canvas animates the tidy-up and the zoom.
			await page.waitForTimeout(1000);
			await screenshot('canvas');
			expectNoBrowserProblems();
		});

		// n8n follows the system theme and then shows each node's dark icon variant.
		await step('the canvas in dark mode', async () => {
			await page.emulateMedia({ colorScheme: 'dark' });
			const canvasIcons = page.locator(`[data-test-id="canvas-node"] img[src*="/icons/${packageName}/"]`);
			const deadline = Date.now() + STEP_TIMEOUT;
			let sources: string[] = [];
			do {
				sources = await canvasIcons.evaluateAll((images: LoadableImage[]) => images.map((img) => img.src));
				if (sources.length === NODES.length && sources.every((src) => src.endsWith('.dark.svg'))) break;
				await page.waitForTimeout(200);
			} while (Date.now() < deadline);
			expect(sources.filter((src) => !src.endsWith('.dark.svg'))).toEqual([]);
			expect(sources).toHaveLength(NODES.length);
			await expectPackageIcons(page.locator('.vue-flow'), 'the canvas in dark mode');
			await screenshot('canvas-dark');
			expectNoBrowserProblems();
		});
	});
});
