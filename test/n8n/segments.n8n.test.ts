/**
 * Segments in a real n8n 2.40.7, on both store backends (#19):
 * 1. Subscriber List → Segment: Create (condition builder with a negated group), Get, Get Many,
 *    Rename, Delete; Count / Get Many / Export as CSV with inline conditions, JSON and a saved
 *    segment; a bad condition fails its item with a message naming the condition.
 * 2. Bulk Send → Campaign → Create with two lists and a segment: one message per person; then
 *    Create Follow-Up to those who did not open: only they are mailed again.
 */
import path from 'node:path';

import { getCampaign, recordCampaignEvent, getRecipients } from '../../lib/campaign';
import { openStore, type StoreConfig } from '../../lib/store/openStore';
import { parseMessage, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { BACKENDS, PG_CONNECTION, storeFixture, type Backend } from '../helpers/stores';
import { createN8nInstance, storedBinary, type N8nInstance, type WorkflowInput, type WorkflowNode } from './harness';

jest.setTimeout(420_000);

const PACKAGE = 'n8n-nodes-bulk-mail';
const LIST_NODE = `${PACKAGE}.subscriberList`;
const BULK_SEND = `${PACKAGE}.bulkSend`;
const SECRET = 'a-test-secret-of-32-characters!!';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
const actor = { type: 'test', id: 'segments-n8n' };
const storeCred = { bulkMailSubscriberStoreApi: { id: 'storeCred1', name: 'Store' } };
const sendCreds = { ...storeCred, bulkMailSmtpApi: { id: 'smtpCred1', name: 'Local SMTP' } };

function node(name: string, x: number, type: string, parameters: Record<string, unknown>, extra: Partial<WorkflowNode> = {}): WorkflowNode {
	return {
		id: name.replace(/\W/g, '').toLowerCase(),
		name,
		type,
		typeVersion: 1,
		position: [x, 0],
		parameters,
		executeOnce: true,
		credentials: type === BULK_SEND ? sendCreds : storeCred,
		...extra,
	};
}

function workflow(id: string, name: string, nodes: WorkflowNode[]): WorkflowInput {
	const all = [{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} }, ...nodes];
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < all.length - 1; i++) connections[all[i].name] = { main: [[{ node: all[i + 1].name, type: 'main', index: 0 }]] };
	return { id, name, nodes: all as WorkflowNode[], connections, settings: {} };
}

/** Tokyo (any case) and spent ≥ 20, and not (a spam address or on the Blocked list). */
const tokyoBuyers = {
	segmentSource: 'fields',
	segmentMatch: 'all',
	segmentConditions: {
		conditions: [
			{ field: 'custom:city', compareAs: 'text', operator: 'equals', value: 'TOKYO' },
			{ field: 'custom:spent', compareAs: 'number', operator: 'gte', value: '20' },
		],
		groups: [
			{
				match: 'any',
				negate: true,
				groupConditions: {
					conditions: [
						{ field: 'email', operator: 'endsWith', value: '@spam.test' },
						{ field: 'list', operator: 'isOn', list: '3' },
					],
				},
			},
		],
	},
};

