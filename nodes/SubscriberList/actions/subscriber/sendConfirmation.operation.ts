/**
 * Subscriber → Send Confirmation: one double opt-in confirmation message item per pending
 * subscriber, for Bulk Send's item mode (lib/optin renders, reserves and seals it).
 */
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import { compileTemplate, type CompiledTemplate, type TemplateSpec } from '../../../../lib/compose';
import {
	DEFAULT_CONFIRM_VALID_HOURS,
	DEFAULT_CONFIRMATION_TEMPLATES,
	DEFAULT_RESEND_LIMITS,
	markConfirmation,
	renderConfirmation,
	reserveConfirmation,
	type ConfirmationLanguage,
} from '../../../../lib/optin';
import { LinkSigner, normaliseBaseUrl } from '../../../../lib/store';
import { composedMessageToItem } from '../../../shared/messageItem';
import { jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { readLinkSettings } from '../../../shared/template';
import { subscriberIdOf, type OperationContext } from '../common';

const forSend = showFor('subscriber', ['sendConfirmation']);

export const description: INodeProperties[] = [
	{
		displayName:
			'Each pending subscriber gets one message item for Bulk Send (Message → Send, with the same store credential): only such a sealed confirmation message is sent to a pending subscriber. Items that are not sent (too many requests for the address, already confirmed) come out with status "refused", "already-confirmed" or "not-pending": route on {{ $json.status }} = "ready".',
		name: 'sendConfirmationNotice',
		type: 'notice',
		default: '',
		displayOptions: forSend,
	},
	{
		displayName: 'Subscriber ID',
		name: 'confirmSubscriberId',
		type: 'string',
		required: true,
		default: '={{ $json.id }}',
		description: 'The pending subscriber (Create or Update puts its ID in ID)',
		displayOptions: forSend,
	},
	{
		displayName: 'From E-Mail',
		name: 'fromEmail',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. news@example.com',
		displayOptions: forSend,
	},
	{
		displayName: 'From Name',
		name: 'fromName',
		type: 'string',
		default: '',
		placeholder: 'e.g. ACME News',
		displayOptions: forSend,
	},
	{
		displayName: 'Message',
		name: 'confirmationTemplate',
		type: 'options',
		options: [
			{ name: 'Built-in (English)', value: 'en' },
			{ name: 'Built-in (Japanese)', value: 'ja' },
			{ name: 'Custom Template', value: 'custom' },
		],
		default: 'en',
		description: 'The built-in message, or your own Liquid templates with {{ confirm_url }}',
		displayOptions: forSend,
	},
	{
		displayName: 'Subject',
		name: 'confirmationSubject',
		type: 'string',
		required: true,
		default: 'Please confirm your subscription to {{ item.list_name }}',
		description: 'Liquid, like Compose Message; {{ item.list_name }} is the list’s name',
		displayOptions: { show: { resource: ['subscriber'], operation: ['sendConfirmation'], confirmationTemplate: ['custom'] } },
	},
	{
		displayName: 'HTML',
		name: 'confirmationHtml',
		type: 'string',
		typeOptions: { rows: 8 },
		default: '<p>Hello {{ name }},</p>\n<p><a href="{{ confirm_url }}">Confirm my subscription to {{ item.list_name }}</a></p>',
		description: 'Must show {{ confirm_url }} (here or in the text)',
		displayOptions: { show: { resource: ['subscriber'], operation: ['sendConfirmation'], confirmationTemplate: ['custom'] } },
	},
	{
		displayName: 'Text',
		name: 'confirmationText',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		description: 'Plain-text part; derived from the HTML when empty',
		displayOptions: { show: { resource: ['subscriber'], operation: ['sendConfirmation'], confirmationTemplate: ['custom'] } },
	},
	{
		displayName: 'Options',
		name: 'confirmationOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: forSend,
		options: [
			{
				displayName: 'Allow Insecure HTTP Links',
				name: 'allowInsecureHttp',
				type: 'boolean',
				default: false,
				description: 'Whether a plain http public base URL is accepted (local testing only)',
			},
			{
				displayName: 'Link Valid For (Hours)',
				name: 'validForHours',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 2160 },
				default: DEFAULT_CONFIRM_VALID_HOURS,
				description: 'How long the confirm link works',
			},
			{
				displayName: 'Max Mails per Address per Day',
				name: 'maxPerDay',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 100 },
				default: 3,
				description: 'Confirmation mails one address can get within 24 hours, whatever the list',
			},
			{
				displayName: 'Minutes Between Mails',
				name: 'minIntervalMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 10,
				description: 'Minimum time between two confirmation mails to one address',
			},
			{
				displayName: 'Reply-To',
				name: 'replyTo',
				type: 'string',
				default: '',
				placeholder: 'e.g. help@example.com',
			},
		],
	},
];

