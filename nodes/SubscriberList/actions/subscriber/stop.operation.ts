import type { INodeProperties } from 'n8n-workflow';

import type { OperationContext, OperationResult } from '../common';
import { setStatus, subscriberIdField } from './setStatus';

export const description: INodeProperties[] = [subscriberIdField('stop')];

/** Pauses mailing the subscriber (an operator decision). */
export async function execute(op: OperationContext): Promise<OperationResult> {
	return setStatus(op, 'stopped');
}
