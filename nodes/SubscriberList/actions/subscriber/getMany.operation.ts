import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { jsonCopy, returnAllAndLimit } from '../../../shared/nodeHelpers';
import { filterFromParameters, filtersField, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [
	...returnAllAndLimit('subscriber', 'getMany'),
	filtersField('subscriber', 'getMany'),
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const filter = await filterFromParameters(op);
	const returnAll = op.ctx.getNodeParameter('returnAll', op.itemIndex, false) as boolean;
	const limit = returnAll ? Infinity : (op.ctx.getNodeParameter('limit', op.itemIndex, 50) as number);
	const results: IDataObject[] = [];
	let cursor: string | null = null;
	do {
		const page = await op.store.getSubscribers(filter, { limit: Math.min(1000, limit - results.length), cursor });
		results.push(...page.items.map((subscriber) => jsonCopy(subscriber)));
		cursor = page.next;
	} while (cursor && results.length < limit);
	return results;
}
