import type { INodeProperties } from 'n8n-workflow';

import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Newsletter',
		displayOptions: showFor('list', ['create']),
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		default: '',
		displayOptions: showFor('list', ['create']),
	},
];

export async function execute({ ctx, store, itemIndex, actor }: OperationContext): Promise<OperationResult> {
	const name = ctx.getNodeParameter('name', itemIndex) as string;
	const listDescription = ctx.getNodeParameter('description', itemIndex, '') as string;
	return jsonCopy(await store.createList({ name, description: listDescription }, actor));
}
