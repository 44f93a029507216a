/** Bounce → Review Old Bounces: subscribers the old rules bounced for a block or a full mailbox. */
import { NodeOperationError, type INodeProperties } from 'n8n-workflow';

import { reviewOldBounces } from '../../../../lib/store';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Options',
		name: 'reexamineOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('bounce', ['reexamine']),
		options: [
			{
				displayName: 'List Name or ID',
				name: 'list',
				type: 'string',
				default: '',
				placeholder: 'e.g. Newsletter',
				description: 'Only this list (default: every list of the store)',
			},
			{
				displayName: 'Subscribers per Run',
				name: 'perRun',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10000 },
				default: 1000,
				description: 'How many old bounces to look at in one run; run again while the summary says more',
			},
			{
				displayName: 'Reactivate Listed',
				name: 'reactivate',
				type: 'boolean',
				default: false,
				description:
					'Whether the listed subscribers become active again (bounce counters cleared, a suppression their bounce added lifted, each change audited). Off: only list them.',
			},
		],
	},
];

/** One summary item, then one item per listed subscriber. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	const options = op.ctx.getNodeParameter('reexamineOptions', op.itemIndex, {}) as { list?: string; perRun?: number; reactivate?: boolean };
	const ref = String(options.list ?? '').trim();
	let listId: string | null = null;
	if (ref) {
		const list = await op.store.getList(ref);
		if (!list) throw new NodeOperationError(op.ctx.getNode(), `There is no list named or numbered '${ref}'`, { itemIndex: op.itemIndex });
		listId = list.id;
	}
	const result = await reviewOldBounces(op.store, { listId, limit: options.perRun, reactivate: options.reactivate === true }, op.actor);
	const { listed, ...summary } = result;
	return [{ ...jsonCopy(summary), listed: listed.length }, ...listed.map((entry) => jsonCopy(entry))];
}

