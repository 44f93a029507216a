import { NodeOperationError, type INodeProperties } from 'n8n-workflow';

import { listLocator } from '../../../shared/locators';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { requireList, subscriberIdOf, type OperationContext, type OperationResult } from '../common';
import { subscriberIdField } from './setStatus';

const byEmail = { show: { resource: ['subscriber'], operation: ['get'], findBy: ['email'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		options: [
			{ name: 'ID', value: 'id' },
			{ name: 'E-Mail and List', value: 'email' },
		],
		default: 'id',
		displayOptions: showFor('subscriber', ['get']),
	},
	subscriberIdField('get', { findBy: ['id'] }),
	listLocator({ displayName: 'List', name: 'list', required: true, displayOptions: byEmail }),
	{
		displayName: 'E-Mail',
		name: 'email',
		type: 'string',
		placeholder: 'e.g. nathan@example.com',
		required: true,
		default: '',
		displayOptions: byEmail,
	},
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const findBy = op.ctx.getNodeParameter('findBy', op.itemIndex, 'id') as string;
	if (findBy === 'email') {
		const list = await requireList(op);
		const email = op.ctx.getNodeParameter('email', op.itemIndex) as string;
		const found = await op.store.getSubscriber({ listId: list.id, email });
		if (!found) throw new NodeOperationError(op.ctx.getNode(), `'${email}' is not on list '${list.name}'`, { itemIndex: op.itemIndex });
		return jsonCopy(found);
	}
	const id = subscriberIdOf(op);
	const found = await op.store.getSubscriber({ id });
	if (!found) throw new NodeOperationError(op.ctx.getNode(), `There is no subscriber with ID ${id}`, { itemIndex: op.itemIndex });
	return jsonCopy(found);
}
