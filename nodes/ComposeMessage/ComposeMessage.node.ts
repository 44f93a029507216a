import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { subscriberStoreConnectionTest } from '../shared/storeCredential';
import { compose } from './actions/compose.operation';
import { preview } from './actions/preview.operation';
import {
	composeProperties,
	operationProperty,
	optionsProperty,
	previewProperties,
	recipientProperties,
	templateProperties,
} from './description';

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
			{ name: 'subscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' },
		],
		properties: [
			operationProperty,
			...recipientProperties,
			...templateProperties,
			...composeProperties,
			...previewProperties,
			optionsProperty,
		],
	};

	methods = { credentialTest: { subscriberStoreConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'compose') return compose.call(this);
		if (operation === 'preview') return preview.call(this);
		throw new NodeOperationError(this.getNode(), `The operation '${operation}' is not supported`);
	}
}
