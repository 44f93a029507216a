import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import type { PooledTransport, SmtpSettings } from '../../../lib/send';
import type { Actor, SqlSubscriberStore } from '../../../lib/store';

/**
 * What one execution shares between its items: the store and the pooled SMTP transport are
 * opened on first use and closed by the router in a `finally`.
 */
export interface ExecutionResources {
	/** Whether the node has a subscriber store credential set. */
	hasStore: boolean;
	store(): Promise<SqlSubscriberStore>;
	/** SMTP settings from the credential, with the pool settings of the given item. */
	smtp(itemIndex: number): Promise<SmtpSettings>;
	/** The one pooled transport of this execution (created with the first item's pool settings). */
	transport(itemIndex: number): Promise<PooledTransport>;
	/** The store credential's link settings (public base URL, signing secret). */
	links(): Promise<{ baseUrl: string | null; secret: string | null }>;
	actor: Actor;
	/** The execution's cancel signal (when n8n provides one). */
	signal: AbortSignal | undefined;
}

/** Output 0 (results) and output 1 (failures). */
export type NodeOutput = [INodeExecutionData[], INodeExecutionData[]];

export interface OperationContext {
	ctx: IExecuteFunctions;
	resources: ExecutionResources;
}

/** Item-wise operations (campaign) get the item; the whole-input ones (send) get all items. */
export type ItemOperation = (op: OperationContext, itemIndex: number) => Promise<NodeOutput>;
export type BatchOperation = (op: OperationContext) => Promise<NodeOutput>;

export function showFor(
	resource: string,
	operations: string[],
	extra: Record<string, unknown[]> = {},
): INodeProperties['displayOptions'] {
	return { show: { resource: [resource], operation: operations, ...extra } };
}

/** A display condition for several resource/operation pairs (n8n ORs separate show blocks poorly). */
export function showForOperations(operations: string[]): INodeProperties['displayOptions'] {
	return { show: { operation: operations } };
}

export function item(json: IDataObject, itemIndex: number): INodeExecutionData {
	return { json, pairedItem: { item: itemIndex } };
}

export function toJson<T extends object>(value: T): IDataObject {
	return JSON.parse(JSON.stringify(value)) as IDataObject;
}

/** "Item 3: …" — every message about an item names it, 1-based. */
export function itemLabel(itemIndex: number): string {
	return `Item ${itemIndex + 1}`;
}

export function positiveNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const n = Number(value);
	return Number.isFinite(n) && n > 0 ? n : undefined;
}

const ITEM_PREFIX = /^Item \d+\b/;

/** The message with "Item n: " in front, unless it already starts by naming an item. */
export function withItemLabel(itemIndex: number, message: string): string {
	return ITEM_PREFIX.test(message) ? message : `${itemLabel(itemIndex)}: ${message}`;
}

// n8n replaces a whole error message that merely mentions one of these codes with a generic
// sentence ("The service refused the connection…"), losing the item and the cause; say it in words.
const SYSTEM_CODES: Array<[RegExp, string]> = [
	[/\bgetaddrinfo\b/gi, 'address lookup'],
	[/\bECONNREFUSED\b/gi, 'connection refused'],
	[/\bECONNRESET\b/gi, 'connection reset'],
	[/\bECONNABORTED\b/gi, 'connection aborted'],
	[/\bENOTFOUND\b/gi, 'host not found'],
	[/\bETIMEDOUT\b/gi, 'timed out'],
	[/\bEHOSTUNREACH\b/gi, 'host unreachable'],
	[/\bEADDRNOTAVAIL\b/gi, 'address not available'],
	[/\bEAI_AGAIN\b/gi, 'name lookup failed'],
	[/\bERRADDRINUSE\b/gi, 'address in use'],
	[/\bENOENT\b/gi, 'no such file'],
	[/\bEISDIR\b/gi, 'is a directory'],
	[/\bENOTDIR\b/gi, 'not a directory'],
	[/\bEACCES\b/gi, 'permission denied'],
	[/\bEEXIST\b/gi, 'already exists'],
	[/\bEPERM\b/gi, 'not permitted'],
];

export function plainMessage(text: string): string {
	let result = text;
	for (const [code, words] of SYSTEM_CODES) result = result.replace(code, words);
	// n8n matches inside longer words too ("preexisting"): an invisible soft hyphen breaks that
	for (const [code] of SYSTEM_CODES) {
		const bare = new RegExp(code.source.replace(/\\b/g, ''), 'gi');
		result = result.replace(bare, (match) => `${match[0]}\u00ad${match.slice(1)}`);
	}
	return result;
}

/**
 * A NodeOperationError whose message starts with the 1-based item number ("Item 3: …") and
 * keeps its cause readable in n8n.
 */
export function itemError(
	node: INode,
	itemIndex: number,
	error: unknown,
	description?: string,
): NodeOperationError {
	const message = error instanceof Error ? error.message : String(error);
	const prefixed = withItemLabel(itemIndex, message);
	const own = (error as { description?: unknown } | null)?.description;
	return new NodeOperationError(node, plainMessage(prefixed), {
		itemIndex,
		description: description ?? (typeof own === 'string' && own ? own : undefined),
	});
}
