/**
 * A light, bounded reader for returned mail. Bounces are read many at a time, and a returned
 * message can carry a multi-megabyte attachment: so this reads the header section, walks the
 * MIME tree, and decodes only text and report parts, each capped, instead of parsing the whole
 * message (mailparser can take seconds on such mail). It never throws on bad input.
 */
import iconv from 'iconv-lite';

/** Only this much of the message is looked at; the returned original comes last anyway. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Decoded text kept per part (the readable explanation, the report, the quoted headers). */
export const MAX_PART_CHARS = 256 * 1024;
const MAX_PARTS = 64;
const MAX_DEPTH = 6;

export interface HeaderField {
	name: string;
	value: string;
}

/** Header fields in order, names lower-cased, continuation lines unfolded. */
export class Headers {
	constructor(readonly fields: HeaderField[]) {}

	get(name: string): string | null {
		for (const field of this.fields) if (field.name === name) return field.value;
		return null;
	}

	getAll(name: string): string[] {
		return this.fields.filter((field) => field.name === name).map((field) => field.value);
	}

	has(name: string): boolean {
		return this.fields.some((field) => field.name === name);
	}
}

export interface MimePart {
	/** `text/plain`, `message/delivery-status`, … (lower-cased). */
	type: string;
	params: Record<string, string>;
	headers: Headers;
	/** Decoded text of a text/report/message part (capped); empty for others. */
	text: string;
}

export interface ReadMessage {
	headers: Headers;
	/** Leaf parts in document order (the top-level body when it is not multipart). */
	parts: MimePart[];
	/** True when the message was longer than what was read. */
	truncated: boolean;
}

/** Splits a header section (already a string) into fields. */
export function parseHeaderBlock(block: string): Headers {
	const fields: HeaderField[] = [];
	for (const line of block.split(/\r?\n/)) {
		if (/^[ \t]/.test(line)) {
			const last = fields[fields.length - 1];
			if (last) last.value += ` ${line.trim()}`;
			continue;
		}
		const colon = line.indexOf(':');
		if (colon <= 0 || /\s/.test(line.slice(0, colon).trimEnd())) continue;
		fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
	}
	return new Headers(fields);
}

/** Index of the blank line ending a header section, and where the body starts. */
export function splitHeaderBody(text: string): { head: string; body: string } {
	const match = /\r?\n\r?\n/.exec(text);
	if (!match) return { head: text, body: '' };
	return { head: text.slice(0, match.index), body: text.slice(match.index + match[0].length) };
}

/** `text/plain; charset="utf-8"` → type and parameters (names lower-cased). */
export function parseContentType(value: string | null): { type: string; params: Record<string, string> } {
	if (!value) return { type: 'text/plain', params: {} };
	const [head, ...rest] = splitParams(value);
	const params: Record<string, string> = {};
	for (const item of rest) {
		const eq = item.indexOf('=');
		if (eq <= 0) continue;
		let paramValue = item.slice(eq + 1).trim();
		if (paramValue.startsWith('"') && paramValue.endsWith('"') && paramValue.length >= 2) {
			paramValue = paramValue.slice(1, -1).replace(/\\(.)/g, '$1');
		}
		params[item.slice(0, eq).trim().toLowerCase()] = paramValue;
	}
	const type = /^[\w.+-]+\/[\w.+-]+/.exec(head.trim().toLowerCase())?.[0];
	return { type: type ?? 'text/plain', params };
}

/** Splits on `;` outside quotes. */
function splitParams(value: string): string[] {
	const items: string[] = [];
	let current = '';
	let quoted = false;
	for (const char of value) {
		if (char === '"') quoted = !quoted;
		if (char === ';' && !quoted) {
			items.push(current);
			current = '';
		} else current += char;
	}
	items.push(current);
	return items;
}

/** Decodes RFC 2047 encoded words (`=?ISO-2022-JP?B?…?=`) in a header value. */
export function decodeWords(value: string): string {
	if (!value.includes('=?')) return value;
	return value
		.replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?)/g, '$1')
		.replace(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g, (_all, charset: string, encoding: string, data: string) => {
			const bytes =
				encoding.toUpperCase() === 'B'
					? Buffer.from(data, 'base64')
					: Buffer.from(decodeQuotedPrintable(data.replace(/_/g, ' ')), 'latin1');
			return decodeCharset(bytes, charset.split('*')[0]);
		});
}

export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
	const name = (charset ?? 'utf-8').trim().toLowerCase();
	if (name === 'utf-8' || name === 'utf8' || name === 'us-ascii' || name === 'ascii' || name === '') {
		return bytes.toString('utf8');
	}
	if (iconv.encodingExists(name)) return iconv.decode(bytes, name);
	return bytes.toString('utf8');
}

