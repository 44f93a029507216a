import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { operationDescriptions, router } from './actions/router';
import { credentialTest, listSearch, loadOptions } from './methods';

/**
 * Subscriber List: a thin adapter over the store (lib/store, lib/optin, lib/ops, lib/export).
 * One file per operation under actions/<resource>/.
 *
 * Usable as an AI tool for reading and everyday changes (add, update, unsubscribe, count…), but
 * the operations that destroy data for good — Erase, Purge Unconfirmed, Delete (list) and Erase
 * List Entirely — are left out of the tool variant and refused in a tool run: an agent's guess
 * must never cost a subscriber record or a whole list.
 */
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
		credentials: [{ name: 'bulkMailSubscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' }],
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
					{ name: 'Segment', value: 'segment' },
					{ name: 'Store', value: 'store' },
					{ name: 'Subscriber', value: 'subscriber' },
				],
				default: 'subscriber',
			},
			...operationDescriptions,
		],
	};

	methods = { credentialTest, listSearch, loadOptions };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
