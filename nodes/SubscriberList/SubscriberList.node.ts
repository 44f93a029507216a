import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { subscriberStoreConnectionTest } from '../shared/storeCredential';
import { bounceFields, bounceOperations } from './actions/bounce.resource';
import { exportFields, exportOperations } from './actions/export.resource';
import { listFields, listOperations } from './actions/list.resource';
import { router } from './actions/router';
import { storeFields, storeOperations } from './actions/store.resource';
import { subscriberFields, subscriberOperations } from './actions/subscriber.resource';

export class SubscriberList implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Subscriber List',
		name: 'subscriberList',
		icon: { light: 'file:subscriberList.svg', dark: 'file:subscriberList.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Keep subscriber lists: add, update, unsubscribe, erase and export subscribers; back up the store',
		defaults: { name: 'Subscriber List' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'subscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Bounce', value: 'bounce' },
					{ name: 'Export', value: 'export' },
					{ name: 'List', value: 'list' },
					{ name: 'Store', value: 'store' },
					{ name: 'Subscriber', value: 'subscriber' },
				],
				default: 'subscriber',
			},
			listOperations,
			subscriberOperations,
			exportOperations,
			storeOperations,
			bounceOperations,
			...listFields,
			...subscriberFields,
			...exportFields,
			...storeFields,
			...bounceFields,
		],
	};

	methods = { credentialTest: { subscriberStoreConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
