/**
 * Campaign → Create Follow-Up: a new campaign to the recipients of campaign C whose send
 * succeeded and who did not open it (or did not click), leaving out bounced, complained and
 * unsubscribed addresses, with its own subject and template (lib/campaign createFollowUp). Who
 * that is gets fixed when the follow-up starts — run it after a Wait node, e.g. two days after C.
 */
import type { INodeProperties } from 'n8n-workflow';

import { createFollowUp } from '../../../../lib/campaign';
import { item, showFor } from '../../../shared/nodeHelpers';
import { NO_BASE_URL_WARNING } from '../../../shared/template';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, campaignJson, text } from './common';
import { campaignBasicsFromParameters } from './create.operation';

const followUpOnly = showFor('campaign', ['createFollowUp']);

export const description: INodeProperties[] = [
	{ ...campaignField('createFollowUp'), displayName: 'Follow Up Campaign', description: 'The campaign whose recipients are followed up' },
	{
		displayName: 'Send To Recipients Who',
		name: 'followUpUnless',
		type: 'options',
		options: [
			{ name: 'Did Not Open', value: 'opened', description: 'Recipients with no open recorded' },
			{ name: 'Did Not Click', value: 'clicked', description: 'Recipients with no click recorded (they may have opened)' },
		],
		default: 'opened',
		displayOptions: followUpOnly,
	},
	{
		displayName: 'Count Only Human Opens',
		name: 'humanOpensOnly',
		type: 'boolean',
		default: false,
		description:
			'Whether only opens by a person count. Off (the default), any open counts, so Apple Mail readers — whose opens are made by Apple’s proxy — are not mailed again. On needs the reports’ open classification.',
		displayOptions: { show: { resource: ['campaign'], operation: ['createFollowUp'], followUpUnless: ['opened'] } },
	},
];

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx, resources } = op;
	const store = await resources.store();
	const campaignId = campaignIdOf(op, itemIndex);
	const unless = text(ctx.getNodeParameter('followUpUnless', itemIndex, 'opened')) as 'opened' | 'clicked';
	const human = unless === 'opened' && (ctx.getNodeParameter('humanOpensOnly', itemIndex, false) as boolean);
	const { baseUrl, ...basics } = await campaignBasicsFromParameters(op, itemIndex);
	const campaign = await createFollowUp(
		store,
		{ ...basics, campaignId, unless, opens: human ? 'human' : 'any' },
		resources.actor,
	);
	const json = campaignJson(campaign, true);
	if (!baseUrl) json.warnings = [NO_BASE_URL_WARNING];
	return [[item(json, itemIndex)], []];
}
