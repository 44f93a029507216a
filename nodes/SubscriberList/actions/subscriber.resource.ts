import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';
import { SUBSCRIBER_STATUSES, type SubscriberFilter, type SubscriberStatus } from '../../../lib/store';
import {
	listParameter,
	parseCustomFields,
	requireList,
	showFor,
	toJson,
	type OperationContext,
	type OperationHandler,
} from './common';
import { optinFields, optinHandlers } from './optin.operations';

const statusOptions = SUBSCRIBER_STATUSES.map((status) => ({
	name: status.charAt(0).toUpperCase() + status.slice(1),
	value: status,
}));

export const subscriberOperations: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['subscriber'] } },
	options: [
		{ name: 'Count', value: 'count', action: 'Count subscribers', description: 'Count subscribers matching a filter' },
		{ name: 'Create or Update', value: 'upsert', action: 'Create or update a subscriber', description: 'Create a new record, or update the current one if it already exists (upsert)' },
		{ name: 'Erase', value: 'erase', action: 'Erase a subscriber', description: 'Remove personal data for good; only a hash stays, so the address is never mailed again' },
		{ name: 'Get', value: 'get', action: 'Get a subscriber', description: 'Get a subscriber by ID or e-mail' },
		{ name: 'Get Many', value: 'getMany', action: 'Get many subscribers' },
		{ name: 'Move to Trash', value: 'trash', action: 'Move a subscriber to trash' },
		{ name: 'Purge Unconfirmed', value: 'purgeUnconfirmed', action: 'Purge unconfirmed subscribers', description: 'Remove pending subscribers that never confirmed within a number of days (audited)' },
		{ name: 'Reactivate', value: 'reactivate', action: 'Reactivate a subscriber', description: 'Make a subscriber active again (needs explicit consent for opted-out addresses)' },
		{ name: 'Send Confirmation', value: 'sendConfirmation', action: 'Send a confirmation message', description: 'Make the double opt-in confirmation message (signed, expiring confirm link) for each pending subscriber, for Bulk Send' },
		{ name: 'Stop', value: 'stop', action: 'Stop a subscriber', description: 'Pause mailing this subscriber (operator decision)' },
		{ name: 'Unsubscribe', value: 'unsubscribe', action: 'Unsubscribe a subscriber' },
		{ name: 'Update', value: 'update', action: 'Update a subscriber' },
	],
	default: 'upsert',
};

const byIdOperations = ['update', 'unsubscribe', 'stop', 'reactivate', 'trash', 'erase'];

