import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { ComposeError, type Recipient } from '../../../lib/compose';
import { itemError } from '../helpers/errors';
import { parseJsonObject, readLinkSettings, TemplateCache } from '../helpers/template';
import { composedMessageToItem, parseAttachmentNames, readItemAttachments } from '../messageItem';
import { WarningHints } from './hints';

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
export async function compose(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
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
			const nodeError = itemError(this.getNode(), error, itemIndex);
			if (this.continueOnFail()) {
				returnData.push({ json: { error: nodeError.message }, pairedItem: { item: itemIndex } });
				continue;
			}
			throw nodeError;
		}
	}
	hints.flush(this);
	return [returnData];
}
