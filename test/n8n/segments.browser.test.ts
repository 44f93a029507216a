/**
 * The condition builder in the real n8n 2.40.7 editor (chromium, playwright-core): a workflow
 * with the segment operations filled in is imported, each node's panel is opened, and the
 * builder must show what a user would see — the field picker with the store's custom fields,
 * operators in the If node's words that follow the field's type, groups, lists in order.
 * Screenshots go to test-artifacts/editor-segments/, and with BULK_MAIL_DOCS_SCREENSHOTS=1 to
 * docs/screenshots/ for the README.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, selectors, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

import { openStore } from '../../lib/store/openStore';
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/services';
import { createN8nInstance, type N8nInstance, type WorkflowNode } from './harness';

jest.setTimeout(420_000);

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/editor-segments');
const DOCS_SCREENSHOTS = path.resolve(__dirname, '../../docs/screenshots');
const WRITE_DOCS = process.env.BULK_MAIL_DOCS_SCREENSHOTS === '1';
const LOAD_TIMEOUT = 120_000;
const STEP_TIMEOUT = 60_000;
const OWNER = { email: 'owner@example.com', firstName: 'Ada', lastName: 'Owner', password: 'Editor-test-1' };
const actor = { type: 'test', id: 'segments-browser' };
const storeCred = { bulkMailSubscriberStoreApi: { id: 'storeCred1', name: 'Store' } };
const sendCreds = { ...storeCred, bulkMailSmtpApi: { id: 'smtpCred1', name: 'SMTP' } };

const builder = {
	segmentSource: 'fields',
	segmentMatch: 'all',
	segmentConditions: {
		conditions: [
			{ field: 'custom:city', compareAs: 'text', operator: 'equals', value: 'Tokyo' },
			{ field: 'custom:lastPurchase', compareAs: 'date', operator: 'withinLastDays', days: 90 },
			{ field: 'list', operator: 'isNotOn', list: '3' },
		],
		groups: [
			{
				match: 'any',
				negate: true,
				groupConditions: {
					conditions: [
						{ field: 'activity', operator: 'receivedWithoutOpening', atLeast: 5 },
						{ field: 'email', operator: 'endsWith', value: '@example.net' },
					],
				},
			},
		],
	},
};

function workflowNodes(packageName: string): WorkflowNode[] {
	const at = (x: number, y: number): [number, number] => [x, y];
	return [
		{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: at(0, 0), parameters: {} },
		{
			id: 'seg',
			name: 'Save Segment',
			type: `${packageName}.subscriberList`,
			typeVersion: 1,
			position: at(240, 0),
			credentials: storeCred,
			parameters: { resource: 'segment', operation: 'create', name: 'Tokyo buyers', ...builder },
		},
		{
			id: 'count',
			name: 'Count Subscribers',
			type: `${packageName}.subscriberList`,
			typeVersion: 1,
			position: at(480, 0),
			credentials: storeCred,
			parameters: {
				resource: 'subscriber',
				operation: 'count',
				segmentSource: 'saved',
				savedSegment: { __rl: true, mode: 'list', value: '1', cachedResultName: 'Tokyo buyers' },
			},
		},
		{
			id: 'camp',
			name: 'Create Campaign',
			type: `${packageName}.bulkSend`,
			typeVersion: 1,
			position: at(720, 0),
			credentials: sendCreds,
			parameters: {
				resource: 'campaign',
				operation: 'create',
				campaignName: 'June news, Tokyo',
				list: { __rl: true, mode: 'list', value: '1', cachedResultName: 'Newsletter' },
				moreLists: { lists: [{ list: '2' }] },
				segmentSource: 'saved',
				savedSegment: { __rl: true, mode: 'list', value: '1', cachedResultName: 'Tokyo buyers' },
				subject: 'June news for {{ name }}',
				html: '<p>Hi {{ name }}</p>',
				fromName: 'ACME',
				fromEmail: 'news@example.com',
			},
		},
		{
			id: 'follow',
			name: 'Follow Up Non-Openers',
			type: `${packageName}.bulkSend`,
			typeVersion: 1,
			position: at(960, 0),
			credentials: sendCreds,
			parameters: {
				resource: 'campaign',
				operation: 'createFollowUp',
				campaignId: { __rl: true, mode: 'id', value: '1' },
				followUpUnless: 'opened',
				campaignName: 'June news — reminder',
				subject: 'In case you missed it, {{ name }}',
				html: '<p>Hi {{ name }}</p>',
				fromName: 'ACME',
				fromEmail: 'news@example.com',
			},
		},
	];
}

const ORDER = ['Start', 'Save Segment', 'Count Subscribers', 'Create Campaign', 'Follow Up Non-Openers'];

let n8n: N8nInstance;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
	rmSync(ARTIFACTS, { recursive: true, force: true });
	mkdirSync(ARTIFACTS, { recursive: true });
	n8n = await createN8nInstance({ dbType: 'sqlite' });
	const packageName = n8n.packageName;
	await n8n.importCredentials([
		{ id: 'storeCred1', name: 'Store', type: 'bulkMailSubscriberStoreApi', data: { backend: 'sqlite', file: 'segments-ui.sqlite', signingSecret: 'a-test-secret-of-32-characters!!' } },
		{ id: 'smtpCred1', name: 'SMTP', type: 'bulkMailSmtpApi', data: { host: '127.0.0.1', port: 2525, security: 'none', allowPlain: true } },
	]);
	const store = await openStore({ backend: 'sqlite', file: 'segments-ui.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') });
	try {
		const newsletter = await store.createList({ name: 'Newsletter' }, actor);
		await store.createList({ name: 'Customers' }, actor);
		await store.createList({ name: 'VIP' }, actor);
		await store.upsertSubscriber(newsletter.id, { email: 'ann@example.com', name: 'Ann', fields: { city: 'Tokyo', lastPurchase: '2026-05-01', plan: 'gold' } }, {}, actor);
		await store.createSegment({ name: 'Tokyo buyers', definition: { conditions: [{ customField: 'city', operator: 'equals', value: 'Tokyo' }] } }, actor);
	} finally {
		await store.close();
	}
	await n8n.importWorkflow({
		id: 'wfSegmentsUi1',
		name: 'Segments in the editor',
		nodes: workflowNodes(packageName),
		connections: Object.fromEntries(
			ORDER.slice(0, -1).map((name, i) => [name, { main: [[{ node: ORDER[i + 1], type: 'main', index: 0 }]] }]),
		),
		settings: {},
	});
	await n8n.start();
	selectors.setTestIdAttribute('data-test-id');
	browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
	context = await browser.newContext({ baseURL: n8n.baseUrl, viewport: { width: 1440, height: 1100 }, colorScheme: 'light' });
	await context.route((url) => !url.href.startsWith(n8n.baseUrl), (route) => route.abort('blockedbyclient'));
	page = await context.newPage();
	page.setDefaultTimeout(STEP_TIMEOUT);
	page.setDefaultNavigationTimeout(LOAD_TIMEOUT);
	page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
	page.on('response', (response) => {
		if (response.status() >= 400 && response.url().includes('/rest/dynamic-node-parameters')) {
			problems.push(`HTTP ${response.status()} for ${response.url()}`);
		}
	});
	const setup = await context.request.post('/rest/owner/setup', { data: OWNER });
	if (!setup.ok()) throw new Error(`owner setup failed: HTTP ${setup.status()} ${await setup.text()}`);
}, 400_000);

afterAll(async () => {
	await browser?.close();
	await n8n?.cleanup();
});

async function screenshot(name: string): Promise<void> {
	const file = path.join(ARTIFACTS, `${name}.png`);
	await page.screenshot({ path: file });
	if (WRITE_DOCS) copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
}

async function openNode(name: string) {
	await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
	const ndv = page.getByTestId('ndv');
	await ndv.waitFor({ timeout: STEP_TIMEOUT });
	return ndv;
}

/** The inputs of the panel (a select shows its chosen option's name as the input's value). */
async function inputValues(scope: Locator): Promise<string[]> {
	return scope.locator('input').evaluateAll((inputs: Array<{ value: string }>) => inputs.map((input) => input.value));
}

