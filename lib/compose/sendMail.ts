/**
 * ComposedMessage → nodemailer SendMailOptions. This is also the safety boundary for messages
 * that travelled through n8n items (and could have been edited on the way): addresses, header
 * names and values and attachments are checked again here.
 */
import type { SendMailOptions } from 'nodemailer';

import { ComposeError } from './errors';
import {
	parseMailbox,
	sanitizeHeaderText,
	STRUCTURAL_HEADERS,
	validateHeaderName,
} from './headerSafety';
import { encodeIso2022Jp, encodeIso2022JpHeader } from './iso2022jp';
import type { ComposeAttachment, ComposedMessage, MailAddress, MessageEncoding } from './types';

export interface SendMailConversionOptions {
	/** Overrides the message's own `encoding`. */
	encoding?: MessageEncoding;
}

const LIST_UNSUBSCRIBE_VALUE = /^<[\x21-\x3b\x3d\x3f-\x7e]+>(?:, ?<[\x21-\x3b\x3d\x3f-\x7e]+>)*$/;

function mailbox(value: unknown, label: string): MailAddress {
	const parsed = parseMailbox(value, label);
	return { name: sanitizeHeaderText(parsed.name), address: parsed.address };
}

/** Lines of at most 998 octets: what 7bit allows. */
function fitsSevenBit(content: Buffer): boolean {
	let lineLength = 0;
	for (const byte of content) {
		if (byte === 0x0a || byte === 0x0d) lineLength = 0;
		else if (++lineLength > 998) return false;
	}
	return true;
}

function convertAttachments(attachments: unknown): NonNullable<SendMailOptions['attachments']> {
	if (!Array.isArray(attachments)) {
		throw new ComposeError('invalid-attachment', 'Attachments must be a list');
	}
	return attachments.map((raw: unknown, index) => {
		const attachment = (raw ?? {}) as Partial<ComposeAttachment> & Record<string, unknown>;
		const label = `Attachment ${index + 1}`;
		if ('path' in attachment || 'href' in attachment || 'raw' in attachment) {
			throw new ComposeError(
				'invalid-attachment',
				`${label}: only in-memory content is accepted (no path, href or raw)`,
			);
		}
		if (!Buffer.isBuffer(attachment.content)) {
			throw new ComposeError('invalid-attachment', `${label}: content must be a Buffer`);
		}
		const cid = attachment.cid ? String(attachment.cid) : undefined;
		if (cid !== undefined && !/^[A-Za-z0-9._@+-]{1,200}$/.test(cid)) {
			throw new ComposeError(
				'invalid-attachment',
				`${label}: content id '${cid.slice(0, 80)}' is not valid`,
			);
		}
		return {
			filename:
				sanitizeHeaderText(attachment.filename).replace(/[\\/]/g, '_') || `attachment-${index + 1}`,
			content: attachment.content,
			contentType: sanitizeHeaderText(attachment.contentType) || 'application/octet-stream',
			...(cid !== undefined ? { cid, contentDisposition: 'inline' as const } : {}),
		};
	});
}

/**
 * Nodemailer options for a rendered message. Never reads files or URLs
 * (`disableFileAccess` / `disableUrlAccess`). List-Unsubscribe is passed pre-formatted so
 * nodemailer does not fold or re-encode it (a folded URL can break DKIM, nodemailer #1654).
 * With `iso-2022-jp` the subject and the text part use ISO-2022-JP when every character fits
 * (otherwise UTF-8); the HTML part stays UTF-8.
 */
// Long: one check-and-convert pass per message field, in header order; each step is a few lines.
export function toSendMailOptions(
	message: ComposedMessage,
	options: SendMailConversionOptions = {},
): SendMailOptions {
	if (!message || typeof message !== 'object') {
		throw new ComposeError('invalid-option', 'A composed message object is required');
	}
	const encoding = options.encoding ?? message.encoding ?? 'utf-8';
	const subject = sanitizeHeaderText(message.subject);
	const html = typeof message.html === 'string' ? message.html : '';
	const text = typeof message.text === 'string' ? message.text : '';
	if (!html && !text) {
		throw new ComposeError('invalid-option', 'The message has neither an HTML nor a text part');
	}

	const headers: Record<string, string | { prepared: true; value: string }> = {};
	for (const [name, rawValue] of Object.entries(message.headers ?? {})) {
		validateHeaderName(name);
		const key = name.toLowerCase();
		if (STRUCTURAL_HEADERS.has(key)) {
			throw new ComposeError(
				'invalid-option',
				`The header '${name}' cannot be set through headers; use the message's own field`,
			);
		}
		const value = sanitizeHeaderText(rawValue);
		if (key === 'list-unsubscribe') {
			if (!LIST_UNSUBSCRIBE_VALUE.test(value)) {
				throw new ComposeError(
					'invalid-option',
					'List-Unsubscribe must be a list of <URL> in plain ASCII',
				);
			}
			headers[name] = { prepared: true, value };
		} else {
			headers[name] = value;
		}
	}

	const result: SendMailOptions = {
		from: mailbox(message.from, 'From'),
		to: mailbox(message.to, 'To'),
		headers,
		disableFileAccess: true,
		disableUrlAccess: true,
	};
	if (message.replyTo) result.replyTo = mailbox(message.replyTo, 'Reply-To');
	if (message.messageId) {
		const messageId = String(message.messageId).trim();
		if (!/^<[\x21-\x3b\x3d\x3f-\x7e]+@[A-Za-z0-9.-]+>$/.test(messageId)) {
			throw new ComposeError(
				'invalid-option',
				`'${messageId.slice(0, 100)}' is not a valid Message-ID`,
			);
		}
		result.messageId = messageId;
	}
	if (message.attachments && message.attachments.length) {
		result.attachments = convertAttachments(message.attachments);
	}

	const jisSubject = encoding === 'iso-2022-jp' ? encodeIso2022JpHeader(subject) : null;
	if (jisSubject !== null && jisSubject !== subject) {
		headers.Subject = { prepared: true, value: jisSubject };
	} else {
		result.subject = subject;
	}
	const jisText = encoding === 'iso-2022-jp' && text ? encodeIso2022Jp(text) : null;
	if (jisText) {
		// Both parts as alternatives, in order: the last one (HTML) is the preferred one.
		// ISO-2022-JP goes out 7bit as RFC 1468 has it (legacy clients expect that); nodemailer
		// would quoted-print the ESC bytes, so the part is handed over ready-made (`raw`). A raw
		// node cannot be the message root, so a text-only message stays quoted-printable.
		const crlf = Buffer.from(jisText.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
		result.alternatives = [
			html && fitsSevenBit(crlf)
				? {
						contentType: 'text/plain; charset=ISO-2022-JP',
						raw: Buffer.concat([
							Buffer.from(
								'Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n',
							),
							crlf,
						]),
					}
				: {
						content: jisText,
						contentType: 'text/plain; charset=ISO-2022-JP',
						contentTransferEncoding: html ? 'base64' : 'quoted-printable',
					},
		];
		if (html) result.alternatives.push({ content: html, contentType: 'text/html; charset=utf-8' });
	} else {
		if (text) result.text = text;
		if (html) result.html = html;
	}
	return result;
}
