import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { ComposeError, type Recipient } from '../../../lib/compose';
import { continueOrThrow } from '../../shared/nodeHelpers';
import { composedMessageToItem, parseAttachmentNames, readItemAttachments } from '../../shared/messageItem';
import { parseJsonObject, readLinkSettings } from '../../shared/template';
import { composeItemError } from '../helpers/errors';
import { TemplateCache } from '../helpers/template';
import { WarningHints } from './hints';

const forCompose = { show: { operation: ['compose'] } };

/** Who receives the message of each item: Subscriber List items fit the defaults. */
const recipientProperties: INodeProperties[] = [
	{
		displayName: 'Recipient E-Mail',
		name: 'recipientEmail',
		type: 'string',
		required: true,
		default: '={{ $json.email }}',
		placeholder: 'e.g. nathan@example.com',
		description: 'The address of this item’s recipient. Subscriber List items carry it in email.',
		displayOptions: forCompose,
	},
	{
		displayName: 'Recipient Name',
		name: 'recipientName',
		type: 'string',
		default: '={{ $json.name }}',
		placeholder: 'e.g. Nathan Smith',
		description: 'Display name in the To header and the {{ name }} merge field',
		displayOptions: forCompose,
	},
	{
		displayName: 'Subscriber ID',
		name: 'subscriberId',
		type: 'string',
		default: '={{ $json.id }}',
		description:
			'The subscriber’s ID in the store (Subscriber List items carry it in ID). Unsubscribe and tracking links are signed for it; leave empty only when the credential has no public base URL.',
		displayOptions: forCompose,
	},
	{
		displayName: 'Custom Fields',
		name: 'customFields',
		type: 'json',
		default: '={{ $json.fields }}',
		description:
			'The recipient’s custom fields as a JSON object, available as {{ fields.city }} or {{ city }}',
		displayOptions: forCompose,
	},
];

const messageProperties: INodeProperties[] = [
	{
		displayName: 'Campaign ID',
		name: 'campaignId',
		type: 'string',
		default: '',
		placeholder: 'e.g. 2026-05-newsletter',
		description:
			'Ties bounces, unsubscribes, opens and clicks to this campaign. Each message still gets its own Message-ID (set an Idempotency Key under Options to make it repeatable).',
		displayOptions: forCompose,
	},
	{
		displayName: 'Proof',
		name: 'proof',
		type: 'boolean',
		default: false,
		description:
			'Whether to render test messages: a subject prefix, no tracking, no campaign ID and unsubscribe links that change nothing',
		displayOptions: forCompose,
	},
	{
		displayName: 'Proof Subject Prefix',
		name: 'proofSubjectPrefix',
		type: 'string',
		default: '[TEST] ',
		displayOptions: { show: { operation: ['compose'], proof: [true] } },
	},
];

/** The Compose operation's own fields (the template fields are shared, nodes/shared/templateFields). */
export const description: INodeProperties[] = [...recipientProperties, ...messageProperties];

function optionalText(value: unknown): string | null {
	if (value === undefined || value === null) return null;
	const textValue = String(value).trim();
	return textValue === '' ? null : textValue;
}

function idempotencyKey(value: unknown): { key: string } | null {
	const key = optionalText(value);
	return key === null ? null : { key };
}

function readRecipient(ctx: IExecuteFunctions, itemIndex: number): Recipient {
	const email = optionalText(ctx.getNodeParameter('recipientEmail', itemIndex, ''));
	if (email === null) {
		throw new ComposeError(
			'invalid-recipient',
			"The recipient e-mail is empty: the item has no 'email' field, or 'Recipient E-mail' resolves to nothing",
		);
	}
	return {
		email,
		name: optionalText(ctx.getNodeParameter('recipientName', itemIndex, '')),
		id: optionalText(ctx.getNodeParameter('subscriberId', itemIndex, '')),
		fields: parseJsonObject(ctx.getNodeParameter('customFields', itemIndex, null), 'Custom Fields'),
	};
}

/** One message per input item; the templates are compiled once and reused. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];
	const templates = new TemplateCache(await readLinkSettings(this));
	const hints = new WarningHints();

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const { template, html, warnings } = templates.forItem(this, itemIndex, true);
			hints.add(warnings);
			const recipient = readRecipient(this, itemIndex);
			const campaignId = optionalText(this.getNodeParameter('campaignId', itemIndex, ''));
			const proof = this.getNodeParameter('proof', itemIndex, false) === true;
			const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
			const names = parseAttachmentNames(options.attachments);
			const { attachments, content } = names.length
				? await readItemAttachments(this, itemIndex, names, html)
				: { attachments: [], content: [] };
			const message = template.render(recipient, {
				item: items[itemIndex].json,
				campaignId,
				messageIdFrom: idempotencyKey(options.idempotencyKey),
				proof,
				attachments: content.length ? content : null,
			});
			returnData.push(composedMessageToItem(message, attachments, { proof, warnings }, itemIndex));
		} catch (error) {
			returnData.push(continueOrThrow(this, composeItemError(this.getNode(), itemIndex, error), itemIndex));
		}
	}
	hints.flush(this);
	return [returnData];
}
