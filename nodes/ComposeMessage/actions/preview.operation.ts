import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { ComposeError, type MessagePreview, type Recipient } from '../../../lib/compose';
import type { SqlSubscriberStore } from '../../../lib/store';
import { listLocator, readLocator } from '../../shared/locators';
import { continueOrThrow } from '../../shared/nodeHelpers';
import { openNodeStore } from '../../shared/storeCredential';
import { parseJsonObject, readLinkSettings } from '../../shared/template';
import { composeItemError } from '../helpers/errors';
import { TemplateCache } from '../helpers/template';
import { WarningHints } from './hints';

const forPreview = { show: { operation: ['preview'] } };

/** The Preview operation's own fields (the template fields are shared, nodes/shared/templateFields). */
export const description: INodeProperties[] = [
	{
		displayName: 'Preview For',
		name: 'previewFor',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Sample Data',
				value: 'sample',
				description: 'A made-up recipient with the values below',
			},
			{
				name: 'Subscriber by E-Mail',
				value: 'subscriberEmail',
				description: 'A subscriber of a list in the store',
			},
			{
				name: 'Subscriber by ID',
				value: 'subscriberId',
				description: 'A subscriber in the store',
			},
		],
		default: 'sample',
		displayOptions: forPreview,
	},
	{
		displayName: 'Subscriber ID',
		name: 'previewSubscriberId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 42',
		displayOptions: { show: { operation: ['preview'], previewFor: ['subscriberId'] } },
	},
	listLocator({
		displayName: 'List',
		name: 'previewList',
		required: true,
		description: 'The list the subscriber belongs to',
		displayOptions: { show: { operation: ['preview'], previewFor: ['subscriberEmail'] } },
	}),
	{
		displayName: 'Subscriber E-Mail',
		name: 'previewEmail',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. nathan@example.com',
		displayOptions: { show: { operation: ['preview'], previewFor: ['subscriberEmail'] } },
	},
	{
		displayName: 'Sample E-Mail',
		name: 'sampleEmail',
		type: 'string',
		default: 'subscriber@example.com',
		placeholder: 'e.g. nathan@example.com',
		displayOptions: { show: { operation: ['preview'], previewFor: ['sample'] } },
	},
	{
		displayName: 'Sample Name',
		name: 'sampleName',
		type: 'string',
		default: 'Sample Subscriber',
		placeholder: 'e.g. Nathan Smith',
		displayOptions: { show: { operation: ['preview'], previewFor: ['sample'] } },
	},
	{
		displayName: 'Sample Custom Fields',
		name: 'sampleFields',
		type: 'json',
		default: '{}',
		description: 'Custom fields of the sample recipient, e.g. {"city": "Osaka"}',
		displayOptions: { show: { operation: ['preview'], previewFor: ['sample'] } },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the output binary field that holds preview.html',
		displayOptions: forPreview,
	},
];

const PREVIEW_FILE = 'preview.html';

function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The file to open: the HTML part, or the text part when the message has no HTML. */
function previewDocument(preview: MessagePreview): string {
	if (preview.html.trim()) return preview.html;
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(preview.subject)}</title></head><body><pre style="white-space:pre-wrap">${escapeHtml(preview.text)}</pre></body></html>`;
}

/** Opens the store on first use only: sample previews never touch it. */
class LazyStore {
	private store: Promise<SqlSubscriberStore> | null = null;

	constructor(private readonly ctx: IExecuteFunctions) {}

	get(): Promise<SqlSubscriberStore> {
		this.store ??= openNodeStore(this.ctx);
		return this.store;
	}

	async close(): Promise<void> {
		if (!this.store) return;
		const store = await this.store.catch(() => null);
		await store?.close();
	}
}

async function previewRecipient(
	ctx: IExecuteFunctions,
	itemIndex: number,
	stores: LazyStore,
): Promise<Recipient> {
	const previewFor = ctx.getNodeParameter('previewFor', itemIndex, 'sample') as string;
	if (previewFor === 'subscriberId') {
		const id = String(ctx.getNodeParameter('previewSubscriberId', itemIndex, '')).trim();
		if (!id) throw new ComposeError('invalid-recipient', 'No subscriber ID is given');
		const subscriber = await (await stores.get()).getSubscriber({ id });
		if (!subscriber) {
			throw new ComposeError('invalid-recipient', `There is no subscriber with the ID '${id}'`);
		}
		return subscriber;
	}
	if (previewFor === 'subscriberEmail') {
		const listRef = readLocator(ctx, 'previewList', itemIndex);
		const email = String(ctx.getNodeParameter('previewEmail', itemIndex, '')).trim();
		if (!listRef || !email) {
			throw new ComposeError(
				'invalid-recipient',
				'Both the list and the subscriber e-mail are needed to find the subscriber',
			);
		}
		const store = await stores.get();
		const list = await store.getList(listRef);
		if (!list) {
			throw new ComposeError(
				'invalid-recipient',
				`There is no list named or numbered '${listRef}'`,
			);
		}
		const subscriber = await store.getSubscriber({ listId: list.id, email });
		if (!subscriber) {
			throw new ComposeError(
				'invalid-recipient',
				`The list '${list.name}' has no subscriber with the e-mail ${email}`,
			);
		}
		return subscriber;
	}
	return {
		id: 'preview',
		email: String(ctx.getNodeParameter('sampleEmail', itemIndex, 'subscriber@example.com')).trim(),
		name: String(ctx.getNodeParameter('sampleName', itemIndex, '') ?? ''),
		fields: parseJsonObject(
			ctx.getNodeParameter('sampleFields', itemIndex, '{}'),
			'Sample Custom Fields',
		),
	};
}

/**
 * Renders the message for one recipient per input item (tracking off, unsubscribe links inert)
 * and returns subject, HTML, text and headers, with the HTML as a file to open.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];
	const templates = new TemplateCache(await readLinkSettings(this));
	const stores = new LazyStore(this);
	const hints = new WarningHints();
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const { template, warnings } = templates.forItem(this, itemIndex, false);
				hints.add(warnings);
				const recipient = await previewRecipient(this, itemIndex, stores);
				const rendered = template.preview(recipient, { item: items[itemIndex].json });
				const binaryPropertyName = String(
					this.getNodeParameter('binaryPropertyName', itemIndex, 'data'),
				).trim();
				if (!binaryPropertyName) {
					throw new ComposeError(
						'invalid-option',
						"'Put Output File in Field' is empty; enter a field name such as data",
					);
				}
				const file = await this.helpers.prepareBinaryData(
					Buffer.from(previewDocument(rendered), 'utf8'),
					PREVIEW_FILE,
					'text/html',
				);
				const json: IDataObject = {
					subject: rendered.subject,
					html: rendered.html,
					text: rendered.text,
					headers: { ...rendered.headers },
					recipient: {
						email: recipient.email,
						name: recipient.name ?? '',
						subscriberId:
							recipient.id === undefined || recipient.id === null ? null : String(recipient.id),
					},
					textMode: template.textMode,
				};
				if (warnings.length) json.warnings = [...warnings];
				returnData.push({
					json,
					binary: { [binaryPropertyName]: file },
					pairedItem: { item: itemIndex },
				});
			} catch (error) {
				returnData.push(continueOrThrow(this, composeItemError(this.getNode(), itemIndex, error), itemIndex));
			}
		}
	} finally {
		await stores.close();
	}
	hints.flush(this);
	return [returnData];
}
