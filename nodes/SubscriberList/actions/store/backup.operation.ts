/** Store → Back Up: an online backup of the SQLite store file, keeping the newest ones. */
import type { INodeProperties } from 'n8n-workflow';

import { backupStore, DEFAULT_GENERATIONS, MAX_GENERATIONS } from '../../../../lib/ops';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Backups to Keep',
		name: 'keepBackups',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_GENERATIONS },
		default: DEFAULT_GENERATIONS,
		description: 'How many backups of this store to keep in the backups folder; older ones are deleted',
		displayOptions: showFor('store', ['backup']),
	},
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const keep = op.ctx.getNodeParameter('keepBackups', op.itemIndex, DEFAULT_GENERATIONS) as number;
	return jsonCopy(await backupStore(op.store, { keep }));
}
