import type { INodeProperties } from 'n8n-workflow';

import { subscriberIdOf, type OperationContext, type OperationResult } from '../common';
import { subscriberIdField } from './setStatus';

export const description: INodeProperties[] = [subscriberIdField('erase')];

/** Removes the personal data for good; only a hash stays. Irreversible: not offered to AI agents. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	const id = subscriberIdOf(op);
	await op.store.eraseSubscriber(id, op.actor);
	return { erased: true, id };
}
