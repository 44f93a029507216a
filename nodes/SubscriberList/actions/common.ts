/** What the Subscriber List operations share: the context, the list picker, filters, IDs. */
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import type { Actor, CustomFields, MailingList, SqlSubscriberStore, SubscriberFilter, SubscriberStatus } from '../../../lib/store';
import { SUBSCRIBER_STATUSES } from '../../../lib/store';
import { listLocator, locatorValue, readLocator } from '../../shared/locators';
import { showFor } from '../../shared/nodeHelpers';
import { segmentProperties } from '../../shared/segmentFields';
import { readSegment } from '../../shared/segmentParameters';

export interface OperationContext {
	ctx: IExecuteFunctions;
	store: SqlSubscriberStore;
	itemIndex: number;
	actor: Actor;
}

/** What an operation returns: one JSON object, several, or a ready item with binary data. */
export type OperationResult = IDataObject | IDataObject[] | { json: IDataObject; binary: IDataObject };

export type OperationHandler = (op: OperationContext) => Promise<OperationResult>;

/** One operation: its fields and what it does for one item. */
export interface Operation {
	description: INodeProperties[];
	execute: OperationHandler;
}

export const statusOptions = SUBSCRIBER_STATUSES.map((status) => ({
	name: status.charAt(0).toUpperCase() + status.slice(1),
	value: status,
}));

/** The list picker of an operation (the parameter is `list`, as before the picker). */
export function listField(resource: string, operations: string[], description?: string): INodeProperties {
	return listLocator({
		displayName: 'List',
		name: 'list',
		required: true,
		description: description ?? 'The list, from the list, by its ID or by its name',
		displayOptions: showFor(resource, operations),
	});
}

function fail(op: OperationContext, message: string): never {
	throw new NodeOperationError(op.ctx.getNode(), message, { itemIndex: op.itemIndex });
}

/** The list a reference names (a picked list, an ID or a name); the item fails when there is none. */
export async function findList(op: OperationContext, ref: string): Promise<MailingList> {
	const list = await op.store.getList(ref);
	if (!list) fail(op, `There is no list named or numbered '${ref}'`);
	return list;
}

export async function requireList(op: OperationContext, parameter = 'list'): Promise<MailingList> {
	const ref = readLocator(op.ctx, parameter, op.itemIndex);
	if (!ref) fail(op, 'No list is given; pick a list or enter its name or ID');
	return findList(op, ref);
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
			fail(op, `'${parameterLabel}' is not valid JSON; enter an object such as {"city": "Osaka"}`);
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		fail(op, `'${parameterLabel}' must be a JSON object such as {"city": "Osaka"}`);
	}
	return parsed as CustomFields;
}

/** The subscriber ID parameter of the item, checked to be a number. */
export function subscriberIdOf(op: OperationContext, parameter = 'subscriberId'): string {
	const id = String(op.ctx.getNodeParameter(parameter, op.itemIndex, '')).trim();
	if (!/^\d+$/.test(id)) fail(op, `'${id}' is not a subscriber ID; IDs are numbers such as 42`);
	return id;
}

/** The Filters collection of an operation that reads subscribers (Get Many, Count, Export). */
export function filtersField(resource: string, operation: string): INodeProperties {
	return {
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: showFor(resource, [operation]),
		options: [
			{ displayName: 'Custom Field Name', name: 'fieldName', type: 'string', default: '', placeholder: 'e.g. plan' },
			{ displayName: 'Custom Field Value', name: 'fieldValue', type: 'string', default: '', placeholder: 'e.g. gold' },
			{
				displayName: 'Include Trashed',
				name: 'includeTrashed',
				type: 'boolean',
				default: false,
				description: 'Whether to include subscribers in the trash',
			},
			listLocator({ displayName: 'List', name: 'list', description: 'Only subscribers of this list' }),
			{ displayName: 'Search', name: 'search', type: 'string', default: '', description: 'Part of the e-mail or name' },
			{ displayName: 'Statuses', name: 'status', type: 'multiOptions', options: statusOptions, default: [] },
		],
	};
}

export async function filterFromParameters(op: OperationContext): Promise<SubscriberFilter> {
	const filters = op.ctx.getNodeParameter('filters', op.itemIndex, {}) as IDataObject;
	const filter: SubscriberFilter = {};
	const listRef = locatorValue(filters.list);
	if (listRef) filter.listId = (await findList(op, listRef)).id;
	if (Array.isArray(filters.status) && filters.status.length) filter.status = filters.status as SubscriberStatus[];
	if (filters.search) filter.search = String(filters.search);
	if (filters.fieldName) filter.field = { name: String(filters.fieldName), value: String(filters.fieldValue ?? '') };
	if (filters.includeTrashed) filter.includeTrashed = true;
	const segment = await readSegment(op.ctx, op.itemIndex, op.store);
	// One evaluation time for every page of this item's read: relative dates do not drift.
	if (segment) filter.segment = { definition: segment.definition, at: new Date(), timeZone: segment.timeZone };
	return filter;
}

/**
 * The segment of Count, Get Many and Export as CSV: conditions (builder or JSON) or a saved
 * segment, applied together with the Filters (all of them must match).
 */
export const segmentFilterProperties: INodeProperties[] = segmentProperties(
	{ show: { resource: ['subscriber', 'export'], operation: ['count', 'getMany', 'csv'] } },
	{
		optional: true,
		saved: true,
		description: 'Only subscribers a segment selects, besides the filters: conditions built below, JSON, or a saved segment',
	},
);

/**
 * The operation property of a resource. Operations that destroy data for good are left out of
 * the node's AI-tool variant (`@tool`): an agent acting on a prompt must not be able to erase
 * subscribers or lists; the router refuses them in a tool run as well.
 */
export function operationProperties(
	resource: string,
	options: NonNullable<INodeProperties['options']>,
	defaultOperation: string,
	irreversible: readonly string[],
): INodeProperties[] {
	const base: INodeProperties = {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options,
		default: defaultOperation,
	};
	if (!irreversible.length) return [base];
	const forTools = options.filter((option) => !irreversible.includes(String((option as { value: unknown }).value)));
	return [
		{ ...base, displayOptions: { show: { resource: [resource], '@tool': [false] } } },
		{ ...base, options: forTools, displayOptions: { show: { resource: [resource], '@tool': [true] } } },
	];
}
