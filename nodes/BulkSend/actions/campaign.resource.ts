/**
 * Resource Campaign (campaign mode, over lib/campaign): recipients are read from the store in
 * keyset batches and each message is composed on the fly, so an execution holds one summary
 * item, never an item per recipient. A send log keyed by (campaign, subscriber) makes every
 * run resume where the last one stopped and mail nobody twice; a time budget or a message cap
 * per run lets a Schedule trigger drive a long campaign in slices.
 */
import type { IDataObject, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import {
	campaignStatus,
	cancelCampaign,
	CampaignRunError,
	createCampaign,
	getCampaign,
	getRecipients,
	pauseCampaign,
	RECIPIENT_STATES,
	runCampaign,
	type Campaign,
	type CampaignRunSummary,
	type RecipientState,
	type StoredComposeOptions,
} from '../../../lib/campaign';
import { validateProviderPause, type ProviderPausePolicy } from '../../../lib/bounce';
import { compileTemplate, type MessageEncoding, type TemplateSpec } from '../../../lib/compose';
import {
	createLimiter,
	FailureRateBreaker,
	resolveLimits,
	resolveRetryPolicy,
	type LimiterConfig,
	type SendLimiter,
} from '../../../lib/send';
import { optionsProperty, templateProperties } from '../../ComposeMessage/description';
import { NO_BASE_URL_WARNING, parseJsonObject } from '../../ComposeMessage/helpers/template';
import {
	bounceDomainOption,
	item,
	itemError,
	itemLabel,
	positiveNumber,
	readVerp,
	showFor,
	toJson,
	type ItemOperation,
	type NodeOutput,
	type OperationContext,
} from './common';
import { parseProofRecipients, sendProofs } from './message.resource';
import {
	readLimiterConfig,
	readRetryAndBreaker,
	retryOptions,
	withSharedLimit,
} from './throttling';

export const campaignOperations: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['campaign'] } },
	options: [
		{
			name: 'Cancel',
			value: 'cancel',
			action: 'Cancel a campaign',
			description: 'Stop a campaign for good; runs in progress stop after their in-flight messages',
		},
		{
			name: 'Create',
			value: 'create',
			action: 'Create a campaign',
			description: 'Store a campaign: a list, a filter and a snapshot of the message template',
		},
		{
			name: 'Get Recipients',
			value: 'getRecipients',
			action: 'Get recipients of a campaign',
			description: 'Each recipient’s state from the send log, page by page',
		},
		{
			name: 'Get Status',
			value: 'getStatus',
			action: 'Get the status of a campaign',
			description: 'Progress and results: sent, failed, unknown, bounced, opened, clicked…',
		},
		{
			name: 'Pause',
			value: 'pause',
			action: 'Pause a campaign',
			description: 'Runs in progress stop after their in-flight messages; Start with Resume continues',
		},
		{
			name: 'Start or Resume',
			value: 'start',
			action: 'Start or resume a campaign',
			description:
				'Send the campaign’s next recipients; one summary item, failures on the second output',
		},
		{
			name: 'Test Send',
			value: 'testSend',
			action: 'Send a test of a campaign',
			description: 'Send a proof of the campaign’s message to a few addresses',
		},
	],
	default: 'start',
};

const createOnly = showFor('campaign', ['create']);

/** The Compose Message template fields, shown for Create. */
const templateFields: INodeProperties[] = templateProperties.map((property) => ({
	...property,
	displayOptions: createOnly,
}));

/** Compose Message's options that apply to a stored template (no attachments). */
const templateOptionEntries = (optionsProperty.options as INodeProperties[])
	.filter((option) => option.name !== 'attachments')
	.map(({ displayOptions: _displayOptions, ...option }) => option as INodeProperties);

const stateOptions: INodePropertyOptions[] = RECIPIENT_STATES.map((state) => ({
	name: state.charAt(0).toUpperCase() + state.slice(1),
	value: state,
}));

