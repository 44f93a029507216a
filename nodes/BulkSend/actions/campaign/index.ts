/**
 * Resource Campaign (campaign mode, over lib/campaign): recipients are read from the store in
 * keyset batches and each message is composed on the fly, so an execution holds one summary
 * item, never an item per recipient. A send log keyed by (campaign, subscriber) makes every
 * run resume where the last one stopped and mail nobody twice.
 */
import type { INodeProperties } from 'n8n-workflow';

import type { ItemOperation } from '../resources';
import * as cancel from './cancel.operation';
import * as compare from './compare.operation';
import * as create from './create.operation';
import * as createFollowUp from './createFollowUp.operation';
import * as getMany from './getMany.operation';
import * as getRecipients from './getRecipients.operation';
import * as getReport from './getReport.operation';
import * as getStatus from './getStatus.operation';
import * as pause from './pause.operation';
import * as start from './start.operation';
import * as testSend from './testSend.operation';

export const operations: Record<string, ItemOperation> = {
	create: create.execute,
	createFollowUp: createFollowUp.execute,
	start: start.execute,
	testSend: testSend.execute,
	pause: pause.execute,
	cancel: cancel.execute,
	getStatus: getStatus.execute,
	getRecipients: getRecipients.execute,
	getReport: getReport.execute,
	getMany: getMany.execute,
	compare: compare.execute,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['campaign'] } },
		options: [
			{
				name: 'Cancel',
				value: 'cancel',
				action: 'Cancel a campaign',
				description: 'Stop a campaign for good; runs in progress stop after their in-flight messages',
			},
			{
				name: 'Compare',
				value: 'compare',
				action: 'Compare campaigns',
				description: 'Headline rates of several campaigns, one item each, for a sheet or a chart',
			},
			{
				name: 'Create',
				value: 'create',
				action: 'Create a campaign',
				description: 'Store a campaign: one or more lists and/or a segment, and a snapshot of the message template',
			},
			{
				name: 'Create Follow-Up',
				value: 'createFollowUp',
				action: 'Create a follow up campaign',
				description: 'A new campaign to the recipients of a campaign who did not open (or click) it',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				action: 'Get many campaigns',
				description: 'The store’s campaigns, by status or finished after a time',
			},
			{
				name: 'Get Recipients',
				value: 'getRecipients',
				action: 'Get recipients of a campaign',
				description: 'Each recipient’s state from the send log, page by page',
			},
			{
				name: 'Get Report',
				value: 'getReport',
				action: 'Get the report of a campaign',
				description: 'Opens, clicks per link, bounces by reason, receiving domains and the time series; HTML report and link',
			},
			{
				name: 'Get Status',
				value: 'getStatus',
				action: 'Get the status of a campaign',
				description: 'Progress and results: sent, failed, unknown, bounced, opened, clicked…',
			},
			{
				name: 'Pause',
				value: 'pause',
				action: 'Pause a campaign',
				description: 'Runs in progress stop after their in-flight messages; Start with Resume continues',
			},
			{
				name: 'Start or Resume',
				value: 'start',
				action: 'Start or resume a campaign',
				description: 'Send the campaign’s next recipients; one summary item, failures on the second output',
			},
			{
				name: 'Test Send',
				value: 'testSend',
				action: 'Send a test of a campaign',
				description: 'Send a proof of the campaign’s message to a few addresses',
			},
		],
		default: 'start',
	},
	...start.description,
	...create.description,
	...createFollowUp.description,
	...testSend.description,
	...pause.description,
	...cancel.description,
	...getStatus.description,
	...getRecipients.description,
	...getReport.description,
	...getMany.description,
	...compare.description,
];
