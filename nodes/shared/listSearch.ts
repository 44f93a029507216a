/**
 * The pickers' searches (listSearch methods) over the node's subscriber store: lists by name,
 * campaigns by name. Each search opens the store, reads one page and closes it again. The
 * helpers below are shared with the condition builder's pickers (segmentMethods.ts).
 */
import {
	NodeOperationError,
	type ILoadOptionsFunctions,
	type INodeListSearchResult,
	type INodePropertyOptions,
} from 'n8n-workflow';

import { listCampaigns } from '../../lib/campaign';
import type { Campaign, SqlSubscriberStore } from '../../lib/store';
import { openNodeStore } from './storeCredential';

const CAMPAIGN_PAGE = 100;
/** The multi-select shows this many campaigns; older ones are given by ID in an expression. */
const CAMPAIGN_OPTIONS = 500;

/** Opens the node's store for one picker call and closes it again. */
export async function withStore<T>(ctx: ILoadOptionsFunctions, use: (store: SqlSubscriberStore) => Promise<T>): Promise<T> {
	const store = await openNodeStore(ctx);
	try {
		return await use(store);
	} finally {
		await store.close();
	}
}

/**
 * `withStore`, where a failing read says what could not be listed ("Cannot list the campaigns:
 * …"); a store that does not open keeps its own message pointing at the credential.
 */
export async function listFromStore<T>(
	ctx: ILoadOptionsFunctions,
	what: string,
	read: (store: SqlSubscriberStore) => Promise<T>,
): Promise<T> {
	return withStore(ctx, read).catch((error: Error) => {
		if (error instanceof NodeOperationError) throw error;
		throw new NodeOperationError(ctx.getNode(), `Cannot list the ${what}: ${error.message}`);
	});
}

/** The items whose name contains the search text (case-insensitive); all of them without one. */
export function filterByName<T extends { name: string }>(items: T[], filter: string | undefined): T[] {
	const wanted = filter?.trim().toLowerCase();
	return wanted ? items.filter((item) => item.name.toLowerCase().includes(wanted)) : items;
}

/** A campaign as a picker entry: its name, ID and status, valued by its ID. */
export function campaignOption(campaign: Pick<Campaign, 'id' | 'name' | 'status'>): INodePropertyOptions & { value: string } {
	return { name: `${campaign.name} (#${campaign.id}, ${campaign.status})`, value: campaign.id };
}

export async function searchLists(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const lists = await withStore(this, async (store) => store.getLists());
	return { results: filterByName(lists, filter).map((list) => ({ name: list.name, value: list.id })) };
}

export async function searchCampaigns(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const page = await listFromStore(this, 'campaigns', async (store) =>
		listCampaigns(store, { limit: CAMPAIGN_PAGE, cursor: paginationToken ?? null }),
	);
	return {
		results: filterByName(page.items, filter).map(campaignOption),
		paginationToken: page.next ?? undefined,
	};
}

/** Campaigns as options of a multi-select (Compare), in ID order; beyond the first page, give IDs in an expression. */
export async function getCampaignOptions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const page = await listFromStore(this, 'campaigns', async (store) => listCampaigns(store, { limit: CAMPAIGN_OPTIONS }));
	return page.items.map(campaignOption);
}
