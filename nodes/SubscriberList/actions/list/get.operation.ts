import type { INodeProperties } from 'n8n-workflow';

import { jsonCopy } from '../../../shared/nodeHelpers';
import { listField, requireList, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [listField('list', ['get'])];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const list = await requireList(op);
	const subscribers = await op.store.countSubscribers({ listId: list.id });
	return { ...jsonCopy(list), subscribers };
}
