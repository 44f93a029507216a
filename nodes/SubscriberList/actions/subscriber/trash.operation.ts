import type { INodeProperties } from 'n8n-workflow';

import type { OperationContext, OperationResult } from '../common';
import { setStatus, subscriberIdField } from './setStatus';

export const description: INodeProperties[] = [subscriberIdField('trash')];

/** Moves the subscriber to the trash. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	return setStatus(op, 'trashed');
}
