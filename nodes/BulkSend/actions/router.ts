import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import {
	createPooledTransport,
	validateSmtpSettings,
	type PooledTransport,
	type SmtpSettings,
} from '../../../lib/send';
import type { SqlSubscriberStore } from '../../../lib/store';
import { actorFor, openStoreFromCredential, STORE_CREDENTIAL } from '../../shared/storeCredential';
import { SMTP_CREDENTIAL, smtpSettingsFromCredential } from '../helpers/smtpCredential';
import { campaignHandlers } from './campaign.resource';
import {
	item,
	itemError,
	type BatchOperation,
	type ExecutionResources,
	type NodeOutput,
	type OperationContext,
} from './common';
import { send, testSend } from './message.resource';
import { readPool } from './throttling';

const messageHandlers: Record<string, BatchOperation> = { send, testSend };

function executionSignal(ctx: IExecuteFunctions): AbortSignal | undefined {
	// n8n aborts it when the user stops the execution; absent in older hosts and test doubles
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

/**
 * One store and one pooled SMTP transport per execution, opened on first use and always closed;
 * then the operation: Message ones take all items at once (one send run), Campaign ones run per
 * item with n8n's continue-on-fail semantics.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const ctx = this;
	const resource = ctx.getNodeParameter('resource', 0) as string;
	const operation = ctx.getNodeParameter('operation', 0) as string;

	let store: SqlSubscriberStore | null = null;
	let transport: PooledTransport | null = null;
	let smtpData: ICredentialDataDecryptedObject | null = null;
	let storeData: ICredentialDataDecryptedObject | null = null;
	const hasStore = Boolean(ctx.getNode().credentials?.[STORE_CREDENTIAL]);

	const resources: ExecutionResources = {
		hasStore,
		actor: actorFor(ctx),
		signal: executionSignal(ctx),
		async store() {
			if (store) return store;
			if (!hasStore) {
				throw new NodeOperationError(
					ctx.getNode(),
					'Campaigns and their send log live in the subscriber store: select a Bulk Mail Subscriber Store credential on this node',
				);
			}
			try {
				store = await openStoreFromCredential(ctx);
			} catch (error) {
				const cause = new Error(`Cannot open the subscriber store: ${error.message}`);
				throw Object.assign(cause, {
					description: 'Check the Bulk Mail Subscriber Store credential (use its Test button).',
				});
			}
			return store;
		},
		async smtp(itemIndex: number): Promise<SmtpSettings> {
			const data = (smtpData ??= await ctx.getCredentials<ICredentialDataDecryptedObject>(SMTP_CREDENTIAL));
			try {
				const settings = smtpSettingsFromCredential(data, readPool({ ctx, resources }, itemIndex));
				validateSmtpSettings(settings);
				return settings;
			} catch (error) {
				throw itemError(
					ctx.getNode(),
					itemIndex,
					error,
					'Check the Bulk Mail SMTP credential (use its Test button).',
				);
			}
		},
		async transport(itemIndex: number) {
			transport ??= createPooledTransport(await resources.smtp(itemIndex));
			return transport;
		},
		async links() {
			if (!hasStore) return { baseUrl: null, secret: null };
			const data = (storeData ??= await ctx.getCredentials<ICredentialDataDecryptedObject>(STORE_CREDENTIAL));
			const baseUrl = String(data.publicBaseUrl ?? '').trim();
			const secret = String(data.signingSecret ?? '');
			return { baseUrl: baseUrl || null, secret: secret || null };
		},
	};
	const op: OperationContext = { ctx, resources };

	try {
		if (resource === 'message') {
			const handler = messageHandlers[operation];
			if (!handler) {
				throw itemError(ctx.getNode(), 0, `The operation '${operation}' is not supported for messages`);
			}
			try {
				return await handler(op);
			} catch (error) {
				throw itemError(ctx.getNode(), 0, error);
			}
		}
		const handler = campaignHandlers[operation];
		if (resource !== 'campaign' || !handler) {
			throw itemError(ctx.getNode(), 0, `The operation '${operation}' is not supported for '${resource}'`);
		}
		const output: NodeOutput = [[], []];
		const items = ctx.getInputData();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const [results, failures] = await handler(op, itemIndex);
				output[0].push(...results);
				output[1].push(...failures);
			} catch (error) {
				const wrapped = itemError(ctx.getNode(), itemIndex, error);
				if (ctx.continueOnFail()) {
					output[0].push(item({ error: wrapped.message }, itemIndex));
					continue;
				}
				throw wrapped;
			}
		}
		return output;
	} finally {
		(transport as PooledTransport | null)?.close();
		await (store as SqlSubscriberStore | null)?.close();
	}
}
