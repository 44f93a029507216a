import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import type { SqlSubscriberStore } from '../../../lib/store';
import { actorFor, openStoreFromCredential } from '../../shared/storeCredential';
import type { OperationHandler } from './common';
import { exportHandlers } from './export.resource';
import { listHandlers } from './list.resource';
import { storeHandlers } from './store.resource';
import { subscriberHandlers } from './subscriber.resource';

const handlers: Record<string, Record<string, OperationHandler>> = {
	list: listHandlers,
	subscriber: subscriberHandlers,
	export: exportHandlers,
	store: storeHandlers,
};

function toItems(result: unknown, itemIndex: number): INodeExecutionData[] {
	const pairedItem = { item: itemIndex };
	// A result is one JSON object, or a ready item with binary data; an array holds several of either.
	return (Array.isArray(result) ? result : [result]).map((entry) => {
		const value = entry as { json?: IDataObject; binary?: INodeExecutionData['binary'] };
		if (value && value.json && value.binary) return { json: value.json, binary: value.binary, pairedItem };
		return { json: entry as IDataObject, pairedItem };
	});
}

/** Opens the store once per execution, runs the chosen operation per item, always closes it. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];
	const actor = actorFor(this);
	let store: SqlSubscriberStore;
	try {
		store = await openStoreFromCredential(this);
	} catch (error) {
		throw new NodeOperationError(this.getNode(), `Cannot open the subscriber store: ${error.message}`, {
			description: 'Check the Bulk Mail Subscriber Store credential (use its Test button).',
		});
	}
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const resource = this.getNodeParameter('resource', itemIndex) as string;
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				const handler = handlers[resource]?.[operation];
				if (!handler) {
					throw new NodeOperationError(this.getNode(), `The operation '${operation}' is not supported for '${resource}'`, { itemIndex });
				}
				const result = await handler({ ctx: this, store, itemIndex, actor });
				returnData.push(...toItems(result, itemIndex));
			} catch (error) {
				const message = `Item ${itemIndex + 1}: ${error.message}`;
				if (this.continueOnFail()) {
					returnData.push({ json: { error: message }, pairedItem: { item: itemIndex } });
					continue;
				}
				throw new NodeOperationError(this.getNode(), message, {
					itemIndex,
					description: error instanceof NodeOperationError ? (error.description ?? undefined) : undefined,
				});
			}
		}
	} finally {
		await store.close();
	}
	return [returnData];
}
