/** Segment → Create: a name and conditions (builder or JSON), validated and saved in the store. */
import { NodeOperationError, type INodeProperties } from 'n8n-workflow';

import { showFor } from '../../../shared/nodeHelpers';
import { segmentProperties } from '../../../shared/segmentFields';
import { readSegment } from '../../../shared/segmentParameters';
import type { OperationContext, OperationResult } from '../common';
import { segmentJson } from './common';

export const description: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Tokyo buyers',
		displayOptions: showFor('segment', ['create']),
	},
	...segmentProperties({ show: { resource: ['segment'], operation: ['create'] } }, {
		optional: false,
		saved: false,
		description: 'How the conditions are given',
	}),
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const name = op.ctx.getNodeParameter('name', op.itemIndex) as string;
	const chosen = await readSegment(op.ctx, op.itemIndex, op.store);
	if (!chosen) {
		throw new NodeOperationError(op.ctx.getNode(), 'Define the segment with the fields below or as JSON', { itemIndex: op.itemIndex });
	}
	const segment = await op.store.createSegment({ name, definition: chosen.definition }, op.actor);
	return segmentJson(op, segment, true);
}
