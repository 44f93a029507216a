import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { continueOrThrow, itemError } from '../../shared/nodeHelpers';
import { actorFor, openNodeStore } from '../../shared/storeCredential';
import { segmentFilterProperties, type Operation } from './common';
import * as bounce from './bounce';
import * as exportResource from './export';
import * as list from './list';
import * as segment from './segment';
import * as store from './store';
import * as subscriber from './subscriber';

const resources: Record<string, { operations: Record<string, Operation>; irreversible: readonly string[] }> = {
	list: { operations: list.operations, irreversible: list.IRREVERSIBLE },
	segment: { operations: segment.operations, irreversible: segment.IRREVERSIBLE },
	subscriber: { operations: subscriber.operations, irreversible: subscriber.IRREVERSIBLE },
	export: { operations: exportResource.operations, irreversible: [] },
	store: { operations: store.operations, irreversible: store.IRREVERSIBLE },
	bounce: { operations: bounce.operations, irreversible: bounce.IRREVERSIBLE },
};

/** The node's own fields, every resource and operation. */
export const operationDescriptions = [
	...list.description,
	...segment.description,
	...subscriber.description,
	...exportResource.description,
	...segmentFilterProperties,
	...store.description,
	...bounce.description,
];

function toItems(result: unknown, itemIndex: number): INodeExecutionData[] {
	const pairedItem = { item: itemIndex };
	// A result is one JSON object, or a ready item with binary data; an array holds several of either.
	return (Array.isArray(result) ? result : [result]).map((entry) => {
		const value = entry as { json?: IDataObject; binary?: INodeExecutionData['binary'] };
		if (value && value.json && value.binary) return { json: value.json, binary: value.binary, pairedItem };
		return { json: entry as IDataObject, pairedItem };
	});
}

function operationFor(ctx: IExecuteFunctions, itemIndex: number): Operation {
	const resource = ctx.getNodeParameter('resource', itemIndex) as string;
	const operation = ctx.getNodeParameter('operation', itemIndex) as string;
	const chosen = resources[resource];
	const found = chosen?.operations[operation];
	if (!found) {
		throw new NodeOperationError(ctx.getNode(), `The operation '${operation}' is not supported for '${resource}'`, { itemIndex });
	}
	// The tool variant hides these (see operationProperties); a run as an AI tool refuses them too.
	if (ctx.getNode().type.endsWith('Tool') && chosen.irreversible.includes(operation)) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The operation '${operation}' destroys data for good and is not available to AI agents; run it in a workflow`,
			{ itemIndex },
		);
	}
	return found;
}

/** Opens the store once per execution, runs the chosen operation per item, always closes it. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];
	const actor = actorFor(this);
	const opened = await openNodeStore(this);
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const operation = operationFor(this, itemIndex);
				const result = await operation.execute({ ctx: this, store: opened, itemIndex, actor });
				returnData.push(...toItems(result, itemIndex));
			} catch (error) {
				returnData.push(continueOrThrow(this, itemError(this.getNode(), itemIndex, error), itemIndex));
			}
		}
	} finally {
		await opened.close();
	}
	return [returnData];
}