export const campaignFields: INodeProperties[] = [
	{
		displayName: 'Campaign ID',
		name: 'campaignId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 12',
		description: 'The ID the Create operation returned',
		displayOptions: showFor('campaign', [
			'start',
			'testSend',
			'pause',
			'cancel',
			'getStatus',
			'getRecipients',
		]),
	},
	{
		displayName: 'Campaign Name',
		name: 'campaignName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. June newsletter',
		displayOptions: createOnly,
	},
	{
		displayName: 'List Name or ID',
		name: 'list',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Newsletter',
		description:
			'The list whose active subscribers receive the campaign (fixed when it starts: later sign-ups are not included)',
		displayOptions: createOnly,
	},
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
	...templateFields,
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
	{
		displayName: 'Reason',
		name: 'pauseReason',
		type: 'string',
		default: '',
		placeholder: 'e.g. Checking a complaint',
		displayOptions: showFor('campaign', ['pause']),
	},
	{
		displayName: 'Run Options',
		name: 'runOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('campaign', ['start']),
		options: [
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10000 },
				default: 500,
				description: 'Recipients claimed from the store at a time',
			},
			bounceDomainOption,
			{
				displayName: 'Max Messages per Run',
				name: 'maxMessages',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Stop after handing this many messages to the server (0: no cap); the next run continues',
			},
			{
				displayName: 'Provider Pause: Refusals',
				name: 'providerPauseRefusals',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 20,
				description:
					'Stop sending to one receiving provider (Microsoft, Google, Yahoo, docomo, …) after this many refusals of our mail (blocked, reputation, authentication, content) in the window, while the rest of the campaign goes on; 0 never pauses a provider',
			},
			{
				displayName: 'Provider Pause: Share of Attempts (%)',
				name: 'providerPauseShare',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 50,
				description: 'The refusals must also be at least this share of the attempts to that provider in the window',
			},
			{
				displayName: 'Provider Pause: Window (Minutes)',
				name: 'providerPauseWindow',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 1440 },
				default: 5,
			},
			{
				displayName: 'Resume If Paused',
				name: 'resumePaused',
				type: 'boolean',
				default: false,
				description:
					'Whether a paused campaign (by Pause or by the failure-rate breaker) sends again. Leave off when a Schedule trigger runs this node, so a pause holds.',
			},
			{
				displayName: 'Resume Paused Providers',
				name: 'resumeProviders',
				type: 'boolean',
				default: false,
				description:
					'Whether the recipients held for a paused provider are sent again (Get Status says which provider and why). Leave off when a Schedule trigger runs this node, so a pause holds.',
			},
			{
				displayName: 'Retry Unknown Deliveries',
				name: 'retryUnknown',
				type: 'boolean',
				default: false,
				description:
					'Whether recipients whose delivery is unknown (the connection was lost after the message went out, or a run died) are mailed again. They may then get two copies.',
			},
			{
				displayName: 'Time Budget (Seconds)',
				name: 'timeBudget',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Stop handing out messages after this long (0: until the campaign is done); the next run continues. With a Schedule trigger, use a little less than its interval.',
			},
			...retryOptions,
		],
	},
	{
		displayName: 'Recipient States',
		name: 'states',
		type: 'multiOptions',
		options: stateOptions,
		default: [],
		description: 'Only recipients in these states (none: all)',
		displayOptions: showFor('campaign', ['getRecipients']),
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: showFor('campaign', ['getRecipients']),
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: showFor('campaign', ['getRecipients'], { returnAll: [false] }),
	},
	{
		displayName: 'Page Cursor',
		name: 'cursor',
		type: 'string',
		default: '',
		description:
			'Continue after a previous page: the nextCursor of its items. Empty: from the first recipient.',
		displayOptions: showFor('campaign', ['getRecipients'], { returnAll: [false] }),
	},
];

function fail(op: OperationContext, itemIndex: number, message: string, description?: string): never {
	throw itemError(op.ctx.getNode(), itemIndex, message, description);
}

function campaignIdOf(op: OperationContext, itemIndex: number): string {
	const id = String(op.ctx.getNodeParameter('campaignId', itemIndex, '') ?? '').trim();
	if (!id) fail(op, itemIndex, 'no campaign ID is given', 'Use the ID the Create operation returned.');
	return id;
}

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

/** The campaign as output JSON; the template only when asked (it can be large). */
function campaignJson(campaign: Campaign, withTemplate = false): IDataObject {
	const { template, ...rest } = campaign;
	return toJson(withTemplate ? campaign : { ...rest, subject: template.spec.subject });
}

