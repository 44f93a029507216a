/** Segment → Rename: a new name; the conditions stay as they are. */
import type { INodeProperties } from 'n8n-workflow';

import { showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';
import { requireSegment, segmentField, segmentJson } from './common';

export const description: INodeProperties[] = [
	segmentField('rename'),
	{
		displayName: 'New Name',
		name: 'newName',
		type: 'string',
		required: true,
		default: '',
		displayOptions: showFor('segment', ['rename']),
	},
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const segment = await requireSegment(op);
	const newName = op.ctx.getNodeParameter('newName', op.itemIndex) as string;
	return segmentJson(op, await op.store.renameSegment(segment.id, newName, op.actor), false);
}
