/** Campaign → Pause: runs in progress stop after their in-flight messages; Start with Resume continues. */
import type { INodeProperties } from 'n8n-workflow';

import { pauseCampaign } from '../../../../lib/campaign';
import { item, showFor } from '../../../shared/nodeHelpers';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, campaignJson, text } from './common';

export const description: INodeProperties[] = [
	campaignField('pause'),
	{
		displayName: 'Reason',
		name: 'pauseReason',
		type: 'string',
		default: '',
		placeholder: 'e.g. Checking a complaint',
		displayOptions: showFor('campaign', ['pause']),
	},
];

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const id = campaignIdOf(op, itemIndex);
	const reason = text(op.ctx.getNodeParameter('pauseReason', itemIndex, '')).trim();
	const campaign = await pauseCampaign(await op.resources.store(), id, op.resources.actor, reason || undefined);
	return [[item(campaignJson(campaign), itemIndex)], []];
}
