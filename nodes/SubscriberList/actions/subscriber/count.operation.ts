import type { INodeProperties } from 'n8n-workflow';

import { filterFromParameters, filtersField, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [filtersField('subscriber', 'count')];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const filter = await filterFromParameters(op);
	return { count: await op.store.countSubscribers(filter) };
}
