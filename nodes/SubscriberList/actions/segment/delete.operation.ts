/** Segment → Delete: removes the saved segment (audited); subscribers and campaigns are untouched. */
import type { INodeProperties } from 'n8n-workflow';

import type { OperationContext, OperationResult } from '../common';
import { requireSegment, segmentField } from './common';

export const description: INodeProperties[] = [segmentField('delete')];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const segment = await requireSegment(op);
	const result = await op.store.deleteSegment(segment.id, op.actor);
	return { deleted: result.deleted, id: segment.id, name: segment.name };
}
