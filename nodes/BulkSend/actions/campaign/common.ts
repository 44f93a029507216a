/** What the Campaign operations share: the campaign picker and the campaign as output JSON. */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { getCampaign, type Campaign, type CampaignRunSummary } from '../../../../lib/campaign';
import { campaignLocator, readLocator } from '../../../shared/locators';
import { itemError, jsonCopy, showFor } from '../../../shared/nodeHelpers';
import type { OperationContext } from '../resources';

/** The campaign picker of one operation (the parameter is `campaignId`, as before the picker). */
export function campaignField(operation: string): INodeProperties {
	return campaignLocator({
		displayName: 'Campaign',
		name: 'campaignId',
		required: true,
		description: 'The campaign, from the list or by the ID the Create operation returned',
		displayOptions: showFor('campaign', [operation]),
	});
}

export function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

/** The campaign ID of the item; a plain ID string (older workflows) reads the same. */
export function campaignIdOf(op: OperationContext, itemIndex: number): string {
	const id = readLocator(op.ctx, 'campaignId', itemIndex);
	if (!id) throw itemError(op.ctx.getNode(), itemIndex, 'no campaign ID is given', 'Use the ID the Create operation returned.');
	return id;
}

export async function requireCampaign(op: OperationContext, itemIndex: number, id: string): Promise<Campaign> {
	const campaign = await getCampaign(await op.resources.store(), id);
	if (!campaign) throw itemError(op.ctx.getNode(), itemIndex, `there is no campaign with ID '${id}'`);
	return campaign;
}

/** The campaign as output JSON; the template only when asked (it can be large). */
export function campaignJson(campaign: Campaign, withTemplate = false): IDataObject {
	const { template, ...rest } = campaign;
	return jsonCopy(withTemplate ? campaign : { ...rest, subject: template.spec.subject });
}

/** A run's summary as output JSON; its failures go to the second output, one item each. */
export function summaryJson(summary: CampaignRunSummary): IDataObject {
	const { failures, ...rest } = summary;
	return { ...jsonCopy(rest), failuresListed: failures.length };
}