/** Waits until every one of `expected` is the value of some input of the panel. */
async function expectValues(scope: Locator, expected: string[]): Promise<void> {
	const deadline = Date.now() + STEP_TIMEOUT;
	let values: string[] = [];
	do {
		values = await inputValues(scope);
		if (expected.every((value) => values.includes(value))) return;
		await page.waitForTimeout(250);
	} while (Date.now() < deadline);
	expect(values).toEqual(expect.arrayContaining(expected));
}

/** The first input of the panel whose value is `value`. */
async function inputWithValue(scope: Locator, value: string): Promise<Locator> {
	const index = (await inputValues(scope)).indexOf(value);
	if (index < 0) throw new Error(`no input shows '${value}'`);
	return scope.locator('input').nth(index);
}

async function closeNode() {
	const ndv = page.getByTestId('ndv');
	await ndv.getByTestId('ndv-close-button').first().click();
	await ndv.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
}

describe('the condition builder in the n8n editor', () => {
	test('the node panels show the builder filled in, with operators in the If node’s words', async () => {
		try {
			await walkThrough();
		} catch (error) {
			await page.screenshot({ path: path.join(ARTIFACTS, 'failed.png') }).catch(() => undefined);
			const text = await page.getByTestId('ndv').innerText({ timeout: 2000 }).catch(() => '');
			const html = await page.getByTestId('ndv').innerHTML({ timeout: 2000 }).catch(() => '');
			writeFileSync(path.join(ARTIFACTS, 'failed-ndv.txt'), `${text}\n\n${html}`);
			throw error;
		}
	});
});