export const subscriberFields: INodeProperties[] = [
	listParameter('subscriber', ['upsert']),
	{
		displayName: 'E-Mail',
		name: 'email',
		type: 'string',
		placeholder: 'e.g. nathan@example.com',
		required: true,
		default: '',
		displayOptions: showFor('subscriber', ['upsert']),
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		description: 'Leave empty to keep the current name of an existing subscriber',
		displayOptions: showFor('subscriber', ['upsert']),
	},
	{
		displayName: 'Custom Fields (JSON)',
		name: 'customFields',
		type: 'json',
		default: '{}',
		description: 'Merged into the subscriber’s custom fields, e.g. {"city": "Osaka", "plan": "gold"}',
		displayOptions: showFor('subscriber', ['upsert']),
	},
	{
		displayName: 'Options',
		name: 'upsertOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('subscriber', ['upsert']),
		options: [
			{
				displayName: 'Confirm Consent to Reactivate',
				name: 'allowReactivate',
				type: 'boolean',
				default: false,
				description:
					'Whether the person has freshly consented, so an unsubscribed, bounced, complained or suppressed address may become active again',
			},
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				options: [
					{ name: 'Create or Update', value: 'upsert' },
					{ name: 'Create Only', value: 'createOnly' },
					{ name: 'Update Only', value: 'updateOnly' },
				],
				default: 'upsert',
			},
			{
				displayName: 'Replace Custom Fields',
				name: 'replaceFields',
				type: 'boolean',
				default: false,
				description: 'Whether to replace all custom fields instead of merging into them',
			},
			{
				displayName: 'Require Confirmation',
				name: 'requireConfirmation',
				type: 'boolean',
				default: false,
				description:
					'Whether a new subscriber starts as pending (double opt-in) and is mailed nothing but the confirmation message until they confirm. An existing active subscriber stays active; an opted-out one is not reactivated.',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				placeholder: 'e.g. signup-form',
				description: 'Where the subscriber came from, kept with the record',
			},
			{
				displayName: 'Status for New Subscribers',
				name: 'status',
				type: 'options',
				options: [
					{ name: 'Active', value: 'active' },
					{ name: 'Pending (Needs Confirmation)', value: 'pending' },
				],
				default: 'active',
			},
		],
	},
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		options: [
			{ name: 'ID', value: 'id' },
			{ name: 'E-Mail and List', value: 'email' },
		],
		default: 'id',
		displayOptions: showFor('subscriber', ['get']),
	},
	{
		displayName: 'Subscriber ID',
		name: 'subscriberId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 42',
		displayOptions: { show: { resource: ['subscriber'], operation: byIdOperations } },
	},
	{
		displayName: 'Subscriber ID',
		name: 'subscriberId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 42',
		displayOptions: { show: { resource: ['subscriber'], operation: ['get'], findBy: ['id'] } },
	},
	{
		displayName: 'List Name or ID',
		name: 'list',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Newsletter',
		displayOptions: { show: { resource: ['subscriber'], operation: ['get'], findBy: ['email'] } },
	},
	{
		displayName: 'E-Mail',
		name: 'email',
		type: 'string',
		placeholder: 'e.g. nathan@example.com',
		required: true,
		default: '',
		displayOptions: { show: { resource: ['subscriber'], operation: ['get'], findBy: ['email'] } },
	},
	{
		displayName: 'Confirm Consent',
		name: 'consent',
		type: 'boolean',
		default: false,
		description:
			'Whether the person has freshly consented; required to reactivate an unsubscribed, bounced or complained address',
		displayOptions: showFor('subscriber', ['reactivate']),
	},
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: showFor('subscriber', ['update']),
		options: [
			{
				displayName: 'Confirm Consent to Reactivate',
				name: 'allowReactivate',
				type: 'boolean',
				default: false,
				description: 'Whether the person has freshly consented, when the status becomes active again',
			},
			{ displayName: 'Custom Fields (JSON)', name: 'customFields', type: 'json', default: '{}' },
			{ displayName: 'E-Mail', name: 'email', type: 'string', placeholder: 'e.g. nathan@example.com', default: '' },
			{ displayName: 'Name', name: 'name', type: 'string', default: '' },
			{
				displayName: 'Replace Custom Fields',
				name: 'replaceFields',
				type: 'boolean',
				default: false,
				description: 'Whether to replace all custom fields instead of merging into them',
			},
			{ displayName: 'Status', name: 'status', type: 'options', options: statusOptions, default: 'active' },
		],
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: showFor('subscriber', ['getMany']),
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { resource: ['subscriber'], operation: ['getMany'], returnAll: [false] } },
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: { resource: ['subscriber', 'export'], operation: ['getMany', 'count', 'csv'] } },
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
			{ displayName: 'List Name or ID', name: 'list', type: 'string', default: '', placeholder: 'e.g. Newsletter' },
			{ displayName: 'Search', name: 'search', type: 'string', default: '', description: 'Part of the e-mail or name' },
			{ displayName: 'Statuses', name: 'status', type: 'multiOptions', options: statusOptions, default: [] },
		],
	},
	...optinFields,
];

export async function filterFromParameters(op: OperationContext): Promise<SubscriberFilter> {
	const filters = op.ctx.getNodeParameter('filters', op.itemIndex, {}) as IDataObject;
	const filter: SubscriberFilter = {};
	if (filters.list) {
		const list = await op.store.getList(String(filters.list));
		if (!list) throw new NodeOperationError(op.ctx.getNode(), `There is no list named or numbered '${String(filters.list)}'`, { itemIndex: op.itemIndex });
		filter.listId = list.id;
	}
	if (Array.isArray(filters.status) && filters.status.length) filter.status = filters.status as SubscriberStatus[];
	if (filters.search) filter.search = String(filters.search);
	if (filters.fieldName) filter.field = { name: String(filters.fieldName), value: String(filters.fieldValue ?? '') };
	if (filters.includeTrashed) filter.includeTrashed = true;
	return filter;
}

function subscriberId(op: OperationContext): string {
	const id = String(op.ctx.getNodeParameter('subscriberId', op.itemIndex, '')).trim();
	if (!/^\d+$/.test(id)) throw new NodeOperationError(op.ctx.getNode(), `'${id}' is not a subscriber ID; IDs are numbers such as 42`, { itemIndex: op.itemIndex });
	return id;
}