function segmentWorkflow(): WorkflowInput {
	return workflow('wfSegments1', 'Segments', [
		node('Create Segment', 200, LIST_NODE, { resource: 'segment', operation: 'create', name: 'Tokyo buyers', ...tokyoBuyers }),
		node('Get Segment', 400, LIST_NODE, { resource: 'segment', operation: 'get', segment: { __rl: true, mode: 'name', value: 'tokyo BUYERS' } }),
		node('Rename Segment', 600, LIST_NODE, {
			resource: 'segment',
			operation: 'rename',
			segment: { __rl: true, mode: 'id', value: '={{ $("Create Segment").first().json.id }}' },
			newName: 'Tokyo spenders',
		}),
		node('Count Inline', 800, LIST_NODE, { resource: 'subscriber', operation: 'count', ...tokyoBuyers }),
		node('Get Many Saved', 1000, LIST_NODE, {
			resource: 'subscriber',
			operation: 'getMany',
			returnAll: true,
			filters: { list: { __rl: true, mode: 'name', value: 'Newsletter' } },
			segmentSource: 'saved',
			savedSegment: { __rl: true, mode: 'name', value: 'Tokyo spenders' },
		}),
		node('Export JSON', 1200, LIST_NODE, {
			resource: 'export',
			operation: 'csv',
			segmentSource: 'json',
			segmentJson: JSON.stringify({
				match: 'any',
				conditions: [
					{ customField: 'city', operator: 'equals', value: 'osaka' },
					{ field: 'email', operator: 'startsWith', value: 'EVE@' },
				],
			}),
		}),
		node('Bad Condition', 1400, LIST_NODE, {
			resource: 'subscriber',
			operation: 'count',
			segmentSource: 'fields',
			segmentConditions: {
				conditions: [
					{ field: 'email', operator: 'contains', value: 'a' },
					{ field: 'createdAt', operator: 'contains', value: 'x' },
				],
				groups: [{ match: 'any', groupConditions: { conditions: [{ field: 'custom:spent', compareAs: 'number', operator: 'gt', value: 'lots' }] } }],
			},
		}, { onError: 'continueRegularOutput' }),
		node('Get Many Segments', 1600, LIST_NODE, { resource: 'segment', operation: 'getMany', includeCounts: true }),
		node('Delete Segment', 1800, LIST_NODE, {
			resource: 'segment',
			operation: 'delete',
			segment: { __rl: true, mode: 'list', value: '={{ $("Create Segment").first().json.id }}' },
		}),
	]);
}

const template = {
	subject: 'News for {{ name }}',
	html: '<p>Hi {{ name }} from {{ fields.city }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
	fromName: 'ACME',
	fromEmail: 'news@example.com',
};

function campaignWorkflows(): WorkflowInput[] {
	return [
		workflow('wfSegCampaign1', 'Two lists and a segment', [
			node('Create Campaign', 200, BULK_SEND, {
				resource: 'campaign',
				operation: 'create',
				campaignName: 'Tokyo news',
				list: { __rl: true, mode: 'name', value: 'Customers' },
				moreLists: { lists: [{ list: '1' }] },
				segmentSource: 'json',
				segmentJson: JSON.stringify({ conditions: [{ customField: 'city', operator: 'equals', value: 'tokyo' }] }),
				...template,
			}),
			node('Send', 400, BULK_SEND, { resource: 'campaign', operation: 'start', campaignId: '={{ $json.id }}' }),
		]),
		workflow('wfSegFollowUp1', 'Follow up non-openers', [
			node('Create Follow-Up', 200, BULK_SEND, {
				resource: 'campaign',
				operation: 'createFollowUp',
				campaignId: { __rl: true, mode: 'id', value: '1' },
				followUpUnless: 'opened',
				campaignName: 'Tokyo news — reminder',
				...template,
				subject: 'Did you miss this, {{ name }}?',
			}),
			node('Send Follow-Up', 400, BULK_SEND, { resource: 'campaign', operation: 'start', campaignId: '={{ $json.id }}' }),
		]),
	];
}

