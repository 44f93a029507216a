/** Resource Store: the store as a whole (backups, portability, erasure). */
import type { INodeProperties } from 'n8n-workflow';

import { operationProperties, type Operation } from '../common';
import * as backup from './backup.operation';
import * as eraseList from './eraseList.operation';
import * as exportAll from './exportAll.operation';

export const operations: Record<string, Operation> = { backup, exportAll, eraseList };

/** Operations an AI agent must not run: they destroy data for good. */
export const IRREVERSIBLE = ['eraseList'] as const;

export const description: INodeProperties[] = [
	...operationProperties(
		'store',
		[
			{
				name: 'Back Up',
				value: 'backup',
				action: 'Back up the store',
				description: 'Take an online backup of the SQLite store file and keep the newest ones (PostgreSQL: use pg_dump)',
			},
			{
				name: 'Erase List Entirely',
				value: 'eraseList',
				action: 'Erase a list entirely',
				description: 'Erase every subscriber of a list for good (only suppression hashes stay), then delete the list',
			},
			{
				name: 'Export Everything',
				value: 'exportAll',
				action: 'Export everything as CSV files',
				description: 'Lists, subscribers (all statuses), suppressions, audit log, campaigns and send log, one CSV file each',
			},
		],
		'backup',
		IRREVERSIBLE,
	),
	...Object.values(operations).flatMap((operation) => operation.description),
];
