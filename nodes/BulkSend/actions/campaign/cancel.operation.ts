/** Campaign → Cancel: stops a campaign for good; runs in progress stop after their in-flight messages. */
import type { INodeProperties } from 'n8n-workflow';

import { cancelCampaign } from '../../../../lib/campaign';
import { item } from '../../../shared/nodeHelpers';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, campaignJson } from './common';

export const description: INodeProperties[] = [campaignField('cancel')];

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const id = campaignIdOf(op, itemIndex);
	const campaign = await cancelCampaign(await op.resources.store(), id, op.resources.actor);
	return [[item(campaignJson(campaign), itemIndex)], []];
}
