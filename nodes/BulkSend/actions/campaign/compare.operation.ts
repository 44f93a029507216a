/**
 * Campaign → Compare: the same headline figures and rates for several campaigns, one item each
 * (in the order given), ready for a sheet or a chart. Rates are 0…1 fractions, null when there is
 * nothing to divide by; machine opens are left out as in the report.
 */
import type { INodeProperties } from 'n8n-workflow';

import { item, itemError, jsonCopy, showFor } from '../../../shared/nodeHelpers';
import type { NodeOutput, OperationContext } from '../resources';
import { reportError } from './reportOptions';

export const description: INodeProperties[] = [
	{
		displayName: 'Campaign Names or IDs',
		name: 'campaignIds',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getCampaignOptions' },
		required: true,
		default: [],
		description:
			'Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		hint: 'One output item per campaign. In an expression: an array of IDs, or IDs separated by commas.',
		displayOptions: showFor('campaign', ['compare']),
	},
];

/** The IDs of the item: an array, or one string of IDs separated by commas or white space. */
export function campaignIdsOf(value: unknown): string[] {
	const raw = Array.isArray(value) ? value : String(value ?? '').split(/[\s,]+/);
	const ids = raw.map((id) => String(id ?? '').trim()).filter(Boolean);
	return [...new Set(ids)];
}

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx } = op;
	const ids = campaignIdsOf(ctx.getNodeParameter('campaignIds', itemIndex, []));
	if (ids.length === 0) {
		throw itemError(ctx.getNode(), itemIndex, 'no campaign to compare is given', 'Choose one or more campaigns in Campaign Names or IDs.');
	}
	const store = await op.resources.store();
	let rows;
	try {
		rows = await store.compareCampaigns(ids);
	} catch (error) {
		throw reportError(op, itemIndex, error);
	}
	return [rows.map((row) => item(jsonCopy(row), itemIndex)), []];
}
