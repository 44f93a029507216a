/** Campaign → Test Send: a proof of the campaign's message to a few addresses, outside its counters. */
import type { INodeProperties } from 'n8n-workflow';

import { compileTemplate } from '../../../../lib/compose';
import { parseProofRecipients, proofFields, sendProofs } from '../proofs';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, requireCampaign, text } from './common';

export const description: INodeProperties[] = [campaignField('testSend'), ...proofFields('campaign')];

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx, resources } = op;
	const id = campaignIdOf(op, itemIndex);
	const campaign = await requireCampaign(op, itemIndex, id);
	const addresses = parseProofRecipients(op, itemIndex);
	const links = await resources.links();
	const template = compileTemplate(campaign.template.spec, {
		...campaign.template.options,
		...(links.baseUrl ? { baseUrl: links.baseUrl } : {}),
		secret: links.secret,
		proofSubjectPrefix: text(ctx.getNodeParameter('proofSubjectPrefix', itemIndex, '[TEST] ')),
	});
	const proofs = addresses.map((address) => ({
		address,
		message: template.render({ email: address, name: '' }, { proof: true }),
	}));
	return sendProofs(op, itemIndex, proofs);
}
