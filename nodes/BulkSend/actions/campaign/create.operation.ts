/**
 * Campaign → Create: an audience (one or more lists in order, and/or a segment), a filter, a
 * snapshot of the message template and sender settings, an optional send-at time and an
 * optional unique key (a second Create with the key returns the first campaign). The template,
 * sender and timing fields are shared with Create Follow-Up (campaignBasicsFromParameters).
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { createCampaign, wallClockToUtc, type CampaignInput, type StoredComposeOptions } from '../../../../lib/campaign';
import { listLocator, locatorValue, readLocator } from '../../../shared/locators';
import { item, itemError, showFor } from '../../../shared/nodeHelpers';
import { segmentProperties } from '../../../shared/segmentFields';
import { readSegment } from '../../../shared/segmentParameters';
import { NO_BASE_URL_WARNING, readTemplateParameters } from '../../../shared/template';
import { templateOptionsProperty, templateProperties } from '../../../shared/templateFields';
import { checkSendConfig, type NodeOutput, type OperationContext } from '../resources';
import { readLimiterConfig, withSharedLimit } from '../throttling';
import { campaignJson, text } from './common';

const createOnly = showFor('campaign', ['create']);
/** Fields Create and Create Follow-Up share: the name, the template, sender and timing. */
const newCampaign = showFor('campaign', ['create', 'createFollowUp']);

/** Compose Message's options that apply to a stored template (no attachments; a campaign makes its own Message-IDs). */
const PER_MESSAGE_OPTIONS = ['attachments', 'idempotencyKey'];
const templateOptionEntries = (templateOptionsProperty.options as INodeProperties[])
	.filter((option) => !PER_MESSAGE_OPTIONS.includes(option.name))
	.map(({ displayOptions: _displayOptions, ...option }) => option as INodeProperties);

/** Name, template, sender and timing: Create and Create Follow-Up both show these. */
export const campaignNameProperty: INodeProperties = {
	displayName: 'Campaign Name',
	name: 'campaignName',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'e.g. June newsletter',
	displayOptions: newCampaign,
};

export const description: INodeProperties[] = [
	campaignNameProperty,
	listLocator({
		displayName: 'List',
		name: 'list',
		description:
			'The (first) list whose active subscribers receive the campaign; an address on several of the audience’s lists gets one message, made with its row on the first list in order. Empty with a segment: every list.',
		displayOptions: createOnly,
	}),
	{
		displayName: 'More Lists',
		name: 'moreLists',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add List',
		default: {},
		description: 'Further lists of the audience, in order (one message per person however many lists they are on)',
		displayOptions: createOnly,
		options: [
			{
				displayName: 'List',
				name: 'lists',
				values: [
					{
						displayName: 'List Name or ID',
						name: 'list',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getSegmentLists' },
						default: '',
						description:
							'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
					},
				],
			},
		],
	},
	...segmentProperties(
		{ show: { resource: ['campaign'], operation: ['create'] } },
		{
			optional: true,
			saved: true,
			description:
				'Only subscribers a segment selects: conditions built below, JSON, or a saved segment. Frozen when the campaign starts (a later edit of the segment changes nothing; “within the last 30 days” means before the start).',
		},
	),
	{
		displayName: 'Filter',
		name: 'filter',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: createOnly,
		options: [
			{
				displayName: 'Search',
				name: 'search',
				type: 'string',
				default: '',
				description: 'Only subscribers whose e-mail or name contains this (any case)',
			},
			{
				displayName: 'Custom Field Name',
				name: 'fieldName',
				type: 'string',
				default: '',
				placeholder: 'e.g. plan',
			},
			{
				displayName: 'Custom Field Value',
				name: 'fieldValue',
				type: 'string',
				default: '',
				placeholder: 'e.g. gold',
				description: 'Only subscribers whose custom field equals this (compared as text)',
			},
		],
	},
	...templateProperties.map((property) => ({ ...property, displayOptions: newCampaign })),
	{
		displayName: 'Template Options',
		name: 'templateOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: newCampaign,
		options: templateOptionEntries,
	},
	{
		displayName: 'Send At',
		name: 'sendAt',
		type: 'dateTime',
		default: '',
		description:
			'When the campaign may start; runs before then send nothing. Empty: as soon as it is started.',
		displayOptions: newCampaign,
	},
	{
		displayName: 'Unique Key',
		name: 'createKey',
		type: 'string',
		default: '',
		placeholder: "e.g. newsletter-{{ $now.toFormat('kkkk-WW') }}",
		description:
			'Optional. If a campaign with this key already exists, it is returned (created: false) instead of making a second one, so repeated or overlapping runs of a workflow cannot create — and send — the same campaign twice.',
		displayOptions: newCampaign,
	},
];

