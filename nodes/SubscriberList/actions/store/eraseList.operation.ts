/** Store → Erase List Entirely: every subscriber erased for good, then the list deleted. */
import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';

import { eraseList } from '../../../../lib/ops';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { listField, requireList, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName:
			'Every subscriber of the list is erased for good: names, addresses and custom fields are removed, only a hash stays so the addresses are never mailed again. The list is then deleted.',
		name: 'eraseNotice',
		type: 'notice',
		default: '',
		displayOptions: showFor('store', ['eraseList']),
	},
	listField('store', ['eraseList'], 'The list to erase'),
	{
		displayName: 'I Understand This Cannot Be Undone',
		name: 'confirmErase',
		type: 'boolean',
		required: true,
		default: false,
		description: 'Whether you confirm that the list and its subscribers’ personal data are to be erased for good',
		displayOptions: showFor('store', ['eraseList']),
	},
	{
		displayName: 'Options',
		name: 'eraseOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('store', ['eraseList']),
		options: [
			{
				displayName: 'Compact Store File',
				name: 'compact',
				type: 'boolean',
				default: false,
				description:
					'Whether to rebuild the SQLite file afterwards (VACUUM) so it also shrinks; rewrites the whole file and blocks other work meanwhile. Ignored on PostgreSQL.',
			},
		],
	},
];

/** Irreversible: not offered to AI agents. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	if (op.ctx.getNodeParameter('confirmErase', op.itemIndex, false) !== true) {
		throw new NodeOperationError(
			op.ctx.getNode(),
			'Erasing a list cannot be undone: turn on "I Understand This Cannot Be Undone" to go ahead',
			{ itemIndex: op.itemIndex },
		);
	}
	const list = await requireList(op);
	const options = op.ctx.getNodeParameter('eraseOptions', op.itemIndex, {}) as IDataObject;
	return jsonCopy(await eraseList(op.store, list.id, op.actor, { compact: options.compact === true }));
}
