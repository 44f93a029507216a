import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { SubscriberStatus, UpsertMode } from '../../../../lib/store';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { listField, parseCustomFields, requireList, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [
	listField('subscriber', ['upsert']),
	{
		displayName: 'E-Mail',
		name: 'email',
		type: 'string',
		placeholder: 'e.g. nathan@example.com',
		required: true,
		default: '',
		displayOptions: showFor('subscriber', ['upsert']),
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		description: 'Leave empty to keep the current name of an existing subscriber',
		displayOptions: showFor('subscriber', ['upsert']),
	},
	{
		displayName: 'Custom Fields (JSON)',
		name: 'customFields',
		type: 'json',
		default: '{}',
		description: 'Merged into the subscriber’s custom fields, e.g. {"city": "Osaka", "plan": "gold"}',
		displayOptions: showFor('subscriber', ['upsert']),
	},
	{
		displayName: 'Options',
		name: 'upsertOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('subscriber', ['upsert']),
		options: [
			{
				displayName: 'Confirm Consent to Reactivate',
				name: 'allowReactivate',
				type: 'boolean',
				default: false,
				description:
					'Whether the person has freshly consented, so an unsubscribed, bounced, complained or suppressed address may become active again',
			},
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				options: [
					{ name: 'Create or Update', value: 'upsert' },
					{ name: 'Create Only', value: 'createOnly' },
					{ name: 'Update Only', value: 'updateOnly' },
				],
				default: 'upsert',
			},
			{
				displayName: 'Replace Custom Fields',
				name: 'replaceFields',
				type: 'boolean',
				default: false,
				description: 'Whether to replace all custom fields instead of merging into them',
			},
			{
				displayName: 'Require Confirmation',
				name: 'requireConfirmation',
				type: 'boolean',
				default: false,
				description:
					'Whether a new subscriber starts as pending (double opt-in) and is mailed nothing but the confirmation message until they confirm. An existing active subscriber stays active; an opted-out one is not reactivated.',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'e.g. signup-form',
				description: 'Where the subscriber came from, kept with the record',
			},
			{
				displayName: 'Status for New Subscribers',
				name: 'status',
				type: 'options',
				options: [
					{ name: 'Active', value: 'active' },
					{ name: 'Pending (Needs Confirmation)', value: 'pending' },
				],
				default: 'active',
			},
		],
	},];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const list = await requireList(op);
	const { ctx, itemIndex } = op;
	const options = ctx.getNodeParameter('upsertOptions', itemIndex, {}) as IDataObject;
	const name = ctx.getNodeParameter('name', itemIndex, '') as string;
	const email = ctx.getNodeParameter('email', itemIndex) as string;
	const result = await op.store.upsertSubscriber(
		list.id,
		{
			email,
			name: name === '' ? undefined : name,
			fields: parseCustomFields(op, ctx.getNodeParameter('customFields', itemIndex, '{}')),
			status: options.requireConfirmation === true ? 'pending' : ((options.status as SubscriberStatus | undefined) ?? undefined),
			source: (options.source as string | undefined) ?? 'n8n',
		},
		{
			mode: (options.mode as UpsertMode | undefined) ?? 'upsert',
			allowReactivate: options.allowReactivate === true,
			replaceFields: options.replaceFields === true,
		},
		op.actor,
	);
	return {
		outcome: result.outcome,
		...(result.statusKept ? { statusKept: result.statusKept } : {}),
		...(result.subscriber ? jsonCopy(result.subscriber) : { email }),
	};
}
