/**
 * What every node of the package does the same way: name the item in a message ("Item 3: …"),
 * turn a failure into a NodeOperationError for that item, put a failed item where n8n's
 * "Continue (using error output)" finds it, show a field for some operations (and the Return
 * All / Limit pair), copy engine results into item JSON, and report a store that does not open.
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

/** "Item 3" — every message about an item names it, 1-based. */
export function itemLabel(itemIndex: number): string {
	return `Item ${itemIndex + 1}`;
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

/** The text with system error codes said in words, so n8n shows it as it is. */
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
 * A NodeOperationError for one item: the message names the item ("Item 3: …") and keeps its
 * cause readable in n8n; the description is the one given, else the cause's own.
 */
export function itemError(
	node: INode,
	itemIndex: number,
	error: unknown,
	description?: string,
): NodeOperationError {
	const message = error instanceof Error ? error.message : String(error);
	const own = (error as { description?: unknown } | null)?.description;
	return new NodeOperationError(node, plainMessage(withItemLabel(itemIndex, message)), {
		itemIndex,
		description: description ?? (typeof own === 'string' && own ? own : undefined),
	});
}

/** An output item paired with its input item. */
export function item(json: IDataObject, itemIndex: number): INodeExecutionData {
	return { json, pairedItem: { item: itemIndex } };
}

/**
 * The item a failed input item becomes under "Continue On Fail": `json.error` says what went
 * wrong, next to any summary worth keeping (`json`).
 *
 * With "Continue (using error output)", n8n 2.x moves an item to the error output only when it
 * has `item.error` or when its JSON holds nothing but `error`, `message` and `details`; and it
 * replaces the JSON of every item with `item.error` by `{ error }`, which would lose the summary.
 * So there the summary goes under `details` and the error's description under `message`; with
 * "Continue" (regular output) the item keeps the summary at the top, as before.
 */
export function errorItem(
	node: INode,
	error: NodeOperationError,
	itemIndex: number,
	json: IDataObject = {},
): INodeExecutionData {
	const pairedItem = { item: itemIndex };
	if (!Object.keys(json).length) return { json: { error: error.message }, pairedItem };
	if (node.onError === 'continueErrorOutput') {
		const message = error.description ? { message: error.description } : {};
		return { json: { error: error.message, ...message, details: json }, pairedItem };
	}
	return { json: { ...json, error: error.message }, pairedItem };
}

/** Under "Continue On Fail" the failed item's error item (see errorItem); otherwise throws. */
export function continueOrThrow(
	ctx: Pick<IExecuteFunctions, 'continueOnFail' | 'getNode'>,
	error: NodeOperationError,
	itemIndex: number,
	json?: IDataObject,
): INodeExecutionData {
	if (!ctx.continueOnFail()) throw error;
	return errorItem(ctx.getNode(), error, itemIndex, json);
}

/** Shows a field for some operations of a resource (and any further conditions). */
export function showFor(
	resource: string,
	operations: string[],
	extra: Record<string, unknown[]> = {},
): INodeProperties['displayOptions'] {
	return { show: { resource: [resource], operation: operations, ...extra } };
}

/** The "Return All" switch and the "Limit" field (while Return All is off) of a Get Many style operation. */
export function returnAllAndLimit(resource: string, operation: string): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: showFor(resource, [operation]),
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: showFor(resource, [operation], { returnAll: [false] }),
		},
	];
}

/** A plain-JSON copy of an engine value (no undefined, no class instances), for item JSON. */
export function jsonCopy<T extends object>(value: T): IDataObject {
	return JSON.parse(JSON.stringify(value)) as IDataObject;
}

/** A number parameter that means "not set" unless it is a positive number. */
export function positiveNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const n = Number(value);
	return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The store credential's store could not be opened (the whole execution stops). */
export function storeOpenError(node: INode, error: unknown): NodeOperationError {
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, plainMessage(`Cannot open the subscriber store: ${message}`), {
		description: 'Check the Bulk Mail Subscriber Store credential (use its Test button).',
	});
}