function readTemplate(op: OperationContext, itemIndex: number) {
	const { ctx } = op;
	const fromEmail = text(ctx.getNodeParameter('fromEmail', itemIndex, '')).trim();
	if (!fromEmail) fail(op, itemIndex, 'the From e-mail is empty; enter the sender address');
	const spec: TemplateSpec = {
		subject: text(ctx.getNodeParameter('subject', itemIndex, '')),
		html: text(ctx.getNodeParameter('html', itemIndex, '')),
		text: text(ctx.getNodeParameter('text', itemIndex, '')),
		from: { name: text(ctx.getNodeParameter('fromName', itemIndex, '')), address: fromEmail },
		replyTo: text(ctx.getNodeParameter('replyTo', itemIndex, '')).trim() || null,
	};
	const options = ctx.getNodeParameter('templateOptions', itemIndex, {}) as IDataObject;
	const compose: StoredComposeOptions = {
		allowInsecureHttp: options.allowInsecureHttp === true,
		inlineCss: options.inlineCss === true,
		strict: options.strict === true,
		defaults: parseJsonObject(options.defaults, 'Default Values'),
		encoding: (options.encoding as MessageEncoding | undefined) ?? 'utf-8',
		unsubscribeMailto: text(options.unsubscribeMailto).trim() || null,
		messageIdDomain: text(options.messageIdDomain).trim() || null,
		trackOpens: options.trackOpens === true,
		trackClicks: options.trackClicks === true,
		trackTextLinks: options.trackTextLinks === true,
	};
	return { spec, compose };
}

/**
 * n8n's date-time picker gives a wall-clock time without a zone ("2026-06-01T09:00:00"), meant
 * in the workflow's time zone; a value with Z or an offset is kept as it is.
 */
export function inTimeZone(value: string, timeZone: string): string | null {
	if (!value) return null;
	const naive = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value);
	if (!naive) return value;
	const [, y, mo, d, h, mi, se] = naive.map(Number);
	const wall = Date.UTC(y, mo - 1, d, h, mi, se || 0);
	const offsetAt = (time: number) => {
		const parts = Object.fromEntries(
			new Intl.DateTimeFormat('en-US', {
				timeZone,
				hourCycle: 'h23',
				year: 'numeric',
				month: '2-digit',
				day: '2-digit',
				hour: '2-digit',
				minute: '2-digit',
				second: '2-digit',
			})
				.formatToParts(new Date(time))
				.map((part) => [part.type, part.value]),
		);
		const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
		return shown - time;
	};
	// two passes settle the offset around a daylight-saving change
	let utc = wall - offsetAt(wall);
	utc = wall - offsetAt(utc);
	return new Date(utc).toISOString();
}

const create: ItemOperation = async (op, itemIndex) => {
	const { ctx, resources } = op;
	const store = await resources.store();
	const links = await resources.links();
	const listRef = text(ctx.getNodeParameter('list', itemIndex, '')).trim();
	if (!listRef) fail(op, itemIndex, 'no list is given; enter a list name or ID');
	const list = await store.getList(listRef);
	if (!list) fail(op, itemIndex, `there is no list named or numbered '${listRef}'`);
	const filterParameters = ctx.getNodeParameter('filter', itemIndex, {}) as IDataObject;
	const filter: { search?: string; field?: { name: string; value: string } } = {};
	if (text(filterParameters.search).trim()) filter.search = text(filterParameters.search).trim();
	if (text(filterParameters.fieldName).trim()) {
		filter.field = { name: text(filterParameters.fieldName).trim(), value: text(filterParameters.fieldValue) };
	}
	const { spec, compose } = readTemplate(op, itemIndex);
	compose.baseUrl = links.baseUrl;
	const smtp = await resources.smtp(itemIndex);
	const limiter = await withSharedLimit(op, itemIndex, readLimiterConfig(op, itemIndex), smtp);
	if (limiter) resolveLimits(limiter);
	const sendAt = inTimeZone(text(ctx.getNodeParameter('sendAt', itemIndex, '')).trim(), ctx.getTimezone());
	const campaign = await createCampaign(
		store,
		{
			name: text(ctx.getNodeParameter('campaignName', itemIndex, '')),
			listId: list.id,
			filter,
			template: spec,
			composeOptions: compose,
			sender: { smtp, ...(limiter ? { limiter } : {}) },
			sendAt,
			createKey: text(ctx.getNodeParameter('createKey', itemIndex, '')).trim() || null,
		},
		resources.actor,
	);
	const json = campaignJson(campaign, true);
	const warnings: string[] = [];
	if (!links.baseUrl) warnings.push(NO_BASE_URL_WARNING);
	if (warnings.length) json.warnings = warnings;
	return [[item(json, itemIndex)], []];
};

