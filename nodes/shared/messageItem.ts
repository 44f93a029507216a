/**
 * The message-item contract between the nodes: a composed message as an n8n item, and back.
 * Compose Message and Subscriber List (Send Confirmation) write the message fields to
 * `json` and keep each attachment as a binary property of the item (json.attachments lists
 * them); Bulk Send's item mode reads an item back with `composedMessageFromItem` and sends it
 * with lib/compose `toSendMailOptions`, which checks every field again.
 */
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import {
	ComposeError,
	parseMailbox,
	type ComposeAttachment,
	type ComposedMessage,
	type MailAddress,
} from '../../lib/compose';
import { itemLabel as labelOf } from './nodeHelpers';

/** How json.attachments names an attachment: its binary property, file name, type, content id. */
export interface AttachmentReference {
	binaryProperty: string;
	filename: string;
	contentType: string;
	/** Set for inline images (`<img src="cid:…">`). */
	cid?: string;
}

export interface ItemAttachment extends AttachmentReference {
	binary: IBinaryData;
}

/** Binary field names from a comma-separated parameter, without blanks and repeats. */
export function parseAttachmentNames(value: unknown): string[] {
	if (value === undefined || value === null) return [];
	const names = String(value)
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	return [...new Set(names)];
}

/** Whether the HTML shows the attachment inline, as `cid:<name>`. */
export function isReferencedInline(html: string | null | undefined, name: string): boolean {
	if (!html) return false;
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`cid:${escaped}(?![A-Za-z0-9._@+-])`).test(html);
}

/**
 * Reads the named binary fields of an input item: the binary metadata (kept for the output
 * item) and the content (for the engine, which checks file names, types and content ids).
 */
export async function readItemAttachments(
	ctx: IExecuteFunctions,
	itemIndex: number,
	names: string[],
	html: string | null | undefined,
): Promise<{ attachments: ItemAttachment[]; content: ComposeAttachment[] }> {
	const attachments: ItemAttachment[] = [];
	const content: ComposeAttachment[] = [];
	for (const name of names) {
		const binary = ctx.helpers.assertBinaryData(itemIndex, name);
		const buffer = await ctx.helpers.getBinaryDataBuffer(itemIndex, name);
		const reference: AttachmentReference = {
			binaryProperty: name,
			filename:
				binary.fileName || `${name}${binary.fileExtension ? `.${binary.fileExtension}` : ''}`,
			contentType: binary.mimeType || 'application/octet-stream',
		};
		if (isReferencedInline(html, name)) reference.cid = name;
		attachments.push({ ...reference, binary });
		content.push({
			filename: reference.filename,
			content: buffer,
			contentType: reference.contentType,
			...(reference.cid ? { cid: reference.cid } : {}),
		});
	}
	return { attachments, content };
}

/** The output item of one composed message. */
export function composedMessageToItem(
	message: ComposedMessage,
	attachments: ItemAttachment[],
	extra: { proof: boolean; warnings: string[] },
	itemIndex: number,
): INodeExecutionData {
	const json: IDataObject = {
		from: { ...message.from },
		to: { ...message.to },
		...(message.replyTo ? { replyTo: { ...message.replyTo } } : {}),
		subject: message.subject,
		html: message.html,
		text: message.text,
		headers: { ...message.headers },
		messageId: message.messageId,
		campaignId: message.campaignId,
		subscriberId: message.subscriberId,
		encoding: message.encoding,
		proof: extra.proof,
		attachments: attachments.map(({ binary: _binary, ...reference }) => ({ ...reference })),
	};
	if (extra.warnings.length) json.warnings = [...extra.warnings];
	const item: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
	if (attachments.length) {
		item.binary = {};
		for (const attachment of attachments)
			item.binary[attachment.binaryProperty] = attachment.binary;
	}
	return item;
}

function requireText(json: IDataObject, key: string, itemLabel: string): string {
	const value = json[key];
	if (typeof value !== 'string') {
		throw new ComposeError(
			'invalid-option',
			`${itemLabel} is not a composed message: '${key}' is ${value === undefined ? 'missing' : 'not text'}. Compose it with the Compose Message node.`,
		);
	}
	return value;
}

function address(value: unknown, key: string, itemLabel: string): MailAddress {
	if (value === undefined || value === null || value === '') {
		throw new ComposeError(
			'invalid-address',
			`${itemLabel} is not a composed message: '${key}' is missing. Compose it with the Compose Message node.`,
		);
	}
	return parseMailbox(value, `${itemLabel}: ${key}`);
}

/**
 * A ComposedMessage from an item (one written by Compose Message, or built by hand with the same
 * fields). Attachments are loaded from the item's binary properties; an entry of
 * json.attachments may also be just a binary property name. Pass the result to
 * `toSendMailOptions`, which validates addresses, headers and attachments again.
 */
export async function composedMessageFromItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData = ctx.getInputData()[itemIndex],
): Promise<ComposedMessage> {
	const itemLabel = labelOf(itemIndex);
	const json = (item?.json ?? {}) as IDataObject;
	const html = typeof json.html === 'string' ? json.html : '';
	const text = typeof json.text === 'string' ? json.text : '';
	const headers = json.headers ?? {};
	if (typeof headers !== 'object' || Array.isArray(headers)) {
		throw new ComposeError('invalid-option', `${itemLabel}: 'headers' must be an object`);
	}
	const encoding = json.encoding === 'iso-2022-jp' ? 'iso-2022-jp' : 'utf-8';
	const message: ComposedMessage = {
		from: address(json.from, 'from', itemLabel),
		to: address(json.to, 'to', itemLabel),
		subject: requireText(json, 'subject', itemLabel),
		html,
		text,
		headers: Object.fromEntries(
			Object.entries(headers as IDataObject).map(([name, value]) => [name, String(value ?? '')]),
		),
		messageId: typeof json.messageId === 'string' ? json.messageId : '',
		campaignId:
			json.campaignId === undefined || json.campaignId === null ? null : String(json.campaignId),
		subscriberId:
			json.subscriberId === undefined || json.subscriberId === null
				? null
				: String(json.subscriberId),
		encoding,
	};
	if (json.replyTo) message.replyTo = address(json.replyTo, 'replyTo', itemLabel);

	const references = json.attachments ?? [];
	if (!Array.isArray(references)) {
		throw new ComposeError('invalid-attachment', `${itemLabel}: 'attachments' must be a list`);
	}
	if (references.length) {
		const attachments: ComposeAttachment[] = [];
		for (const entry of references) {
			const reference =
				typeof entry === 'string'
					? { binaryProperty: entry }
					: ((entry ?? {}) as Partial<AttachmentReference>);
			const property = String(reference.binaryProperty ?? '');
			const binary = item.binary?.[property];
			if (!property || !binary) {
				throw new ComposeError(
					'invalid-attachment',
					`${itemLabel}: the attachment '${property}' is not a binary field of the item`,
				);
			}
			const cid =
				reference.cid ??
				(typeof entry === 'string' && isReferencedInline(html, property) ? property : undefined);
			attachments.push({
				filename: String(reference.filename ?? binary.fileName ?? property),
				contentType: String(reference.contentType ?? binary.mimeType ?? 'application/octet-stream'),
				content: await ctx.helpers.getBinaryDataBuffer(itemIndex, binary),
				...(cid ? { cid: String(cid) } : {}),
			});
		}
		message.attachments = attachments;
	}
	return message;
}
