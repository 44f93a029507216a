/** Resource Bounce: looking again at bounces recorded before the shared reason rules. */
import type { INodeProperties } from 'n8n-workflow';

import { operationProperties, type Operation } from '../common';
import * as reexamine from './reexamine.operation';

export const operations: Record<string, Operation> = { reexamine };

/** Reactivating is audited and explicit (an option), never irreversible. */
export const IRREVERSIBLE = [] as const;

export const description: INodeProperties[] = [
	...operationProperties(
		'bounce',
		[
			{
				name: 'Review Old Bounces',
				value: 'reexamine',
				action: 'Review old bounces',
				description:
					'List subscribers marked bounced under the old rules whose bounce was really a block of our mail or a full mailbox, and reactivate them if asked',
			},
		],
		'reexamine',
		IRREVERSIBLE,
	),
	...Object.values(operations).flatMap((operation) => operation.description),
];
