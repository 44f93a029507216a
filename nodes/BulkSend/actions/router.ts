import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { continueOrThrow, itemError } from '../../shared/nodeHelpers';
import * as campaign from './campaign';
import * as message from './message';
import { executionResources, type NodeOutput, type OperationContext } from './resources';

/**
 * One store and one pooled SMTP transport per execution, opened on first use and always closed;
 * then the operation: Message ones take all items at once (one send run), Campaign ones run per
 * item with n8n's continue-on-fail semantics (a failed item goes to the error output when the
 * node continues using it).
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const ctx = this;
	const resource = ctx.getNodeParameter('resource', 0) as string;
	const operation = ctx.getNodeParameter('operation', 0) as string;
	const resources = executionResources(ctx);
	const op: OperationContext = { ctx, resources };
	try {
		if (resource === 'message') {
			const execute = message.operations[operation];
			if (!execute) {
				throw itemError(ctx.getNode(), 0, `The operation '${operation}' is not supported for messages`);
			}
			try {
				return await execute(op);
			} catch (error) {
				throw itemError(ctx.getNode(), 0, error);
			}
		}
		const execute = campaign.operations[operation];
		if (resource !== 'campaign' || !execute) {
			throw itemError(ctx.getNode(), 0, `The operation '${operation}' is not supported for '${resource}'`);
		}
		const output: NodeOutput = [[], []];
		const items = ctx.getInputData();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const [results, failures] = await execute(op, itemIndex);
				output[0].push(...results);
				output[1].push(...failures);
			} catch (error) {
				output[0].push(continueOrThrow(ctx, itemError(ctx.getNode(), itemIndex, error), itemIndex));
			}
		}
		return output;
	} finally {
		await resources.close();
	}
}
