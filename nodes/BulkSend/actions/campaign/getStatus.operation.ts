/** Campaign → Get Status: progress and results (sent, failed, unknown, bounced, opened, clicked…). */
import type { INodeProperties } from 'n8n-workflow';

import { campaignStatus } from '../../../../lib/campaign';
import { item, jsonCopy } from '../../../shared/nodeHelpers';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, campaignJson } from './common';

export const description: INodeProperties[] = [campaignField('getStatus')];

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const id = campaignIdOf(op, itemIndex);
	const { campaign, ...progress } = await campaignStatus(await op.resources.store(), id);
	return [[item({ ...campaignJson(campaign), ...jsonCopy(progress) }, itemIndex)], []];
}
