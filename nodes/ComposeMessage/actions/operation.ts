import type { INodeProperties } from 'n8n-workflow';

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Compose',
			value: 'compose',
			action: 'Compose a message for each item',
			description: 'Render one personalised message per input item, ready for Bulk Send',
		},
		{
			name: 'Preview',
			value: 'preview',
			action: 'Preview a message',
			description: 'Render the message for one subscriber or sample data, with the HTML as a file',
		},
	],
	default: 'compose',
};
