/**
 * Subscriber List as an AI tool (issue 16): n8n makes a tool variant of a node with usableAsTool
 * (its name ends in "Tool"); the variant must not offer the operations that destroy data for
 * good, and a tool run must refuse them. Also the pickers' searches over a real store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeHelpers, type ILoadOptionsFunctions, type INodeProperties, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import { createCampaign } from '../../lib/campaign';
import { openStore } from '../../lib/store';
import { getCampaignOptions, searchCampaigns, searchLists } from '../../nodes/shared/listSearch';
import { getSegmentCampaigns, searchSegments } from '../../nodes/shared/segmentMethods';
import { SubscriberList } from '../../nodes/SubscriberList/SubscriberList.node';
import { runNode } from '../helpers/n8nMock';

const IRREVERSIBLE: Record<string, string[]> = {
	list: ['delete'],
	subscriber: ['erase', 'purgeUnconfirmed'],
	store: ['eraseList'],
};

/** The operation values n8n shows for a resource, as the node or as its tool variant. */
function shownOperations(description: INodeTypeDescription, resource: string): string[] {
	const shown = description.properties.filter(
		(property) =>
			property.name === 'operation' &&
			NodeHelpers.displayParameter({ resource }, property, { typeVersion: 1 }, description),
	);
	expect(shown).toHaveLength(1);
	return ((shown[0] as INodeProperties).options ?? []).map((option) => String((option as { value: unknown }).value));
}

describe('Subscriber List as an AI tool', () => {
	const node = new SubscriberList();
	const asNode = node.description;
	// what n8n's tool generation does to the description (name + 'Tool'), enough for display rules
	const asTool = { ...asNode, name: `${asNode.name}Tool` } as INodeTypeDescription;

	test('is usable as a tool', () => {
		expect(asNode.usableAsTool).toBe(true);
	});

	test.each(Object.keys(IRREVERSIBLE))('the tool variant leaves out the irreversible %s operations', (resource) => {
		const all = shownOperations(asNode, resource);
		const forTools = shownOperations(asTool, resource);
		for (const operation of IRREVERSIBLE[resource]) {
			expect(all).toContain(operation);
			expect(forTools).not.toContain(operation);
		}
		expect(forTools).toEqual(all.filter((operation) => !IRREVERSIBLE[resource].includes(operation)));
	});

	test('a tool run refuses an irreversible operation before touching the store', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'bulk-mail-tool-'));
		const previous = process.env.BULK_MAIL_STORE_DIR;
		process.env.BULK_MAIL_STORE_DIR = dir;
		try {
			const store = await openStore({ backend: 'sqlite', file: 'tool.sqlite', baseDir: dir });
			const list = await store.createList({ name: 'Keep' }, { type: 'test', id: 't' });
			const added = await store.upsertSubscriber(list.id, { email: 'keep@example.com' }, {}, { type: 'test', id: 't' });
			await store.close();
			// the node as n8n runs its tool variant: same class, type name ending in "Tool"
			const tool = { description: asTool, methods: node.methods, execute: node.execute } as INodeType;
			const error = await runNode(tool, {
				credentials: { bulkMailSubscriberStoreApi: { backend: 'sqlite', file: 'tool.sqlite' } },
				parameters: { resource: 'subscriber', operation: 'erase', subscriberId: added.subscriber!.id },
			}).then(
				() => null,
				(thrown: Error) => thrown,
			);
			expect(error?.message).toMatch(/^Item 1: The operation 'erase' destroys data for good and is not available to AI agents/);
			const after = await openStore({ backend: 'sqlite', file: 'tool.sqlite', baseDir: dir });
			expect((await after.getSubscriber({ id: added.subscriber!.id }))?.email).toBe('keep@example.com');
			await after.close();
		} finally {
			if (previous === undefined) delete process.env.BULK_MAIL_STORE_DIR;
			else process.env.BULK_MAIL_STORE_DIR = previous;
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('picker searches', () => {
	test('lists by name, campaigns by name with their ID and status', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'bulk-mail-search-'));
		const previous = process.env.BULK_MAIL_STORE_DIR;
		process.env.BULK_MAIL_STORE_DIR = dir;
		const actor = { type: 'test', id: 't' };
		try {
			const store = await openStore({ backend: 'sqlite', file: 'search.sqlite', baseDir: dir });
			const news = await store.createList({ name: 'Newsletter' }, actor);
			await store.createList({ name: 'Customers' }, actor);
			await createCampaign(
				store,
				{ name: 'June news', listId: news.id, template: { subject: 'June', html: '<p>x</p>', from: { name: '', address: 'a@example.com' } } },
				actor,
			);
			const saved = await store.createSegment({ name: 'Recent buyers', definition: { conditions: [] } }, actor);
			await store.createSegment({ name: 'Lapsed', definition: { conditions: [] } }, actor);
			await store.close();
			const ctx = {
				getNode: () => ({ name: 'Subscriber List', type: 'n8n-nodes-bulk-mail.subscriberList', typeVersion: 1, parameters: {} }),
				getCredentials: async () => ({ backend: 'sqlite', file: 'search.sqlite' }),
			} as unknown as ILoadOptionsFunctions;
			expect((await searchLists.call(ctx)).results.map((result) => result.name)).toEqual(['Newsletter', 'Customers']);
			expect((await searchLists.call(ctx, 'NEWS')).results).toEqual([{ name: 'Newsletter', value: news.id }]);
			const campaigns = await searchCampaigns.call(ctx, 'june');
			expect(campaigns.results).toEqual([{ name: expect.stringMatching(/^June news \(#\d+, draft\)$/), value: expect.any(String) }]);
			expect((await searchCampaigns.call(ctx, 'nothing')).results).toEqual([]);
			expect(await getCampaignOptions.call(ctx)).toEqual(campaigns.results);
			expect(await getSegmentCampaigns.call(ctx)).toEqual(campaigns.results);
			expect((await searchSegments.call(ctx, ' BUYERS ')).results).toEqual([{ name: 'Recent buyers', value: saved.id }]);
			expect((await searchSegments.call(ctx)).results.map((result) => result.name).sort()).toEqual(['Lapsed', 'Recent buyers']);
		} finally {
			if (previous === undefined) delete process.env.BULK_MAIL_STORE_DIR;
			else process.env.BULK_MAIL_STORE_DIR = previous;
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
