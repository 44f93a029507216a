import type { INodeProperties } from 'n8n-workflow';

import { showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';
import { setStatus, subscriberIdField } from './setStatus';

export const description: INodeProperties[] = [
	subscriberIdField('reactivate'),
	{
		displayName: 'Confirm Consent',
		name: 'consent',
		type: 'boolean',
		default: false,
		description:
			'Whether the person has freshly consented; required to reactivate an unsubscribed, bounced or complained address',
		displayOptions: showFor('subscriber', ['reactivate']),
	},
];

/** Makes the subscriber active again; an opted-out address needs explicit consent. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	return setStatus(op, 'active', op.ctx.getNodeParameter('consent', op.itemIndex, false) as boolean);
}