async function walkThrough(): Promise<void> {
	{
		await page.goto('/workflow/wfSegmentsUi1', { waitUntil: 'domcontentloaded' });
		await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: LOAD_TIMEOUT });

		// Subscriber List → Segment → Create: conditions and a negated group.
		let ndv = await openNode('Save Segment');
		await ndv.getByTestId('parameter-input-segmentSource').waitFor();
		const conditions = ndv.getByTestId('parameter-input-field');
		await conditions.first().waitFor();
		// 3 conditions + 2 in the group (n8n marks an options input and its inner input alike)
		expect(await conditions.count()).toBeGreaterThanOrEqual(5);
		// loadOptions resolved: the custom fields, operators and list show by their names
		await expectValues(ndv, [
			'Custom Field: city',
			'Custom Field: lastPurchase',
			'Is Equal To',
			'Is Within the Last N Days',
			'List Membership',
			'Is Not On List',
			'VIP',
			'Recent Activity',
			'Received at Least N Campaigns Without Opening One',
			'E-Mail',
			'Ends With',
			'Any Condition (OR)',
			'All Conditions (AND)',
		]);
		await screenshot('segment-builder');
		await ndv.getByText('Negate').first().scrollIntoViewIfNeeded();
		await screenshot('segment-builder-group');
		// The operator list follows the field: a date field offers date operators only.
		await (await inputWithValue(ndv, 'Is Within the Last N Days')).click();
		const options = page.locator('.el-select-dropdown__item:visible');
		await options.first().waitFor();
		const names = await options.allInnerTexts();
		expect(names.map((text) => text.trim().split('\n')[0])).toEqual([
			'Is After',
			'Is Before',
			'Is Within the Last N Days',
			'Is Between',
			'Is Empty',
			'Is Not Empty',
		]);
		await page.keyboard.press('Escape');
		await closeNode();

		// Count with a saved segment.
		ndv = await openNode('Count Subscribers');
		await ndv.getByTestId('parameter-input-savedSegment').first().waitFor();
		await expectValues(ndv, ['Saved Segment', 'Tokyo buyers']);
		await closeNode();

		// Bulk Send → Campaign → Create: lists in order and a saved segment.
		ndv = await openNode('Create Campaign');
		await ndv.getByText('More Lists').first().waitFor();
		await expectValues(ndv, ['Newsletter', 'Customers', 'Saved Segment', 'Tokyo buyers']);
		await ndv.getByText('More Lists').first().scrollIntoViewIfNeeded();
		await screenshot('campaign-audience');
		await closeNode();

		// Bulk Send → Campaign → Create Follow-Up.
		ndv = await openNode('Follow Up Non-Openers');
		await ndv.getByText('Count Only Human Opens').first().waitFor();
		await expectValues(ndv, ['Create Follow-Up', 'Did Not Open']);
		await screenshot('campaign-follow-up');
		await closeNode();

		expect(problems).toEqual([]);
	}
}
