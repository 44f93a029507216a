/** Subscriber → Purge Unconfirmed: removes pending subscribers that never confirmed (audited). */
import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_PURGE_AFTER_DAYS, purgeUnconfirmed } from '../../../../lib/optin';
import { listLocator, readLocator } from '../../../shared/locators';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { findList, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Older Than (Days)',
		name: 'purgeAfterDays',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 3650 },
		default: DEFAULT_PURGE_AFTER_DAYS,
		description: 'Pending subscribers with no activity (sign-up or confirmation mail) for longer than this are removed',
		displayOptions: showFor('subscriber', ['purgeUnconfirmed']),
	},
	listLocator({
		displayName: 'List',
		name: 'purgeList',
		description: 'Only this list; leave empty for every list',
		displayOptions: showFor('subscriber', ['purgeUnconfirmed']),
	}),
];

/** Irreversible: not offered to AI agents. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	const { ctx, itemIndex, store } = op;
	const days = Number(ctx.getNodeParameter('purgeAfterDays', itemIndex, DEFAULT_PURGE_AFTER_DAYS));
	const ref = readLocator(ctx, 'purgeList', itemIndex);
	const listId = ref ? (await findList(op, ref)).id : undefined;
	return jsonCopy(await purgeUnconfirmed(store, { olderThanDays: days, listId }, op.actor));
}

