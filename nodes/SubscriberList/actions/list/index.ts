/** Resource List: the subscriber lists of the store. */
import type { INodeProperties } from 'n8n-workflow';

import { operationProperties, type Operation } from '../common';
import * as create from './create.operation';
import * as deleteList from './delete.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as rename from './rename.operation';

export const operations: Record<string, Operation> = { create, delete: deleteList, get, getMany, rename };

/** Operations an AI agent must not run: they destroy data for good. */
export const IRREVERSIBLE = ['delete'] as const;

export const description: INodeProperties[] = [
	...operationProperties(
		'list',
		[
			{ name: 'Create', value: 'create', action: 'Create a list', description: 'Create a subscriber list' },
			{ name: 'Delete', value: 'delete', action: 'Delete a list', description: 'Delete a list and all its subscribers' },
			{ name: 'Get', value: 'get', action: 'Get a list', description: 'Get a list by name or ID' },
			{ name: 'Get Many', value: 'getMany', action: 'Get many lists', description: 'Get every list with its subscriber count' },
			{ name: 'Rename', value: 'rename', action: 'Rename a list' },
		],
		'getMany',
		IRREVERSIBLE,
	),
	...Object.values(operations).flatMap((operation) => operation.description),
];
