/**
 * The condition builder's pickers (loadOptions) and the saved-segment search (listSearch),
 * shared by Subscriber List and Bulk Send. The operator list needs no store: it follows the
 * condition's own field, read with n8n's `&` path (a sibling in the same fixedCollection entry).
 */
import type { ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';

import { listCampaigns } from '../../lib/campaign';
import type { SqlSubscriberStore } from '../../lib/store';
import { campaignOption, filterByName, listFromStore, withStore } from './listSearch';
import { FIELD_CHOICES, OPERATOR_CHOICES, fieldKind } from './segmentParameters';

/** Subscriber rows read to find custom field names (the store has no field catalogue yet). */
const FIELD_SAMPLE_ROWS = 2000;
const PAGE = 500;

/** The custom field names seen on the first rows of the store, sorted. */
export async function knownCustomFields(store: Pick<SqlSubscriberStore, 'getSubscribers'>): Promise<string[]> {
	const names = new Set<string>();
	let cursor: string | null = null;
	let read = 0;
	do {
		const page = await store.getSubscribers({ includeTrashed: true }, { limit: PAGE, cursor });
		for (const subscriber of page.items) for (const name of Object.keys(subscriber.fields ?? {})) names.add(name);
		read += page.items.length;
		cursor = page.next;
	} while (cursor && read < FIELD_SAMPLE_ROWS);
	return [...names].sort((a, b) => a.localeCompare(b));
}

/** Built-in fields, membership and engagement, then the store's custom fields. */
export async function getSegmentFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const fixed = FIELD_CHOICES.map(({ kind: _kind, ...choice }) => choice);
	let custom: string[] = [];
	try {
		custom = await withStore(this, knownCustomFields);
	} catch {
		// No credential yet, or the store is down: the built-in choices and "enter a name" still work.
	}
	const other = fixed.pop() as INodePropertyOptions;
	return [
		...fixed,
		...custom.map((name) => ({ name: `Custom Field: ${name}`, value: `custom:${name}` })),
		other,
	];
}

/** The operators of the condition's field (text, number, date, list, campaign, activity). */
export async function getSegmentOperators(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const field = String(this.getCurrentNodeParameter('&field') ?? 'email');
	const compareAs = this.getCurrentNodeParameter('&compareAs');
	return OPERATOR_CHOICES[fieldKind(field, compareAs) ?? 'text'];
}

export async function getSegmentLists(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const lists = await withStore(this, async (store) => store.getLists());
	return lists.map((list) => ({ name: list.name, value: list.id }));
}

export async function getSegmentCampaigns(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const page = await withStore(this, async (store) => listCampaigns(store, { limit: 200 }));
	return page.items.map(campaignOption);
}

export async function searchSegments(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const segments = await listFromStore(this, 'saved segments', async (store) => store.getSegments());
	return { results: filterByName(segments, filter).map((segment) => ({ name: segment.name, value: segment.id })) };
}

/** Everything a node with the condition builder adds to its `methods`. */
export const segmentLoadOptions = { getSegmentFields, getSegmentOperators, getSegmentLists, getSegmentCampaigns };
export const segmentListSearch = { searchSegments };
