import type { INodeProperties } from 'n8n-workflow';

import { jsonCopy } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';

export const description: INodeProperties[] = [];

export async function execute({ store }: OperationContext): Promise<OperationResult> {
	const lists = await store.getLists();
	return Promise.all(
		lists.map(async (list) => ({ ...jsonCopy(list), subscribers: await store.countSubscribers({ listId: list.id }) })),
	);
}