async function setStatus(op: OperationContext, status: SubscriberStatus, allowReactivate = false) {
	return toJson(await op.store.setStatus(subscriberId(op), status, { allowReactivate }, op.actor));
}

export const subscriberHandlers: Record<string, OperationHandler> = {
	async upsert(op) {
		const list = await requireList(op);
		const { ctx, itemIndex } = op;
		const options = ctx.getNodeParameter('upsertOptions', itemIndex, {}) as IDataObject;
		const name = ctx.getNodeParameter('name', itemIndex, '') as string;
		const result = await op.store.upsertSubscriber(
			list.id,
			{
				email: ctx.getNodeParameter('email', itemIndex) as string,
				name: name === '' ? undefined : name,
				fields: parseCustomFields(op, ctx.getNodeParameter('customFields', itemIndex, '{}')),
				status: options.requireConfirmation === true ? 'pending' : ((options.status as SubscriberStatus | undefined) ?? undefined),
				source: (options.source as string | undefined) ?? 'n8n',
			},
			{
				mode: (options.mode as 'upsert' | 'createOnly' | 'updateOnly' | undefined) ?? 'upsert',
				allowReactivate: options.allowReactivate === true,
				replaceFields: options.replaceFields === true,
			},
			op.actor,
		);
		return {
			outcome: result.outcome,
			...(result.statusKept ? { statusKept: result.statusKept } : {}),
			...(result.subscriber ? toJson(result.subscriber) : { email: ctx.getNodeParameter('email', itemIndex) as string }),
		};
	},
	async get(op) {
		const findBy = op.ctx.getNodeParameter('findBy', op.itemIndex, 'id') as string;
		if (findBy === 'email') {
			const list = await requireList(op);
			const email = op.ctx.getNodeParameter('email', op.itemIndex) as string;
			const found = await op.store.getSubscriber({ listId: list.id, email });
			if (!found) throw new NodeOperationError(op.ctx.getNode(), `'${email}' is not on list '${list.name}'`, { itemIndex: op.itemIndex });
			return toJson(found);
		}
		const id = subscriberId(op);
		const found = await op.store.getSubscriber({ id });
		if (!found) throw new NodeOperationError(op.ctx.getNode(), `There is no subscriber with ID ${id}`, { itemIndex: op.itemIndex });
		return toJson(found);
	},
	async getMany(op) {
		const filter = await filterFromParameters(op);
		const returnAll = op.ctx.getNodeParameter('returnAll', op.itemIndex, false) as boolean;
		const limit = returnAll ? Infinity : (op.ctx.getNodeParameter('limit', op.itemIndex, 50) as number);
		const results: IDataObject[] = [];
		let cursor: string | null = null;
		do {
			const page = await op.store.getSubscribers(filter, { limit: Math.min(1000, limit - results.length), cursor });
			results.push(...page.items.map(toJson));
			cursor = page.next;
		} while (cursor && results.length < limit);
		return results;
	},
	async count(op) {
		const filter = await filterFromParameters(op);
		return { count: await op.store.countSubscribers(filter) };
	},
	async update(op) {
		const fields = op.ctx.getNodeParameter('updateFields', op.itemIndex, {}) as IDataObject;
		if (!Object.keys(fields).length) {
			throw new NodeOperationError(op.ctx.getNode(), 'Nothing to update: add at least one field under "Update Fields"', { itemIndex: op.itemIndex });
		}
		return toJson(
			await op.store.updateSubscriber(
				subscriberId(op),
				{
					email: fields.email === undefined ? undefined : String(fields.email),
					name: fields.name === undefined ? undefined : String(fields.name),
					fields: parseCustomFields(op, fields.customFields),
					replaceFields: fields.replaceFields === true,
					status: fields.status as SubscriberStatus | undefined,
					allowReactivate: fields.allowReactivate === true,
				},
				op.actor,
			),
		);
	},
	unsubscribe: async (op) => setStatus(op, 'unsubscribed'),
	stop: async (op) => setStatus(op, 'stopped'),
	trash: async (op) => setStatus(op, 'trashed'),
	reactivate: async (op) => setStatus(op, 'active', op.ctx.getNodeParameter('consent', op.itemIndex, false) as boolean),
	async erase(op) {
		const id = subscriberId(op);
		await op.store.eraseSubscriber(id, op.actor);
		return { erased: true, id };
	},
	...optinHandlers,
};