/** A limiter that lets `max` messages through, then stops the run (the rest waits). */
function capped(inner: SendLimiter, max: number, stop: AbortController): SendLimiter & { capped: boolean } {
	let handed = 0;
	const wrapper = {
		capped: false,
		limits: inner.limits,
		schedule<T>(domain: string | null, fn: () => Promise<T>): Promise<T> {
			handed++;
			if (handed > max && !wrapper.capped) {
				wrapper.capped = true;
				stop.abort();
			}
			// after the abort, the send engine turns this message back before it is sent
			return inner.schedule(domain, fn);
		},
		dailyRemaining: () => inner.dailyRemaining(),
		disconnect: () => inner.disconnect(),
	};
	return wrapper;
}

function summaryJson(summary: CampaignRunSummary): IDataObject {
	const { failures, ...rest } = summary;
	return { ...toJson(rest), failuresListed: failures.length };
}

/** The per-provider pause settings of Run Options (0 refusals: off). */
function readProviderPause(options: IDataObject): Partial<ProviderPausePolicy> | false {
	if (options.providerPauseRefusals !== undefined && Number(options.providerPauseRefusals) === 0) return false;
	const number = (value: unknown) => (value === undefined ? undefined : Number(value));
	const share = number(options.providerPauseShare);
	return validateProviderPause({
		...(options.providerPauseRefusals !== undefined ? { minRefusals: number(options.providerPauseRefusals) } : {}),
		...(share !== undefined ? { minShare: share / 100 } : {}),
		...(options.providerPauseWindow !== undefined ? { windowMinutes: number(options.providerPauseWindow) } : {}),
	});
}

const start: ItemOperation = async (op, itemIndex) => {
	const { ctx, resources } = op;
	const id = campaignIdOf(op, itemIndex);
	const store = await resources.store();
	const campaign = await getCampaign(store, id);
	if (!campaign) fail(op, itemIndex, `there is no campaign with ID '${id}'`);
	const options = ctx.getNodeParameter('runOptions', itemIndex, {}) as IDataObject;
	const links = await resources.links();
	const smtp = await resources.smtp(itemIndex);

	// The node's throttling, else the limits stored with the campaign.
	let config: LimiterConfig | undefined = readLimiterConfig(op, itemIndex);
	if (!config && campaign.sender.limiter) {
		const { redisId: _redisId, ...stored } = campaign.sender.limiter;
		config = { ...stored, timeZone: stored.timeZone ?? ctx.getTimezone() };
	}
	config = await withSharedLimit(op, itemIndex, config, smtp);
	const { retry, breaker } = readRetryAndBreaker(options);
	if (retry) resolveRetryPolicy(retry);
	if (breaker) new FailureRateBreaker(breaker);
	const maxMessages = positiveNumber(options.maxMessages);
	const timeBudget = positiveNumber(options.timeBudget);
	const verp = await readVerp(op, options.bounceDomain);

	const stop = new AbortController();
	const signals = [stop.signal, ...(resources.signal ? [resources.signal] : [])];
	let limiter: (SendLimiter & { capped?: boolean }) | null = null;
	let summary: CampaignRunSummary;
	try {
		const inner = await createLimiter(config ?? {});
		limiter = maxMessages ? capped(inner, Math.floor(maxMessages), stop) : inner;
		summary = await runCampaign(store, id, {
			smtp,
			transport: await resources.transport(itemIndex),
			limiter,
			retry,
			breaker,
			composeSecret: links.secret,
			baseUrl: links.baseUrl,
			verp,
			providerPause: readProviderPause(options),
			resumeProviders: options.resumeProviders === true,
			timeBudgetMs: timeBudget ? timeBudget * 1000 : undefined,
			batchSize: positiveNumber(options.batchSize),
			retryUnknown: options.retryUnknown === true,
			resume: options.resumePaused === true,
			signal: AbortSignal.any(signals),
			actor: resources.actor,
		});
	} catch (error) {
		if (error instanceof CampaignRunError && ctx.continueOnFail()) {
			const json = summaryJson(error.summary);
			json.error = `${itemLabel(itemIndex)}: ${error.message}`;
			return [
				[item(json, itemIndex)],
				error.summary.failures.map((failure) => item({ campaignId: id, ...toJson(failure) }, itemIndex)),
			];
		}
		throw itemError(
			ctx.getNode(),
			itemIndex,
			error,
			error instanceof CampaignRunError
				? 'Check the Bulk Mail SMTP credential (use its Test button). The campaign stays running: the next run continues where this one stopped.'
				: undefined,
		);
	} finally {
		await limiter?.disconnect();
	}
	if (limiter?.capped && summary.outcome === 'stopped') {
		summary.message = `Handed the maximum of ${Math.floor(maxMessages!)} messages for this run to the server; the next run continues.`;
	}
	return [
		[item(summaryJson(summary), itemIndex)],
		summary.failures.map((failure) => item({ campaignId: id, ...toJson(failure) }, itemIndex)),
	];
};

