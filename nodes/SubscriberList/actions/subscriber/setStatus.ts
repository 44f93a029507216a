/** What the operations on one subscriber by ID share: the ID field, and setting a status. */
import type { INodeProperties } from 'n8n-workflow';

import type { SubscriberStatus } from '../../../../lib/store';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { subscriberIdOf, type OperationContext, type OperationResult } from '../common';

export function subscriberIdField(operation: string, extra: Record<string, unknown[]> = {}): INodeProperties {
	return {
		displayName: 'Subscriber ID',
		name: 'subscriberId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 42',
		displayOptions: showFor('subscriber', [operation], extra),
	};
}

export async function setStatus(
	op: OperationContext,
	status: SubscriberStatus,
	allowReactivate = false,
): Promise<OperationResult> {
	return jsonCopy(await op.store.setStatus(subscriberIdOf(op), status, { allowReactivate }, op.actor));
}
