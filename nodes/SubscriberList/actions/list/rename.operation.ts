import type { INodeProperties } from 'n8n-workflow';

import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { listField, requireList, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [
	listField('list', ['rename']),
	{
		displayName: 'New Name',
		name: 'newName',
		type: 'string',
		required: true,
		default: '',
		displayOptions: showFor('list', ['rename']),
	},
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const list = await requireList(op);
	const newName = op.ctx.getNodeParameter('newName', op.itemIndex) as string;
	return jsonCopy(await op.store.renameList(list.id, newName, op.actor));
}
