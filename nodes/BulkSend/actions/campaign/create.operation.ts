/**
 * Campaign → Create: a list, a filter, a snapshot of the message template and sender settings,
 * an optional send-at time and an optional unique key (a second Create with the key returns the
 * first campaign).
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { createCampaign, wallClockToUtc, type StoredComposeOptions } from '../../../../lib/campaign';
import { listLocator, readLocator } from '../../../shared/locators';
import { item, itemError, showFor } from '../../../shared/nodeHelpers';
import { NO_BASE_URL_WARNING, readTemplateParameters } from '../../../shared/template';
import { templateOptionsProperty, templateProperties } from '../../../shared/templateFields';
import { checkSendConfig, type NodeOutput, type OperationContext } from '../resources';
import { readLimiterConfig, withSharedLimit } from '../throttling';
import { campaignJson, text } from './common';

const createOnly = showFor('campaign', ['create']);

/** Compose Message's options that apply to a stored template (no attachments; a campaign makes its own Message-IDs). */
const PER_MESSAGE_OPTIONS = ['attachments', 'idempotencyKey'];
const templateOptionEntries = (templateOptionsProperty.options as INodeProperties[])
	.filter((option) => !PER_MESSAGE_OPTIONS.includes(option.name))
	.map(({ displayOptions: _displayOptions, ...option }) => option as INodeProperties);

export const description: INodeProperties[] = [
	{
		displayName: 'Campaign Name',
		name: 'campaignName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. June newsletter',
		displayOptions: createOnly,
	},
	listLocator({
		displayName: 'List',
		name: 'list',
		required: true,
		description:
			'The list whose active subscribers receive the campaign (fixed when it starts: later sign-ups are not included)',
		displayOptions: createOnly,
	}),
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
	...templateProperties.map((property) => ({ ...property, displayOptions: createOnly })),
	{
		displayName: 'Template Options',
		name: 'templateOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: createOnly,
		options: templateOptionEntries,
	},
	{
		displayName: 'Send At',
		name: 'sendAt',
		type: 'dateTime',
		default: '',
		description:
			'When the campaign may start; runs before then send nothing. Empty: as soon as it is started.',
		displayOptions: createOnly,
	},
	{
		displayName: 'Unique Key',
		name: 'createKey',
		type: 'string',
		default: '',
		placeholder: "e.g. newsletter-{{ $now.toFormat('kkkk-WW') }}",
		description:
			'Optional. If a campaign with this key already exists, it is returned (created: false) instead of making a second one, so repeated or overlapping runs of a workflow cannot create — and send — the same campaign twice.',
		displayOptions: createOnly,
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

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx, resources } = op;
	const store = await resources.store();
	const links = await resources.links();
	const listRef = readLocator(ctx, 'list', itemIndex);
	if (!listRef) throw itemError(ctx.getNode(), itemIndex, 'no list is given; pick a list or enter its name or ID');
	const list = await store.getList(listRef);
	if (!list) throw itemError(ctx.getNode(), itemIndex, `there is no list named or numbered '${listRef}'`);
	const template = readTemplateParameters(ctx, itemIndex, 'templateOptions', true);
	const composeOptions: StoredComposeOptions = { ...template.options, baseUrl: links.baseUrl };
	const smtp = await resources.smtp(itemIndex);
	const limiter = await withSharedLimit(op, itemIndex, readLimiterConfig(op, itemIndex), smtp);
	checkSendConfig(op, itemIndex, { smtp, limiter });
	const sendAt = wallClockToUtc(text(ctx.getNodeParameter('sendAt', itemIndex, '')).trim(), ctx.getTimezone());
	const campaign = await createCampaign(
		store,
		{
			name: text(ctx.getNodeParameter('campaignName', itemIndex, '')),
			listId: list.id,
			filter: readFilter(op, itemIndex),
			template: template.spec,
			composeOptions,
			sender: { smtp, ...(limiter ? { limiter } : {}) },
			sendAt,
			createKey: text(ctx.getNodeParameter('createKey', itemIndex, '')).trim() || null,
		},
		resources.actor,
	);
	const json = campaignJson(campaign, true);
	if (!links.baseUrl) json.warnings = [NO_BASE_URL_WARNING];
	return [[item(json, itemIndex)], []];
}
