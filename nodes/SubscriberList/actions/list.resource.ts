import type { INodeProperties } from 'n8n-workflow';
import { listParameter, requireList, showFor, toJson, type OperationHandler } from './common';

export const listOperations: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['list'] } },
	options: [
		{ name: 'Create', value: 'create', action: 'Create a list', description: 'Create a subscriber list' },
		{ name: 'Delete', value: 'delete', action: 'Delete a list', description: 'Delete a list and all its subscribers' },
		{ name: 'Get', value: 'get', action: 'Get a list', description: 'Get a list by name or ID' },
		{ name: 'Get Many', value: 'getMany', action: 'Get many lists', description: 'Get every list with its subscriber count' },
		{ name: 'Rename', value: 'rename', action: 'Rename a list' },
	],
	default: 'getMany',
};

export const listFields: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Newsletter',
		displayOptions: showFor('list', ['create']),
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		default: '',
		displayOptions: showFor('list', ['create']),
	},
	listParameter('list', ['get', 'rename', 'delete']),
	{
		displayName: 'New Name',
		name: 'newName',
		type: 'string',
		required: true,
		default: '',
		displayOptions: showFor('list', ['rename']),
	},
];

export const listHandlers: Record<string, OperationHandler> = {
	async create({ ctx, store, itemIndex, actor }) {
		const name = ctx.getNodeParameter('name', itemIndex) as string;
		const description = ctx.getNodeParameter('description', itemIndex, '') as string;
		return toJson(await store.createList({ name, description }, actor));
	},
	async get(op) {
		const list = await requireList(op);
		const subscribers = await op.store.countSubscribers({ listId: list.id });
		return { ...toJson(list), subscribers };
	},
	async getMany({ store }) {
		const lists = await store.getLists();
		return Promise.all(
			lists.map(async (list) => ({ ...toJson(list), subscribers: await store.countSubscribers({ listId: list.id }) })),
		);
	},
	async rename(op) {
		const list = await requireList(op);
		const newName = op.ctx.getNodeParameter('newName', op.itemIndex) as string;
		return toJson(await op.store.renameList(list.id, newName, op.actor));
	},
	async delete(op) {
		const list = await requireList(op);
		const result = await op.store.deleteList(list.id, op.actor);
		return { deleted: result.deleted, id: list.id, name: list.name, subscribersRemoved: result.subscribers };
	},
};
