import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { templateOptionsProperty, templateProperties } from '../shared/templateFields';
import * as compose from './actions/compose.operation';
import { operationProperty } from './actions/operation';
import * as preview from './actions/preview.operation';
import { router } from './actions/router';
import { credentialTest, listSearch } from './methods';

/**
 * Compose Message: a thin adapter over lib/compose. Compose renders one message per input item
 * (the recipient comes from the item), ready for Bulk Send; Preview renders one for a chosen
 * subscriber or sample data.
 */
export class ComposeMessage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Compose Message',
		name: 'composeMessage',
		icon: { light: 'file:composeMessage.svg', dark: 'file:composeMessage.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description:
			'Personalised HTML and text e-mail with merge fields, signed one-click unsubscribe and tracking links',
		defaults: { name: 'Compose Message' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'bulkMailSubscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' },
		],
		properties: [
			operationProperty,
			...compose.description,
			...preview.description,
			...templateProperties,
			templateOptionsProperty,
		],
	};

	methods = { credentialTest, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
