/**
 * Campaign → Get Many: the store's campaigns (in ID order), optionally only some statuses and
 * only those finished after a time — e.g. "every campaign finished in the last day" for a daily
 * report. One item per campaign (without its template).
 */
import type { INodeProperties } from 'n8n-workflow';

import { CAMPAIGN_STATUSES, listCampaigns, type Campaign, type CampaignStatus } from '../../../../lib/campaign';
import { item, itemError, returnAllAndLimit, showFor } from '../../../shared/nodeHelpers';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignJson, text } from './common';

const PAGE = 500;

export const description: INodeProperties[] = [
	...returnAllAndLimit('campaign', 'getMany'),
	{
		displayName: 'Filters',
		name: 'campaignFilters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: showFor('campaign', ['getMany']),
		options: [
			{
				displayName: 'Finished After',
				name: 'finishedAfter',
				type: 'dateTime',
				default: '',
				description: 'Only campaigns that finished after this time (e.g. {{ $now.minus({ days: 1 }) }} for the last day)',
			},
			{
				displayName: 'Statuses',
				name: 'statuses',
				type: 'multiOptions',
				options: CAMPAIGN_STATUSES.map((status) => ({ name: status.charAt(0).toUpperCase() + status.slice(1), value: status })),
				default: [],
				description: 'Only campaigns in these statuses (none: all)',
			},
		],
	},
];

function finishedAfterOf(op: OperationContext, itemIndex: number, value: unknown): number | null {
	const raw = text(value).trim();
	if (!raw) return null;
	const at = Date.parse(raw);
	if (Number.isNaN(at)) {
		throw itemError(op.ctx.getNode(), itemIndex, `'Finished After' is not a date and time: '${raw}'`, 'Use an ISO 8601 time such as 2026-12-01T00:00:00Z, or an expression such as {{ $now.minus({ days: 1 }) }}.');
	}
	return at;
}

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx } = op;
	const filters = ctx.getNodeParameter('campaignFilters', itemIndex, {}) as { statuses?: CampaignStatus[]; finishedAfter?: unknown };
	const after = finishedAfterOf(op, itemIndex, filters.finishedAfter);
	const returnAll = ctx.getNodeParameter('returnAll', itemIndex, false) === true;
	const limit = returnAll ? Infinity : Number(ctx.getNodeParameter('limit', itemIndex, 50));
	const status = filters.statuses?.length ? filters.statuses : undefined;
	const store = await op.resources.store();
	const found: Campaign[] = [];
	let cursor: string | null = null;
	do {
		const page = await listCampaigns(store, { status, limit: PAGE, cursor });
		for (const campaign of page.items) {
			if (after !== null && !(campaign.finishedAt && Date.parse(campaign.finishedAt) > after)) continue;
			found.push(campaign);
			if (found.length >= limit) break;
		}
		cursor = found.length >= limit ? null : page.next;
	} while (cursor);
	return [found.map((campaign) => item(campaignJson(campaign), itemIndex)), []];
}
