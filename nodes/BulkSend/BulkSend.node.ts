import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as campaign from './actions/campaign';
import * as message from './actions/message';
import { router } from './actions/router';
import { throttlingProperties } from './actions/throttling';
import { credentialTest, listSearch, loadOptions } from './methods';

/**
 * Bulk Send: a thin adapter over lib/send (one pooled, throttled SMTP transport per execution,
 * retries, breaker) and lib/campaign (resumable campaigns from the store). Message sends the
 * input items; Campaign sends a stored campaign to its list in slices, with one summary item.
 * Output 1 "Results", output 2 "Failures".
 *
 * Not usable as an AI tool on purpose: one call mails a whole list, an irreversible bulk side
 * effect no agent should trigger (n8n's conventions leave it off bulk senders).
 */
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- see above
export class BulkSend implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bulk Send',
		name: 'bulkSend',
		icon: { light: 'file:bulkSend.svg', dark: 'file:bulkSend.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Send e-mail in bulk over pooled, throttled SMTP: items as messages, or resumable campaigns that never mail anyone twice',
		defaults: { name: 'Bulk Send' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Results', 'Failures'],
		credentials: [
			{ name: 'bulkMailSmtpApi', required: true, testedBy: 'bulkMailSmtpConnectionTest' },
			{
				// optional for Message (suppression, bounces), needed by every Campaign operation
				name: 'bulkMailSubscriberStoreApi',
				required: false,
				testedBy: 'subscriberStoreConnectionTest',
			},
			{
				name: 'bulkMailRedisApi',
				required: true,
				testedBy: 'bulkMailRedisConnectionTest',
				displayOptions: { show: { shareRateLimit: [true] } },
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Campaign',
						value: 'campaign',
						description: 'Send a stored campaign to a list, resumably, in slices',
					},
					{
						name: 'Message',
						value: 'message',
						description: 'Send each input item as a message (from Compose Message or any node)',
					},
				],
				default: 'message',
			},
			...message.description,
			...campaign.description,
			...throttlingProperties,
		],
	};

	methods = { credentialTest, listSearch, loadOptions };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
