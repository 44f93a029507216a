/** Resource Message (item mode): each input item is one message. */
import type { INodeProperties } from 'n8n-workflow';

import type { BatchOperation } from '../resources';
import * as send from './send.operation';
import * as testSend from './testSend.operation';

export const operations: Record<string, BatchOperation> = {
	send: send.execute,
	testSend: testSend.execute,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{
				name: 'Send',
				value: 'send',
				action: 'Send a message for each item',
				description: 'Send every input item as one message over one pooled, throttled SMTP connection pool',
			},
			{
				name: 'Test Send',
				value: 'testSend',
				action: 'Send a test message',
				description: 'Send the first input item’s message as a proof to a few addresses',
			},
		],
		default: 'send',
	},
	...send.description,
	...testSend.description,
];
