/** Segment → Get: a saved segment with how many subscriber rows it selects now. */
import type { INodeProperties } from 'n8n-workflow';

import type { OperationContext, OperationResult } from '../common';
import { requireSegment, segmentField, segmentJson } from './common';

export const description: INodeProperties[] = [segmentField('get')];

export async function execute(op: OperationContext): Promise<OperationResult> {
	return segmentJson(op, await requireSegment(op), true);
}