/** Quoted-printable to a binary (latin1) string. */
export function decodeQuotedPrintable(text: string): string {
	return text
		.replace(/[ \t]+(\r?\n)/g, '$1')
		.replace(/=\r?\n/g, '')
		.replace(/=([0-9A-Fa-f]{2})/g, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A part's body bytes (binary string) after its Content-Transfer-Encoding. */
function decodeTransfer(body: string, encoding: string | null): Buffer {
	const name = (encoding ?? '').trim().toLowerCase();
	if (name === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
	if (name === 'quoted-printable') return Buffer.from(decodeQuotedPrintable(body), 'latin1');
	return Buffer.from(body, 'latin1');
}

const READ_TYPES = /^(text\/|message\/|application\/(?:json|x-aol|vnd\.)|multipart\/)/;

/**
 * Reads one message. The input is taken as bytes (a string is read as UTF-8), looked at as a
 * binary string so offsets are cheap, and decoded per part with the part's own charset.
 */
export function readMessage(raw: Buffer | string): ReadMessage {
	const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
	const truncated = bytes.length > MAX_MESSAGE_BYTES;
	const text = (truncated ? bytes.subarray(0, MAX_MESSAGE_BYTES) : bytes).toString('latin1');
	const { head, body } = splitHeaderBody(text);
	const headers = parseHeaderBlock(head);
	const parts: MimePart[] = [];
	const capped = walk(headers, body, parts, 0);
	return { headers, parts, truncated: truncated || capped };
}

/** Collects the leaf parts; true when a part read (text, report) was cut at the cap. */
function walk(headers: Headers, body: string, parts: MimePart[], depth: number): boolean {
	if (parts.length >= MAX_PARTS) return true;
	const { type, params } = parseContentType(headers.get('content-type'));
	if (type.startsWith('multipart/') && depth < MAX_DEPTH) {
		let children = params.boundary ? splitMultipart(body, params.boundary) : [];
		// A boundary that does not match the body (mangled by a relay): use the one the body uses.
		if (children.length === 0) {
			const seen = /^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$/m.exec(body);
			if (seen) children = splitMultipart(body, seen[1]);
		}
		// No part boundary in the body at all: read the body as one text part.
		if (children.length === 0) {
			parts.push({ type: 'text/plain', params: {}, headers, text: decodeCharset(Buffer.from(body.slice(0, MAX_PART_CHARS), 'latin1'), 'utf-8') });
			return body.length > MAX_PART_CHARS;
		}
		let capped = false;
		for (const child of children) {
			const { head, body: childBody } = splitHeaderBody(child);
			// A part that starts with a blank line has no headers of its own.
			const childHeaders = /^\r?\n/.test(child) ? new Headers([]) : parseHeaderBlock(head);
			capped = walk(childHeaders, /^\r?\n/.test(child) ? child.replace(/^\r?\n/, '') : childBody, parts, depth + 1) || capped;
			if (parts.length >= MAX_PARTS) return true;
		}
		return capped;
	}
	if (!READ_TYPES.test(type)) {
		parts.push({ type, params, headers, text: '' });
		return false;
	}
	const capped = body.length > MAX_PART_CHARS * 2 ? body.slice(0, MAX_PART_CHARS * 2) : body;
	const decoded = decodeTransfer(capped, headers.get('content-transfer-encoding'));
	// A returned message keeps its own bytes (its headers may use any charset): read it as UTF-8.
	const charset = type.startsWith('message/') ? 'utf-8' : params.charset;
	let partText = decodeCharset(decoded, charset);
	const cut = capped.length < body.length || partText.length > MAX_PART_CHARS;
	if (partText.length > MAX_PART_CHARS) partText = partText.slice(0, MAX_PART_CHARS);
	parts.push({ type, params, headers, text: partText });
	// A returned message is meant to be read only in part; a cut report or text is worth saying.
	return cut && !type.startsWith('message/rfc822');
}

/** The bodies between `--boundary` lines (preamble and epilogue dropped). */
function splitMultipart(body: string, boundary: string): string[] {
	const delimiter = `--${boundary}`;
	const bodies: string[] = [];
	let start = findDelimiter(body, delimiter, 0);
	while (start >= 0 && bodies.length < MAX_PARTS) {
		const lineEnd = body.indexOf('\n', start);
		if (lineEnd < 0) break;
		const closing = body.startsWith(`${delimiter}--`, start);
		if (closing) break;
		const next = findDelimiter(body, delimiter, lineEnd + 1);
		const end = next >= 0 ? next : body.length;
		bodies.push(body.slice(lineEnd + 1, end).replace(/\r?\n$/, ''));
		start = next;
	}
	return bodies;
}

/** A delimiter only counts at the start of a line. */
function findDelimiter(body: string, delimiter: string, from: number): number {
	let index = body.indexOf(delimiter, from);
	while (index > 0 && body[index - 1] !== '\n') index = body.indexOf(delimiter, index + 1);
	return index;
}