const testSend: ItemOperation = async (op, itemIndex) => {
	const { ctx, resources } = op;
	const id = campaignIdOf(op, itemIndex);
	const campaign = await getCampaign(await resources.store(), id);
	if (!campaign) fail(op, itemIndex, `there is no campaign with ID '${id}'`);
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
};

const pause: ItemOperation = async (op, itemIndex) => {
	const id = campaignIdOf(op, itemIndex);
	const reason = text(op.ctx.getNodeParameter('pauseReason', itemIndex, '')).trim();
	const campaign = await pauseCampaign(
		await op.resources.store(),
		id,
		op.resources.actor,
		reason || undefined,
	);
	return [[item(campaignJson(campaign), itemIndex)], []];
};

const cancel: ItemOperation = async (op, itemIndex) => {
	const id = campaignIdOf(op, itemIndex);
	const campaign = await cancelCampaign(await op.resources.store(), id, op.resources.actor);
	return [[item(campaignJson(campaign), itemIndex)], []];
};

const getStatus: ItemOperation = async (op, itemIndex) => {
	const id = campaignIdOf(op, itemIndex);
	const progress = await campaignStatus(await op.resources.store(), id);
	const { campaign, ...rest } = progress;
	return [[item({ ...campaignJson(campaign), ...toJson(rest) }, itemIndex)], []];
};

const RECIPIENT_PAGE = 1000;

const recipients: ItemOperation = async (op, itemIndex) => {
	const { ctx } = op;
	const id = campaignIdOf(op, itemIndex);
	const store = await op.resources.store();
	const states = ctx.getNodeParameter('states', itemIndex, []) as RecipientState[];
	const state = states.length ? states : undefined;
	const output: NodeOutput = [[], []];
	if (ctx.getNodeParameter('returnAll', itemIndex, false) === true) {
		let cursor: string | null = null;
		do {
			const page = await getRecipients(store, id, { state, limit: RECIPIENT_PAGE, cursor });
			for (const entry of page.items) output[0].push(item(toJson(entry), itemIndex));
			cursor = page.next;
		} while (cursor);
		return output;
	}
	const limit = Number(ctx.getNodeParameter('limit', itemIndex, 50));
	const cursor = text(ctx.getNodeParameter('cursor', itemIndex, '')).trim() || null;
	const page = await getRecipients(store, id, { state, limit, cursor });
	for (const entry of page.items) {
		output[0].push(item({ ...toJson(entry), nextCursor: page.next }, itemIndex));
	}
	return output;
};

export const campaignHandlers: Record<string, ItemOperation> = {
	create,
	start,
	testSend,
	pause,
	cancel,
	getStatus,
	getRecipients: recipients,
};

