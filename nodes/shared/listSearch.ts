/**
 * The pickers' searches (listSearch methods) over the node's subscriber store: lists by name,
 * campaigns by name. Each search opens the store, reads one page and closes it again.
 */
import {
	NodeOperationError,
	type ILoadOptionsFunctions,
	type INodeListSearchResult,
	type INodePropertyOptions,
} from 'n8n-workflow';

import { listCampaigns } from '../../lib/campaign';
import type { SqlSubscriberStore } from '../../lib/store';
import { openNodeStore } from './storeCredential';

const CAMPAIGN_PAGE = 100;
/** The multi-select shows this many campaigns; older ones are given by ID in an expression. */
const CAMPAIGN_OPTIONS = 500;

async function withStore<T>(ctx: ILoadOptionsFunctions, use: (store: SqlSubscriberStore) => Promise<T>): Promise<T> {
	const store = await openNodeStore(ctx);
	try {
		return await use(store);
	} finally {
		await store.close();
	}
}

function matches(name: string, filter: string | undefined): boolean {
	return !filter || name.toLowerCase().includes(filter.trim().toLowerCase());
}

export async function searchLists(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const lists = await withStore(this, async (store) => store.getLists());
	return {
		results: lists
			.filter((list) => matches(list.name, filter))
			.map((list) => ({ name: list.name, value: list.id })),
	};
}

export async function searchCampaigns(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const page = await withStore(this, async (store) =>
		listCampaigns(store, { limit: CAMPAIGN_PAGE, cursor: paginationToken ?? null }),
	).catch((error: Error) => {
		if (error instanceof NodeOperationError) throw error;
		throw new NodeOperationError(this.getNode(), `Cannot list the campaigns: ${error.message}`);
	});
	return {
		results: page.items
			.filter((campaign) => matches(campaign.name, filter))
			.map((campaign) => ({ name: `${campaign.name} (#${campaign.id}, ${campaign.status})`, value: campaign.id })),
		paginationToken: page.next ?? undefined,
	};
}

/** Campaigns as options of a multi-select (Compare), in ID order; beyond the first page, give IDs in an expression. */
export async function getCampaignOptions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const page = await withStore(this, async (store) => listCampaigns(store, { limit: CAMPAIGN_OPTIONS })).catch((error: Error) => {
		if (error instanceof NodeOperationError) throw error;
		throw new NodeOperationError(this.getNode(), `Cannot list the campaigns: ${error.message}`);
	});
	return page.items.map((campaign) => ({ name: `${campaign.name} (#${campaign.id}, ${campaign.status})`, value: campaign.id }));
}
