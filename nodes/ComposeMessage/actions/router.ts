import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import * as compose from './compose.operation';
import * as preview from './preview.operation';

const operations: Record<string, (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>> = {
	compose: compose.execute,
	preview: preview.execute,
};

/** Runs the chosen operation over all input items. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as string;
	const execute = operations[operation];
	if (!execute) throw new NodeOperationError(this.getNode(), `The operation '${operation}' is not supported`);
	return execute.call(this);
}