/** Compiled once per execution and template. */
const compiledTemplates = new WeakMap<IExecuteFunctions, Map<string, CompiledTemplate>>();

function confirmationTemplate(ctx: IExecuteFunctions, itemIndex: number, baseUrl: string, secret: string, allowInsecureHttp: boolean): CompiledTemplate {
	const choice = ctx.getNodeParameter('confirmationTemplate', itemIndex, 'en') as ConfirmationLanguage | 'custom';
	const options = ctx.getNodeParameter('confirmationOptions', itemIndex, {}) as IDataObject;
	const fromEmail = String(ctx.getNodeParameter('fromEmail', itemIndex, '')).trim();
	if (!fromEmail) throw new Error('The From e-mail is empty; enter the sender address');
	const texts =
		choice === 'custom'
			? {
					subject: String(ctx.getNodeParameter('confirmationSubject', itemIndex, '')),
					html: String(ctx.getNodeParameter('confirmationHtml', itemIndex, '')),
					text: String(ctx.getNodeParameter('confirmationText', itemIndex, '')),
				}
			: DEFAULT_CONFIRMATION_TEMPLATES[choice] ?? DEFAULT_CONFIRMATION_TEMPLATES.en;
	const spec: TemplateSpec = {
		...texts,
		from: { name: String(ctx.getNodeParameter('fromName', itemIndex, '')), address: fromEmail },
		replyTo: String(options.replyTo ?? '').trim() || null,
	};
	const key = JSON.stringify([spec, baseUrl, allowInsecureHttp]);
	let cache = compiledTemplates.get(ctx);
	if (!cache) compiledTemplates.set(ctx, (cache = new Map()));
	let template = cache.get(key);
	if (!template) {
		template = compileTemplate(spec, { baseUrl, secret, allowInsecureHttp });
		cache.set(key, template);
	}
	return template;
}

export async function execute(op: OperationContext): Promise<IDataObject> {
	const { ctx, itemIndex, store } = op;
	const options = ctx.getNodeParameter('confirmationOptions', itemIndex, {}) as IDataObject;
	const id = subscriberIdOf(op, 'confirmSubscriberId');
	const subscriber = await store.getSubscriber({ id });
	if (!subscriber) throw new NodeOperationError(ctx.getNode(), `There is no subscriber with ID ${id}`, { itemIndex });
	const about = { subscriberId: subscriber.id, email: subscriber.email, listId: subscriber.listId };
	if (subscriber.status === 'active') return { status: 'already-confirmed', ...about, reason: 'The subscriber has confirmed already' };
	if (subscriber.status !== 'pending') {
		return { status: 'not-pending', ...about, subscriberStatus: subscriber.status, reason: `The subscriber is ${subscriber.status}, not pending` };
	}

	const links = await readLinkSettings(ctx);
	if (!links.baseUrl || !links.secret) {
		throw new NodeOperationError(ctx.getNode(), 'The store credential needs a Public Base URL and a Link Signing Secret for confirm links', {
			itemIndex,
			description: 'Set them to the Bounce Webhook trigger’s production URL (without its last part) and a secret of 16+ characters.',
		});
	}
	const allowInsecureHttp = options.allowInsecureHttp === true;
	let rendered;
	try {
		const baseUrl = normaliseBaseUrl(links.baseUrl, { allowInsecureHttp });
		const template = confirmationTemplate(ctx, itemIndex, baseUrl, links.secret, allowInsecureHttp);
		const list = await store.getList(subscriber.listId);
		rendered = renderConfirmation({
			template,
			subscriber,
			listName: list?.name ?? '',
			baseUrl,
			signer: new LinkSigner(links.secret),
			validForHours: options.validForHours === undefined ? undefined : Number(options.validForHours),
			item: ctx.getInputData()[itemIndex]?.json ?? {},
		});
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, { itemIndex });
	}
	// Reserved only once the message rendered, so a template mistake costs no send.
	const reserved = await reserveConfirmation(
		store,
		subscriber,
		{
			minIntervalMinutes: Number(options.minIntervalMinutes ?? DEFAULT_RESEND_LIMITS.minIntervalMinutes),
			maxPerDay: Number(options.maxPerDay ?? DEFAULT_RESEND_LIMITS.maxPerDay),
		},
		op.actor,
	);
	if (!reserved.ok) return { status: 'refused', ...about, reason: `Not sent: ${reserved.reason}`, retryAfter: reserved.retryAfter };
	const item = composedMessageToItem(rendered.message, [], { proof: false, warnings: [] }, itemIndex);
	return {
		...item.json,
		status: 'ready',
		listId: subscriber.listId,
		sendsToday: reserved.sendsToday,
		confirmation: jsonCopy(markConfirmation(links.secret, rendered, reserved.nonce)),
	};
}

