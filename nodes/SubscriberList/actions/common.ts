import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import type { Actor, CustomFields, MailingList, SqlSubscriberStore } from '../../../lib/store';

export interface OperationContext {
	ctx: IExecuteFunctions;
	store: SqlSubscriberStore;
	itemIndex: number;
	actor: Actor;
}

/** What an operation returns: one JSON object, several, or a ready item with binary data. */
export type OperationResult = IDataObject | IDataObject[] | { json: IDataObject; binary: IDataObject };

export type OperationHandler = (op: OperationContext) => Promise<OperationResult>;

export function showFor(resource: string, operations: string[]): INodeProperties['displayOptions'] {
	return { show: { resource: [resource], operation: operations } };
}

export const listParameter = (resource: string, operations: string[], description?: string): INodeProperties => ({
	displayName: 'List Name or ID',
	name: 'list',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'e.g. Newsletter',
	description: description ?? 'The list, by its name or its numeric ID',
	displayOptions: showFor(resource, operations),
});

export async function requireList(op: OperationContext, parameter = 'list'): Promise<MailingList> {
	const ref = String(op.ctx.getNodeParameter(parameter, op.itemIndex, '')).trim();
	if (!ref) throw new NodeOperationError(op.ctx.getNode(), 'No list is given; enter a list name or ID', { itemIndex: op.itemIndex });
	const list = await op.store.getList(ref);
	if (!list) throw new NodeOperationError(op.ctx.getNode(), `There is no list named or numbered '${ref}'`, { itemIndex: op.itemIndex });
	return list;
}

/** Custom fields come as a JSON object (a string in the UI, an object from an expression). */
export function parseCustomFields(
	op: OperationContext,
	value: unknown,
	parameterLabel = 'Custom Fields',
): CustomFields | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let parsed = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			throw new NodeOperationError(op.ctx.getNode(), `'${parameterLabel}' is not valid JSON; enter an object such as {"city": "Osaka"}`, { itemIndex: op.itemIndex });
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new NodeOperationError(op.ctx.getNode(), `'${parameterLabel}' must be a JSON object such as {"city": "Osaka"}`, { itemIndex: op.itemIndex });
	}
	return parsed as CustomFields;
}

export function toJson<T extends object>(value: T): IDataObject {
	return { ...value } as unknown as IDataObject;
}
