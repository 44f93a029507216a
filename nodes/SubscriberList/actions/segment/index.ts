/** Resource Segment: saved segments — named conditions over subscribers (docs/segments.md). */
import type { INodeProperties } from 'n8n-workflow';

import { operationProperties, type Operation } from '../common';
import * as create from './create.operation';
import * as deleteSegment from './delete.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as rename from './rename.operation';

export const operations: Record<string, Operation> = { create, delete: deleteSegment, get, getMany, rename };

/** A saved segment is only a definition: deleting one loses no subscriber data. */
export const IRREVERSIBLE = [] as const;

export const description: INodeProperties[] = [
	...operationProperties(
		'segment',
		[
			{ name: 'Create', value: 'create', action: 'Create a segment', description: 'Save conditions under a name' },
			{ name: 'Delete', value: 'delete', action: 'Delete a segment', description: 'Delete a saved segment (subscribers are untouched)' },
			{ name: 'Get', value: 'get', action: 'Get a segment', description: 'Get a saved segment with its subscriber count' },
			{ name: 'Get Many', value: 'getMany', action: 'Get many segments' },
			{ name: 'Rename', value: 'rename', action: 'Rename a segment' },
		],
		'getMany',
		IRREVERSIBLE,
	),
	...Object.values(operations).flatMap((operation) => operation.description),
];
