import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';

import type { SubscriberStatus } from '../../../../lib/store';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { parseCustomFields, statusOptions, subscriberIdOf, type OperationContext, type OperationResult } from '../common';
import { subscriberIdField } from './setStatus';

export const description: INodeProperties[] = [
	subscriberIdField('update'),
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: showFor('subscriber', ['update']),
		options: [
			{
				displayName: 'Confirm Consent to Reactivate',
				name: 'allowReactivate',
				type: 'boolean',
				default: false,
				description: 'Whether the person has freshly consented, when the status becomes active again',
			},
			{ displayName: 'Custom Fields (JSON)', name: 'customFields', type: 'json', default: '{}' },
			{ displayName: 'E-Mail', name: 'email', type: 'string', placeholder: 'e.g. nathan@example.com', default: '' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '' },
			{
				displayName: 'Replace Custom Fields',
				name: 'replaceFields',
				type: 'boolean',
				default: false,
				description: 'Whether to replace all custom fields instead of merging into them',
			},
			{ displayName: 'Status', name: 'status', type: 'options', options: statusOptions, default: 'active' },
		],
	},];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const fields = op.ctx.getNodeParameter('updateFields', op.itemIndex, {}) as IDataObject;
	if (!Object.keys(fields).length) {
		throw new NodeOperationError(op.ctx.getNode(), 'Nothing to update: add at least one field under "Update Fields"', { itemIndex: op.itemIndex });
	}
	const update = {
		email: fields.email === undefined ? undefined : String(fields.email),
		name: fields.name === undefined ? undefined : String(fields.name),
		fields: parseCustomFields(op, fields.customFields),
		replaceFields: fields.replaceFields === true,
		status: fields.status as SubscriberStatus | undefined,
		allowReactivate: fields.allowReactivate === true,
	};
	return jsonCopy(await op.store.updateSubscriber(subscriberIdOf(op), update, op.actor));
}
