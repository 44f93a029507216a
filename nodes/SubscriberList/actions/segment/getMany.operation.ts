/** Segment → Get Many: every saved segment (the counts only with the option: each is a query). */
import type { INodeProperties } from 'n8n-workflow';

import { showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';
import { segmentJson } from './common';

export const description: INodeProperties[] = [
	{
		displayName: 'Include Subscriber Counts',
		name: 'includeCounts',
		type: 'boolean',
		default: false,
		description: 'Whether to count the subscribers each segment selects now (one query per segment)',
		displayOptions: showFor('segment', ['getMany']),
	},
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const withCount = op.ctx.getNodeParameter('includeCounts', op.itemIndex, false) as boolean;
	const segments = await op.store.getSegments();
	const results = [];
	for (const segment of segments) results.push(await segmentJson(op, segment, withCount));
	return results;
}
