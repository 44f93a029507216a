/**
 * The condition builder in the real n8n 2.40.7 editor (chromium, playwright-core): a workflow
 * with the segment operations filled in is imported, each node's panel is opened, and the
 * builder must show what a user would see — the field picker with the store's custom fields,
 * operators in the If node's words that follow the field's type, groups, lists in order.
 * Screenshots go to test-artifacts/editor-segments/, and with BULK_MAIL_DOCS_SCREENSHOTS=1 to
 * docs/screenshots/ for the README.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, selectors, type Browser, type BrowserContext, type Page } from 'playwright-core';

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

async function closeNode() {
	const ndv = page.getByTestId('ndv');
	await ndv.getByTestId('ndv-close-button').first().click();
	await ndv.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
}

describe('the condition builder in the n8n editor', () => {
	test('the node panels show the builder filled in, with operators in the If node’s words', async () => {
		await page.goto('/workflow/wfSegmentsUi1', { waitUntil: 'domcontentloaded' });
		await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: LOAD_TIMEOUT });

		// Subscriber List → Segment → Create: conditions and a negated group.
		let ndv = await openNode('Save Segment');
		await ndv.getByTestId('parameter-input-segmentSource').waitFor();
		const conditions = ndv.getByTestId('parameter-input-field');
		await conditions.first().waitFor();
		// 3 conditions + 2 in the group
		expect(await conditions.count()).toBe(5);
		// loadOptions resolved: the custom field and the operator names show as their labels
		await ndv.getByText('Custom Field: city').first().waitFor();
		await ndv.getByText('Is Equal To').first().waitFor();
		await ndv.getByText('Is Within the Last N Days').first().waitFor();
		await ndv.getByText('Is Not On List').first().waitFor();
		await ndv.getByText('Received at Least N Campaigns Without Opening One').first().waitFor();
		await ndv.getByText('Ends With').first().waitFor();
		await ndv.getByText('VIP').first().waitFor();
		await screenshot('segment-builder');
		await ndv.getByTestId('parameter-input-segmentConditions').first().scrollIntoViewIfNeeded().catch(() => undefined);
		await ndv.getByText('Negate').first().scrollIntoViewIfNeeded();
		await screenshot('segment-builder-group');
		// The operator list follows the field: a date field offers date operators only.
		await ndv.getByTestId('parameter-input-operator').nth(1).click();
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
		await ndv.getByTestId('parameter-input-savedSegment').waitFor();
		await ndv.getByText('Tokyo buyers').first().waitFor();
		await closeNode();

		// Bulk Send → Campaign → Create: lists in order and a saved segment.
		ndv = await openNode('Create Campaign');
		await ndv.getByTestId('parameter-input-moreLists').first().waitFor().catch(() => undefined);
		await ndv.getByText('More Lists').first().waitFor();
		await ndv.getByText('Customers').first().waitFor();
		await ndv.getByText('Tokyo buyers').first().waitFor();
		await ndv.getByText('More Lists').first().scrollIntoViewIfNeeded();
		await screenshot('campaign-audience');
		await closeNode();

		// Bulk Send → Campaign → Create Follow-Up.
		ndv = await openNode('Follow Up Non-Openers');
		await ndv.getByText('Did Not Open').first().waitFor();
		await ndv.getByText('Count Only Human Opens').first().waitFor();
		await screenshot('campaign-follow-up');
		await closeNode();

		expect(problems).toEqual([]);
	});
});