describe.each(BACKENDS)('Segments in real n8n (%s store)', (backend: Backend) => {
	let n8n: N8nInstance;
	let smtp: TestSmtpServer;
	let storeConfig: StoreConfig;
	const pgFixture = backend === 'postgres' ? storeFixture('postgres') : undefined;
	const ids: Record<string, string> = {};

	beforeAll(async () => {
		smtp = await startSmtpServer();
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		const data =
			backend === 'sqlite'
				? { backend: 'sqlite', file: 'segments.sqlite', signingSecret: SECRET, publicBaseUrl: BASE_URL }
				: { backend: 'postgres', ...PG_CONNECTION, ssl: 'disable', schema: (pgFixture!.config as { schema: string }).schema, signingSecret: SECRET, publicBaseUrl: BASE_URL };
		storeConfig =
			backend === 'sqlite'
				? { backend: 'sqlite', file: 'segments.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') }
				: pgFixture!.config;
		await n8n.importCredentials([
			{ id: 'storeCred1', name: 'Store', type: 'bulkMailSubscriberStoreApi', data },
			{
				id: 'smtpCred1',
				name: 'Local SMTP',
				type: 'bulkMailSmtpApi',
				data: { host: smtp.host, port: smtp.port, security: 'none', allowPlain: true, ehloName: 'n8n.test' },
			},
		]);
		const store = await openStore(storeConfig);
		try {
			const newsletter = await store.createList({ name: 'Newsletter' }, actor);
			const customers = await store.createList({ name: 'Customers' }, actor);
			const blocked = await store.createList({ name: 'Blocked' }, actor);
			Object.assign(ids, { newsletter: newsletter.id, customers: customers.id, blocked: blocked.id });
			const add = (listId: string, email: string, name: string, fields: Record<string, unknown>) =>
				store.upsertSubscriber(listId, { email, name, fields }, {}, actor);
			await add(newsletter.id, 'ann@example.com', 'Ann', { city: 'Tokyo', spent: 120 });
			await add(newsletter.id, 'bob@example.com', 'Bob', { city: 'Osaka', spent: 50 });
			await add(newsletter.id, 'chie@example.com', 'Chie', { city: 'tokyo', spent: '35.5' });
			await add(newsletter.id, 'dan@spam.test', 'Dan', { city: 'Tokyo', spent: 99 });
			await add(newsletter.id, 'fumi@example.com', 'Fumi', { city: 'TOKYO', spent: 'n/a' });
			await add(newsletter.id, 'gen@example.com', 'Gen', { city: 'Tokyo', spent: 70 });
			await add(customers.id, 'ann@Example.COM', 'Ann (customer)', { city: 'Tokyo', spent: 500 });
			await add(customers.id, 'eve@example.com', 'Eve', { city: 'Tokyo', spent: 300 });
			await add(blocked.id, 'gen@example.com', 'Gen', {});
		} finally {
			await store.close();
		}
		await n8n.importWorkflow([segmentWorkflow(), ...campaignWorkflows()]);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await smtp?.close();
		await pgFixture?.cleanup();
	});

	it('saves, reads, renames and deletes a segment and filters Count / Get Many / Export with conditions', async () => {
		const result = await n8n.execute('wfSegments1');
		const created = result.json('Create Segment')[0];
		// Tokyo (folded case) and spent ≥ 20 and not (spam or on Blocked): Ann twice (two lists), Chie, Eve
		expect(created).toMatchObject({ name: 'Tokyo buyers', subscribers: 4 });
		expect(created.definition).toEqual({
			match: 'all',
			conditions: [
				{ customField: 'city', type: 'text', operator: 'equals', value: 'TOKYO' },
				{ customField: 'spent', type: 'number', operator: 'gte', value: '20' },
				{
					match: 'any',
					negate: true,
					conditions: [
						{ field: 'email', operator: 'endsWith', value: '@spam.test' },
						{ list: ids.blocked, operator: 'isOn' },
					],
				},
			],
		});
		expect(result.json('Get Segment')[0]).toMatchObject({ id: created.id, name: 'Tokyo buyers', subscribers: 4 });
		expect(result.json('Rename Segment')[0]).toMatchObject({ id: created.id, name: 'Tokyo spenders' });
		expect(result.json('Count Inline')).toEqual([{ count: 4 }]);
		expect(result.json('Get Many Saved').map((row) => row.email)).toEqual(['ann@example.com', 'chie@example.com']);
		expect(result.json('Export JSON')[0]).toMatchObject({ rows: 2 });
		const csv = storedBinary(n8n.userFolder, String(result.items('Export JSON')[0].binary!.data.id)).toString('utf8');
		expect(csv).toMatch(/bob@example\.com/);
		expect(csv).toMatch(/eve@example\.com/);
		expect(csv).not.toMatch(/ann@/);
		expect(result.json('Bad Condition')[0].error).toBe(
			"Item 1: The segment is not valid: Condition 2: the operator 'contains' does not apply to a date condition; choose one of: is after, is before, is within the last n days, is between, is empty, is not empty",
		);
		expect(result.json('Get Many Segments')).toEqual([expect.objectContaining({ name: 'Tokyo spenders', subscribers: 4 })]);
		expect(result.json('Delete Segment')[0]).toEqual({ deleted: true, id: created.id, name: 'Tokyo spenders' });

		const store = await openStore(storeConfig);
		try {
			expect(await store.getSegments()).toEqual([]);
			const audit = await store.getAuditLog({ entityId: String(created.id) }, { limit: 50 });
			const segmentEntries = audit.items.filter((entry) => entry.action.startsWith('segment.'));
			expect(segmentEntries.map((entry) => entry.action).sort()).toEqual(['segment.create', 'segment.delete', 'segment.rename']);
			expect(segmentEntries[0].actor).toMatchObject({ type: 'n8n' });
		} finally {
			await store.close();
		}
	});

	it('Create with two lists and a segment mails each person once; Create Follow-Up mails only those who did not open', async () => {
		const before = smtp.messages.length;
		const first = await n8n.execute('wfSegCampaign1');
		const campaign = first.json('Create Campaign')[0];
		expect(campaign).toMatchObject({ id: '1', name: 'Tokyo news' });
		expect((campaign.audience as { listIds: string[] }).listIds).toEqual([ids.customers, ids.newsletter]);
		const firstMessages = smtp.messages.slice(before);
		const firstTo = firstMessages.map((message) => message.to[0].toLowerCase()).sort();
		// Tokyo in any case, across both lists; Ann (on both: the domain's case does not matter) once, with her Customers row
		expect(firstTo).toEqual(['ann@example.com', 'chie@example.com', 'dan@spam.test', 'eve@example.com', 'fumi@example.com', 'gen@example.com']);
		expect(first.json('Send')[0]).toMatchObject({ status: 'finished', sentThisRun: 6 });
		const toAnn = firstMessages.find((message) => message.to[0].toLowerCase() === 'ann@example.com')!;
		expect((await parseMessage(toAnn)).subject).toBe('News for Ann (customer)');

		// Ann and Eve open it; the follow-up goes to the other four.
		const store = await openStore(storeConfig);
		try {
			const sent = await getRecipients(store, '1', { limit: 50 });
			for (const entry of sent.items) {
				if (/^(ann|eve)@/i.test(entry.email ?? '')) {
					await recordCampaignEvent(store, { campaignId: '1', subscriberId: entry.subscriberId, type: 'opened' });
				}
			}
		} finally {
			await store.close();
		}
		const mid = smtp.messages.length;
		const second = await n8n.execute('wfSegFollowUp1');
		const followUp = second.json('Create Follow-Up')[0];
		expect(followUp).toMatchObject({ name: 'Tokyo news — reminder' });
		expect(second.json('Send Follow-Up')[0]).toMatchObject({ status: 'finished', sentThisRun: 4 });
		const again = smtp.messages.slice(mid).map((message) => message.to[0].toLowerCase()).sort();
		expect(again).toEqual(['chie@example.com', 'dan@spam.test', 'fumi@example.com', 'gen@example.com']);
		expect((await parseMessage(smtp.messages[mid])).subject).toMatch(/^Did you miss this, /);

		const check = await openStore(storeConfig);
		try {
			const stored = await getCampaign(check, String(followUp.id));
			expect(stored?.audience.followUp).toEqual({ campaignId: '1', unless: 'opened', opens: 'any' });
		} finally {
			await check.close();
		}
	});
});
