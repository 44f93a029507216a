/** Resource Export: subscribers as a CSV file. */
import type { INodeProperties } from 'n8n-workflow';

import { operationProperties, type Operation } from '../common';
import * as csv from './csv.operation';

export const operations: Record<string, Operation> = { csv };

export const description: INodeProperties[] = [
	...operationProperties('export', [
		{
			name: 'Export as CSV',
			value: 'csv',
			action: 'Export subscribers as CSV',
			description: 'Write the subscribers matching the filters to a CSV file',
		},
	], 'csv', []),
	...csv.description,
];
