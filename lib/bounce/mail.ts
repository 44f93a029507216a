/**
 * The returned message as the format modules see it: decoded headers, the readable text of the
 * bounce (the returned original cut off), the report parts, and the original's headers.
 */
import { decodeWords, type Headers, type MimePart, parseHeaderBlock, readMessage, splitHeaderBody } from './mime';
import { addressesIn, cleanAddress, cutOriginal } from './text';

export interface BounceMail {
	headers: Headers;
	parts: MimePart[];
	subject: string;
	/** The From header, lower-cased. */
	from: string;
	/** Readable text of the bounce (text parts before any returned message), original cut off. */
	text: string;
	/** The whole readable text, with whatever of the original follows it. */
	fullText: string;
	/** Headers of the returned original message, when the bounce quotes them. */
	original: Headers | null;
	truncated: boolean;
}

/** A header value as text: raw 8-bit bytes read as UTF-8, RFC 2047 words decoded. */
export function headerText(value: string | null): string {
	if (!value) return '';
	const text = /[\x80-\xff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
	return decodeWords(text);
}

const RETURNED = /^(?:message\/(?:rfc822|global|partial)|text\/rfc822-headers|message\/global-headers|text\/rfc822)$/;

export function toBounceMail(raw: Buffer | string): BounceMail {
	const message = readMessage(raw);
	const texts: string[] = [];
	let returned: MimePart | null = null;
	for (const part of message.parts) {
		if (RETURNED.test(part.type)) {
			returned ??= part;
			continue;
		}
		if (returned) continue;
		if (part.type === 'text/plain' || part.type === 'text/enriched' || part.type === 'text') texts.push(part.text);
	}
	if (texts.length === 0) {
		const html = message.parts.find((part) => part.type === 'text/html');
		if (html) texts.push(stripHtml(html.text));
	}
	const fullText = texts.join('\n').replace(/\r\n?/g, '\n');
	return {
		headers: message.headers,
		parts: message.parts,
		subject: headerText(message.headers.get('subject')).trim(),
		from: headerText(message.headers.get('from')).toLowerCase(),
		text: cutOriginal(fullText),
		fullText,
		original: returned ? parseHeaderBlock(splitHeaderBody(returned.text.replace(/^\s+/, '')).head) : quotedHeaders(fullText),
		truncated: message.truncated,
	};
}

export function stripHtml(html: string): string {
	return html
		.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
		.replace(/<br\s*\/?>|<\/(?:p|div|tr|li|h\d)>/gi, '\n')
		.replace(/<[^>]+>/g, ' ')
		.replace(/&nbsp;/g, ' ')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&amp;/g, '&')
		.replace(/[ \t]+/g, ' ');
}

/** Headers of an original quoted inline after the bounce text (plain-text bounces). */
function quotedHeaders(fullText: string): Headers | null {
	const text = fullText.slice(cutOriginal(fullText).length);
	if (!text) return null;
	const start = text.search(/^(?:Return-Path|Received|From|To|Subject|Message-I[dD]|Date|MIME-Version|X-[\w-]+|Content-Type|DKIM-Signature):/m);
	if (start < 0) return null;
	const headers = parseHeaderBlock(splitHeaderBody(text.slice(start)).head);
	return headers.fields.length > 0 ? headers : null;
}

/** The address of a header such as From or To (first one). */
export function addressOf(value: string | null): string | null {
	if (!value) return null;
	const direct = cleanAddress(value);
	if (direct) return direct;
	for (const candidate of addressesIn(value)) {
		const address = cleanAddress(candidate);
		if (address) return address;
	}
	return null;
}
