/**
 * What one execution of Bulk Send shares between its operations and items: the store and the
 * pooled SMTP transport are opened on first use and closed by the router in a `finally`.
 */
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import {
	createPooledTransport,
	SmtpSettingsError,
	validateSendConfig,
	type PooledTransport,
	type SendConfig,
	type SmtpSettings,
} from '../../../lib/send';
import type { Actor, SqlSubscriberStore } from '../../../lib/store';
import { itemError, storeOpenError } from '../../shared/nodeHelpers';
import { actorFor, openStoreFromCredential, STORE_CREDENTIAL } from '../../shared/storeCredential';
import { readLinkSettings, type LinkSettings } from '../../shared/template';
import { SMTP_CREDENTIAL, smtpSettingsFromCredential } from '../helpers/smtpCredential';
import { readPool } from './throttling';

export const CHECK_SMTP_CREDENTIAL = 'Check the Bulk Mail SMTP credential (use its Test button).';

export interface ExecutionResources {
	/** Whether the node has a subscriber store credential set. */
	hasStore: boolean;
	store(): Promise<SqlSubscriberStore>;
	/** SMTP settings from the credential, with the pool settings of the given item (unchecked: see validateSendConfig). */
	smtp(itemIndex: number): Promise<SmtpSettings>;
	/** The one pooled transport of this execution (created with the first caller's pool settings). */
	transport(itemIndex: number): Promise<PooledTransport>;
	/** The store credential's link settings (public base URL, signing secret). */
	links(): Promise<LinkSettings>;
	actor: Actor;
	/** The execution's cancel signal (when n8n provides one). */
	signal: AbortSignal | undefined;
	/** Closes what was opened. */
	close(): Promise<void>;
}

/** Output 0 (results) and output 1 (failures). */
export type NodeOutput = [INodeExecutionData[], INodeExecutionData[]];

export interface OperationContext {
	ctx: IExecuteFunctions;
	resources: ExecutionResources;
}

/** Item-wise operations (campaign) get the item; the whole-input ones (message) get all items. */
export type ItemOperation = (op: OperationContext, itemIndex: number) => Promise<NodeOutput>;
export type BatchOperation = (op: OperationContext) => Promise<NodeOutput>;

function executionSignal(ctx: IExecuteFunctions): AbortSignal | undefined {
	// n8n aborts it when the user stops the execution; absent in older hosts and test doubles
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

export function executionResources(ctx: IExecuteFunctions): ExecutionResources {
	let store: SqlSubscriberStore | null = null;
	let transport: PooledTransport | null = null;
	let smtpData: ICredentialDataDecryptedObject | null = null;
	let links: LinkSettings | null = null;
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
				throw storeOpenError(ctx.getNode(), error);
			}
			return store;
		},
		async smtp(itemIndex) {
			smtpData ??= await ctx.getCredentials<ICredentialDataDecryptedObject>(SMTP_CREDENTIAL);
			try {
				return smtpSettingsFromCredential(smtpData, readPool(ctx, itemIndex));
			} catch (error) {
				throw itemError(ctx.getNode(), itemIndex, error, CHECK_SMTP_CREDENTIAL);
			}
		},
		async transport(itemIndex) {
			transport ??= createPooledTransport(await resources.smtp(itemIndex));
			return transport;
		},
		async links() {
			if (!hasStore) return { baseUrl: null, secret: null };
			links ??= await readLinkSettings(ctx);
			return links;
		},
		async close() {
			transport?.close();
			await store?.close();
		},
	};
	return resources;
}

/**
 * Checks a run's whole send configuration once (lib/send validateSendConfig), before anything
 * connects; an SMTP mistake points at the credential. Returns the SMTP warnings.
 */
export function checkSendConfig(op: OperationContext, itemIndex: number, config: SendConfig): string[] {
	try {
		return validateSendConfig(config);
	} catch (error) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			error,
			error instanceof SmtpSettingsError ? CHECK_SMTP_CREDENTIAL : undefined,
		);
	}
}
