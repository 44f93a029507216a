/** Campaign → Get Recipients: each recipient's state from the send log, page by page. */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { getRecipients, RECIPIENT_STATES, type RecipientState } from '../../../../lib/campaign';
import { item, jsonCopy, returnAllAndLimit, showFor } from '../../../shared/nodeHelpers';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, text } from './common';

const stateOptions: INodePropertyOptions[] = RECIPIENT_STATES.map((state) => ({
	name: state.charAt(0).toUpperCase() + state.slice(1),
	value: state,
}));

const RECIPIENT_PAGE = 1000;

export const description: INodeProperties[] = [
	campaignField('getRecipients'),
	{
		displayName: 'Recipient States',
		name: 'states',
		type: 'multiOptions',
		options: stateOptions,
		default: [],
		description: 'Only recipients in these states (none: all)',
		displayOptions: showFor('campaign', ['getRecipients']),
	},
	...returnAllAndLimit('campaign', 'getRecipients'),
	{
		displayName: 'Page Cursor',
		name: 'cursor',
		type: 'string',
		default: '',
		description:
			'Continue after a previous page: the nextCursor of its items. Empty: from the first recipient.',
		displayOptions: showFor('campaign', ['getRecipients'], { returnAll: [false] }),
	},
];

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx } = op;
	const id = campaignIdOf(op, itemIndex);
	const store = await op.resources.store();
	const states = ctx.getNodeParameter('states', itemIndex, []) as RecipientState[];
	const state = states.length ? states : undefined;
	const output: NodeOutput = [[], []];
	if (ctx.getNodeParameter('returnAll', itemIndex, false) === true) {
		let cursor: string | null = null;
		do {
			const page = await getRecipients(store, id, { state, limit: RECIPIENT_PAGE, cursor });
			for (const entry of page.items) output[0].push(item(jsonCopy(entry), itemIndex));
			cursor = page.next;
		} while (cursor);
		return output;
	}
	const limit = Number(ctx.getNodeParameter('limit', itemIndex, 50));
	const cursor = text(ctx.getNodeParameter('cursor', itemIndex, '')).trim() || null;
	const page = await getRecipients(store, id, { state, limit, cursor });
	for (const entry of page.items) output[0].push(item({ ...jsonCopy(entry), nextCursor: page.next }, itemIndex));
	return output;
}