function readFilter(op: OperationContext, itemIndex: number) {
	const parameters = op.ctx.getNodeParameter('filter', itemIndex, {}) as IDataObject;
	const filter: { search?: string; field?: { name: string; value: string } } = {};
	if (text(parameters.search).trim()) filter.search = text(parameters.search).trim();
	if (text(parameters.fieldName).trim()) {
		filter.field = { name: text(parameters.fieldName).trim(), value: text(parameters.fieldValue) };
	}
	return filter;
}

/** The lists of the audience in order: List first, then More Lists (repeats dropped). */
async function audienceLists(op: OperationContext, itemIndex: number): Promise<string[]> {
	const { ctx } = op;
	const store = await op.resources.store();
	const refs = [readLocator(ctx, 'list', itemIndex)];
	const more = ctx.getNodeParameter('moreLists', itemIndex, {}) as { lists?: Array<{ list?: unknown }> };
	for (const entry of more.lists ?? []) refs.push(locatorValue(entry.list));
	const ids: string[] = [];
	for (const ref of refs.filter(Boolean)) {
		const list = await store.getList(ref);
		if (!list) throw itemError(ctx.getNode(), itemIndex, `there is no list named or numbered '${ref}'`);
		if (!ids.includes(list.id)) ids.push(list.id);
	}
	return ids;
}

/** Name, template, compose options, sender and timing of a new campaign (Create, Create Follow-Up). */
export async function campaignBasicsFromParameters(
	op: OperationContext,
	itemIndex: number,
): Promise<Pick<CampaignInput, 'name' | 'template' | 'composeOptions' | 'sender' | 'sendAt' | 'createKey'> & { baseUrl: StoredComposeOptions['baseUrl'] }> {
	const { ctx, resources } = op;
	const links = await resources.links();
	const template = readTemplateParameters(ctx, itemIndex, 'templateOptions', true);
	const composeOptions: StoredComposeOptions = { ...template.options, baseUrl: links.baseUrl };
	const smtp = await resources.smtp(itemIndex);
	const limiter = await withSharedLimit(op, itemIndex, readLimiterConfig(op, itemIndex), smtp);
	checkSendConfig(op, itemIndex, { smtp, limiter });
	return {
		name: text(ctx.getNodeParameter('campaignName', itemIndex, '')),
		template: template.spec,
		composeOptions,
		sender: { smtp, ...(limiter ? { limiter } : {}) },
		sendAt: wallClockToUtc(text(ctx.getNodeParameter('sendAt', itemIndex, '')).trim(), ctx.getTimezone()),
		createKey: text(ctx.getNodeParameter('createKey', itemIndex, '')).trim() || null,
		baseUrl: links.baseUrl,
	};
}

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx, resources } = op;
	const store = await resources.store();
	const listIds = await audienceLists(op, itemIndex);
	const segment = await readSegment(ctx, itemIndex, store);
	if (!listIds.length && !segment) {
		throw itemError(ctx.getNode(), itemIndex, 'no list and no segment is given; pick a list, or define a segment to mail across every list');
	}
	const { baseUrl, ...basics } = await campaignBasicsFromParameters(op, itemIndex);
	const campaign = await createCampaign(
		store,
		{
			...basics,
			listIds,
			...(segment
				? {
						segment: segment.saved ? { segmentId: segment.saved.id } : { definition: segment.definition },
						timeZone: segment.timeZone,
					}
				: {}),
			filter: readFilter(op, itemIndex),
		},
		resources.actor,
	);
	const json = campaignJson(campaign, true);
	if (!baseUrl) json.warnings = [NO_BASE_URL_WARNING];
	return [[item(json, itemIndex)], []];
}
