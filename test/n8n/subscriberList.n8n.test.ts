/**
 * The Subscriber List node inside a real n8n 2.40.7, with the package installed the way n8n's
 * community installer does it: create a list, upsert subscribers, read them back — on both stores.
 */
import path from 'node:path';
import { openStore } from '../../lib/store/openStore';
import { BACKENDS, PG_CONNECTION, storeFixture, type Backend } from '../helpers/stores';
import { createN8nInstance, type N8nInstance, type WorkflowInput } from './harness';

jest.setTimeout(240_000);

const NODE = 'n8n-nodes-bulk-mail.subscriberList';
const cred = { bulkMailSubscriberStoreApi: { id: 'storeCred1', name: 'Store' } };
const people = [
	{ email: 'ann@example.com', name: 'Ann', city: 'Osaka' },
	{ email: 'bob@example.com', name: 'Bob', city: 'Kyoto' },
	{ email: 'Chie@Example.JP', name: '千恵', city: '東京' },
];

function workflow(id: string): WorkflowInput {
	return {
		id,
		name: 'Subscriber List round trip',
		nodes: [
			{ id: 'a', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'b',
				name: 'Create List',
				type: NODE,
				typeVersion: 1,
				position: [200, 0],
				credentials: cred,
				parameters: { resource: 'list', operation: 'create', name: 'Newsletter', description: 'weekly' },
			},
			{
				id: 'c',
				name: 'People',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [400, 0],
				parameters: { mode: 'raw', jsonOutput: JSON.stringify({ people }), options: {} },
			},
			{
				id: 'd',
				name: 'Split',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [600, 0],
				parameters: { fieldToSplitOut: 'people', options: {} },
			},
			{
				id: 'e',
				name: 'Upsert',
				type: NODE,
				typeVersion: 1,
				position: [800, 0],
				credentials: cred,
				parameters: {
					resource: 'subscriber',
					operation: 'upsert',
					list: 'Newsletter',
					email: '={{ $json.email }}',
					name: '={{ $json.name }}',
					customFields: '={{ JSON.stringify({ city: $json.city }) }}',
					upsertOptions: { source: 'n8n-test' },
				},
			},
			{
				id: 'f',
				name: 'Read Back',
				type: NODE,
				typeVersion: 1,
				position: [1000, 0],
				executeOnce: true,
				credentials: cred,
				parameters: { resource: 'subscriber', operation: 'getMany', returnAll: true, filters: { list: 'Newsletter' } },
			},
		],
		connections: {
			Start: { main: [[{ node: 'Create List', type: 'main', index: 0 }]] },
			'Create List': { main: [[{ node: 'People', type: 'main', index: 0 }]] },
			People: { main: [[{ node: 'Split', type: 'main', index: 0 }]] },
			Split: { main: [[{ node: 'Upsert', type: 'main', index: 0 }]] },
			Upsert: { main: [[{ node: 'Read Back', type: 'main', index: 0 }]] },
		},
		settings: {},
	};
}

describe.each(BACKENDS)('Subscriber List in real n8n (%s store)', (backend: Backend) => {
	let n8n: N8nInstance;
	const pgFixture = backend === 'postgres' ? storeFixture('postgres') : undefined;

	beforeAll(async () => {
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		const data =
			backend === 'sqlite'
				? { backend: 'sqlite', file: 'round-trip.sqlite', signingSecret: 'a-test-secret-of-32-characters!!' }
				: {
						backend: 'postgres',
						...PG_CONNECTION,
						ssl: 'disable',
						schema: (pgFixture!.config as { schema: string }).schema,
						signingSecret: 'a-test-secret-of-32-characters!!',
					};
		await n8n.importCredentials([{ id: 'storeCred1', name: 'Store', type: 'bulkMailSubscriberStoreApi', data }]);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await pgFixture?.cleanup();
	});

	it('loads the package, creates a list, upserts subscribers and reads them back', async () => {
		expect(await n8n.nodeTypes()).toContain(NODE);
		await n8n.importWorkflow(workflow('wfSubList1'));
		const result = await n8n.execute('wfSubList1');

		expect(result.json('Create List')[0]).toMatchObject({ name: 'Newsletter', description: 'weekly' });
		const upserted = result.json('Upsert');
		expect(upserted.map((i) => i.outcome)).toEqual(['created', 'created', 'created']);
		const read = result.json('Read Back');
		expect(read.map((i) => i.email)).toEqual(people.map((p) => p.email));
		expect(read[2]).toMatchObject({ name: '千恵', fields: { city: '東京' }, status: 'active', source: 'n8n-test' });

		// The store itself holds the rows and the audit trail names the workflow.
		const store = await openStore(
			backend === 'sqlite'
				? { backend: 'sqlite', file: 'round-trip.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') }
				: pgFixture!.config,
		);
		try {
			expect(await store.countSubscribers({})).toBe(3);
			const audit = await store.getAuditLog({ action: 'subscriber.create' }, { limit: 10 });
			expect(audit.items).toHaveLength(3);
			expect(audit.items[0].actor).toMatchObject({ type: 'n8n', name: expect.stringContaining('Upsert') });
		} finally {
			await store.close();
		}

		// A second run: the list exists (clear error naming the item), nothing is duplicated.
		const second = await n8n.execute('wfSubList1', { allowFailure: true });
		expect(JSON.stringify(second.error ?? second)).toMatch(/Item 1: A list named 'Newsletter' already exists/);
	});
});
