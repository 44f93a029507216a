/**
 * The RFC 5322 message of a plain text / HTML e-mail, built in one pass into one Buffer.
 *
 * Why: with a pooled transport the sender's CPU goes to nodemailer's MailComposer (a MIME node
 * tree, a transform stream per part, a socket write per chunk), not to the socket. A prebuilt
 * message goes out through nodemailer as `raw` with an explicit envelope: one write for the
 * body, DKIM signing and the rest of the SMTP handling unchanged. The output follows
 * nodemailer's own choices (7bit / quoted-printable / base64 per part, its header encoding and
 * folding for anything but plain ASCII), so a message reads the same either way.
 *
 * Only the shape `toSendMailOptions` produces for a message without attachments is built here
 * (from, to, reply-to, subject, text, html, headers, Message-ID); for anything else
 * (attachments, alternatives, cc/bcc, non-ASCII addresses, other nodemailer options)
 * `buildRawMessage` returns null and nodemailer composes the message as usual.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';

import { STRUCTURAL_HEADERS } from './headerSafety';

export interface RawMessage {
	/** The whole message: header block, blank line, body; CRLF line ends. */
	raw: Buffer;
	envelope: { from: string; to: string[] };
	/** With angle brackets. */
	messageId: string;
}

/** Options keys the builder understands; a message with any other (set) key is left to nodemailer. */
const KNOWN_KEYS = new Set([
	'from',
	'to',
	'replyTo',
	'subject',
	'text',
	'html',
	'headers',
	'messageId',
	'disableFileAccess',
	'disableUrlAccess',
	'envelope',
]);

/** A dot-atom local part at an ASCII domain: goes into headers and the envelope as it is. */
const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** A display name nodemailer writes without quotes or encoding. */
const PLAIN_NAME = /^[\w ]*$/;
/** Printable ASCII without `"`: nodemailer leaves such an unstructured value as it is. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x7e]*$/;
const MESSAGE_ID = /^<[\x21-\x3b\x3d\x3f-\x7e]+@[A-Za-z0-9.-]+>$/;
const HEADER_NAME = /^[!-9;-~]{1,76}$/;
const CONTROL = /[\x00-\x1f\x7f]/;
/** Custom headers nodemailer formats as structured values (angle brackets, parameters). */
const STRUCTURED_CUSTOM = new Set([
	'in-reply-to',
	'references',
	'content-id',
	'content-disposition',
	'otp-token',
]);

type MimeNodeStatic = {
	encodeHeaderValue(key: string, value: unknown): string;
};

/** A header value encoded as nodemailer would (address lists, encoded-words), unfolded. */
function encodeHeaderValue(key: string, value: unknown): string {
	return (MimeNode as unknown as MimeNodeStatic).encodeHeaderValue(key, value);
}

const normalisedKeys = new Map<string, string>();
/** nodemailer's header-name casing (`x-bulk-mail-campaign` → `X-Bulk-Mail-Campaign`), cached. */
function headerKey(name: string): string {
	let key = normalisedKeys.get(name);
	if (key === undefined) {
		key = name
			.toLowerCase()
			.replace(
				/^X-SMTPAPI$|^(MIME|DKIM|ARC|BIMI)\b|^OTP(?=-Token$)|^[a-z]|-(SPF|FBL|ID|MD5)$|-[a-z]/gi,
				(c) => c.toUpperCase(),
			);
		if (normalisedKeys.size < 1000) normalisedKeys.set(name, key);
	}
	return key;
}

/** RFC 5322 §2.1.1: no line of a message may be longer than this (without its CRLF). */
const MAX_LINE_OCTETS = 998;
/** Text per encoded-word: `=?UTF-8?Q?` + 52 + `?=` stays within RFC 2047's 75 characters. */
const ENCODED_WORD_TEXT = 52;

/**
 * Whether a folded header has a line over 998 octets: folding only breaks at white space, so a
 * long run without any (a 2,000-character name or subject) stays one line. A header that short
 * in all (the usual case) is not scanned at all.
 */
function hasOverlongLine(folded: string): boolean {
	// A UTF-16 code unit is at most 3 UTF-8 octets: most headers are decided without counting.
	if (folded.length * 3 <= MAX_LINE_OCTETS || Buffer.byteLength(folded, 'utf8') <= MAX_LINE_OCTETS) {
		return false;
	}
	let start = 0;
	for (;;) {
		const end = folded.indexOf('\r\n', start);
		const line = folded.slice(start, end === -1 ? undefined : end);
		if (Buffer.byteLength(line, 'utf8') > MAX_LINE_OCTETS) return true;
		if (end === -1) return false;
		start = end + 2;
	}
}

/** Text as RFC 2047 encoded-words (each ≤ 75 characters, white space between them), so it folds. */
function encodedWords(text: string): string {
	return mimeFuncs.encodeWord(text, 'Q', ENCODED_WORD_TEXT);
}

/** `Key: value` folded at 76 columns, plain ASCII without work when it fits. */
function headerLine(key: string, value: string): string {
	if (key.length + 2 + value.length <= 76 && PLAIN_TEXT.test(value) && !value.includes('=?')) {
		return `${key}: ${value}`;
	}
	const folded = mimeFuncs.foldLines(`${key}: ${encodeHeaderValue(key, value)}`, 76);
	return hasOverlongLine(folded) ? mimeFuncs.foldLines(`${key}: ${encodedWords(value)}`, 76) : folded;
}

interface Mailbox {
	name: string;
	address: string;
}

/** `{ name, address }` or a bare address string with a plain ASCII address; null otherwise. */
function simpleMailbox(value: unknown): Mailbox | null {
	if (typeof value === 'string') {
		const address = value.trim();
		return PLAIN_ADDRESS.test(address) ? { name: '', address } : null;
	}
	if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
	const { name, address } = value as { name?: unknown; address?: unknown };
	if (typeof address !== 'string' || !PLAIN_ADDRESS.test(address)) return null;
	if (name !== undefined && name !== null && typeof name !== 'string') return null;
	const text = (name as string | null | undefined) ?? '';
	return CONTROL.test(text) ? null : { name: text, address };
}

function addressLine(key: string, mailbox: Mailbox): string {
	if (!mailbox.name) return `${key}: ${mailbox.address}`;
	if (PLAIN_NAME.test(mailbox.name)) {
		const line = `${key}: ${mailbox.name} <${mailbox.address}>`;
		if (line.length <= 76) return line;
	}
	const folded = mimeFuncs.foldLines(`${key}: ${encodeHeaderValue(key, mailbox)}`, 76);
	if (!hasOverlongLine(folded)) return folded;
	// A display name of encoded-words is a valid phrase (RFC 2047 §5.3) and folds between them.
	return mimeFuncs.foldLines(`${key}: ${encodedWords(mailbox.name)} <${mailbox.address}>`, 76);
}

// ------------------------------------------------------------------ body encodings

const HEX = Buffer.from('0123456789ABCDEF');
const CR = 0x0d;
const LF = 0x0a;
const EQUALS = 0x3d;
/** Bytes quoted-printable keeps as they are anywhere on a line: printable ASCII but `=`. */
const QP_LITERAL = new Uint8Array(256);
for (let byte = 0x21; byte <= 0x7e; byte++) QP_LITERAL[byte] = byte === EQUALS ? 0 : 1;

/** Quoted-printable output is at most 3 bytes per input byte plus a soft break per 73. */
function quotedPrintableBound(length: number): number {
	return length * 3 + Math.ceil((length * 3) / 73) * 3 + 8;
}

/**
 * Quoted-printable (RFC 2045 6.7) of `source[0, length)` written into `out` from `at`; returns
 * the end offset. Line breaks (CRLF, LF or CR) become CRLF, a space or tab before a line end is
 * encoded, lines are soft-broken at 76 columns without splitting an escape. `=` never appears
 * unencoded, so a boundary holding "=_" cannot occur.
 */
function writeQuotedPrintable(source: Uint8Array, length: number, out: Buffer, at: number): number {
	let column = 0;
	for (let i = 0; i < length; i++) {
		const byte = source[i];
		if (byte === CR || byte === LF) {
			if (byte === CR && i + 1 < length && source[i + 1] === LF) i++;
			out[at++] = CR;
			out[at++] = LF;
			column = 0;
		} else if (
			QP_LITERAL[byte] === 1 ||
			((byte === 0x20 || byte === 0x09) &&
				i + 1 < length &&
				source[i + 1] !== CR &&
				source[i + 1] !== LF)
		) {
			if (column === 75) {
				out[at++] = EQUALS;
				out[at++] = CR;
				out[at++] = LF;
				column = 0;
			}
			out[at++] = byte;
			column++;
		} else {
			if (column > 72) {
				out[at++] = EQUALS;
				out[at++] = CR;
				out[at++] = LF;
				column = 0;
			}
			out[at++] = EQUALS;
			out[at++] = HEX[byte >> 4];
			out[at++] = HEX[byte & 0x0f];
			column += 3;
		}
	}
	return at;
}

/** Quoted-printable of UTF-8 bytes, as a new Buffer (see `writeQuotedPrintable`). */
export function encodeQuotedPrintable(source: Buffer): Buffer {
	const out = Buffer.allocUnsafe(quotedPrintableBound(source.length));
	return out.subarray(0, writeQuotedPrintable(source, source.length, out, 0));
}

/** Base64 of `source[0, length)` in 76-column CRLF lines, written into `out` from `at`. */
function writeBase64(source: Buffer, length: number, out: Buffer, at: number): number {
	const encoded = source.toString('base64', 0, length);
	for (let i = 0; i < encoded.length; i += 76) {
		if (i) {
			out[at++] = CR;
			out[at++] = LF;
		}
		at += out.write(encoded.slice(i, i + 76), at, 'latin1');
	}
	return at;
}

/** ASCII bytes as they are, line breaks made CRLF, written into `out` from `at`. */
function writeSevenBit(source: Uint8Array, length: number, out: Buffer, at: number): number {
	for (let i = 0; i < length; i++) {
		const byte = source[i];
		if (byte === CR || byte === LF) {
			if (byte === CR && i + 1 < length && source[i + 1] === LF) i++;
			out[at++] = CR;
			out[at++] = LF;
		} else {
			out[at++] = byte;
		}
	}
	return at;
}

/**
 * Scratch space reused by every message: a campaign builds thousands of messages a second, and
 * Buffers for the intermediate UTF-8 and encoded bodies would pile up as external memory until
 * the next garbage collection (tens of MB of RSS). Each message then allocates only its final
 * Buffer. `buildRawMessage` is synchronous, so one pair serves the whole process.
 */
const SCRATCH_KEEP_LIMIT = 1 << 20;
let sourceScratch: Buffer = Buffer.allocUnsafeSlow(16 * 1024);
let bodyScratch: Buffer = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * `current` when it holds `size` bytes, else a larger buffer holding `current[0, keep)`: doubled
 * up to SCRATCH_KEEP_LIMIT (worth keeping as the scratch), exactly `size` above it (a one-off).
 */
function withCapacity(current: Buffer, size: number, keep = 0): Buffer {
	if (current.length >= size) return current;
	let length = current.length;
	while (length < size) length *= 2;
	const grown = Buffer.allocUnsafeSlow(length > SCRATCH_KEEP_LIMIT ? size : length);
	current.copy(grown, 0, 0, keep);
	return grown;
}

/** Whether a buffer from withCapacity is the size kept as scratch space for later messages. */
function keepable(buffer: Buffer): boolean {
	return buffer.length <= SCRATCH_KEEP_LIMIT;
}

interface EncodedPart {
	encoding: string;
	start: number;
	end: number;
}

/**
 * Encodes a text part into `body` from `at` (a larger copy of `body` when it does not fit), with the transfer encoding nodemailer picks: 7bit
 * for ASCII text (no controls) without lines over 76 characters, else quoted-printable when
 * Latin letters outnumber the other characters, else base64. One pass over the UTF-8 bytes
 * decides (a character is counted at its lead byte).
 */
function encodeTextPart(text: string, body: Buffer, at: number): { part: EncodedPart; body: Buffer } {
	const byteLength = Buffer.byteLength(text, 'utf8');
	const source = withCapacity(sourceScratch, byteLength);
	if (keepable(source)) sourceScratch = source;
	source.write(text, 0, byteLength, 'utf8');
	let plain = true;
	let longestLine = 0;
	let column = 0;
	let latin = 0;
	let other = 0;
	for (let i = 0; i < byteLength; i++) {
		const byte = source[i];
		if (byte === CR || byte === LF) {
			if (column > longestLine) longestLine = column;
			column = 0;
			continue;
		}
		column++;
		if (byte >= 0x80) {
			plain = false;
			if (byte >= 0xc0) other++;
		} else if (byte < 0x20 && byte !== 0x09) {
			plain = false;
			other++;
		} else if ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a) {
			latin++;
		}
	}
	if (column > longestLine) longestLine = column;
	if (plain && longestLine <= 76) {
		const out = withCapacity(body, at + byteLength * 2, at);
		return { part: { encoding: '7bit', start: at, end: writeSevenBit(source, byteLength, out, at) }, body: out };
	}
	if (other < latin) {
		const out = withCapacity(body, at + quotedPrintableBound(byteLength), at);
		const end = writeQuotedPrintable(source, byteLength, out, at);
		return { part: { encoding: 'quoted-printable', start: at, end }, body: out };
	}
	const out = withCapacity(body, at + Math.ceil(byteLength / 3) * 4 + Math.ceil(byteLength / 57) * 2 + 8, at);
	return { part: { encoding: 'base64', start: at, end: writeBase64(source, byteLength, out, at) }, body: out };
}

// ------------------------------------------------------------------ per-process state

// Boundaries: a random per-process prefix and a counter. "=_" cannot occur in quoted-printable
// or base64 output, and a 7bit part is checked for the boundary before it is used.
const BOUNDARY_PREFIX = `=_bm_${randomBytes(9).toString('base64url')}_`;
let boundaryCounter = 0;

let dateSecond = -1;
let dateValue = '';
function dateHeader(now: number): string {
	const second = Math.floor(now / 1000);
	if (second !== dateSecond) {
		dateSecond = second;
		dateValue = new Date(second * 1000).toUTCString().replace(/GMT/, '+0000');
	}
	return dateValue;
}

function domainOf(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1);
}

/**
 * The envelope sender: the From address, or an explicit `envelope.from` (a VERP return path) when
 * the envelope is a plain one for this recipient; null when the builder does not cover it.
 */
function envelopeSender(envelope: SendMailOptions['envelope'], from: string, to: string): string | null {
	if (envelope === undefined || envelope === null) return from;
	const { from: sender, to: recipients, ...rest } = envelope as { from?: unknown; to?: unknown };
	if (Object.keys(rest).length || typeof sender !== 'string' || !PLAIN_ADDRESS.test(sender)) return null;
	const list = Array.isArray(recipients) ? recipients : [recipients];
	if (recipients !== undefined && (list.length !== 1 || list[0] !== to)) return null;
	return sender;
}

/**
 * The raw message for nodemailer options `toSendMailOptions` produced (no attachments), or null
 * when they hold anything this builder does not cover — nodemailer then composes the message.
 */
// Long: per-message hot path; checks every option it covers (null before a byte is written), then writes one Buffer.
export function buildRawMessage(options: SendMailOptions, now = Date.now()): RawMessage | null {
	if (!options || typeof options !== 'object') return null;
	for (const key of Object.keys(options)) {
		const value = (options as Record<string, unknown>)[key];
		if (value !== undefined && value !== null && !KNOWN_KEYS.has(key)) return null;
	}
	if (options.disableFileAccess === false || options.disableUrlAccess === false) return null;
	const from = simpleMailbox(options.from);
	const to = simpleMailbox(options.to);
	if (!from || !to) return null;
	const envelopeFrom = envelopeSender(options.envelope, from.address, to.address);
	if (envelopeFrom === null) return null;
	const replyTo = options.replyTo === undefined || options.replyTo === null ? null : simpleMailbox(options.replyTo);
	if (replyTo === null && options.replyTo) return null;
	const text = options.text ?? '';
	const html = options.html ?? '';
	if (typeof text !== 'string' || typeof html !== 'string' || (!text && !html)) return null;
	const subject = options.subject ?? '';
	if (typeof subject !== 'string' || CONTROL.test(subject)) return null;
	let messageId: string;
	if (options.messageId) {
		if (typeof options.messageId !== 'string' || !MESSAGE_ID.test(options.messageId)) return null;
		messageId = options.messageId;
	} else {
		messageId = `<${randomUUID()}@${domainOf(from.address)}>`;
	}

	const lines: string[] = [addressLine('From', from), addressLine('To', to)];
	if (replyTo) lines.push(addressLine('Reply-To', replyTo));
	if (subject) lines.push(headerLine('Subject', subject));
	lines.push(`Message-ID: ${messageId}`, `Date: ${dateHeader(now)}`, 'MIME-Version: 1.0');

	const headers = options.headers ?? {};
	if (typeof headers !== 'object' || Array.isArray(headers)) return null;
	for (const name of Object.keys(headers)) {
		const value = (headers as Record<string, unknown>)[name];
		if (!HEADER_NAME.test(name)) return null;
		const lower = name.toLowerCase();
		if (STRUCTURAL_HEADERS.has(lower) || lower === 'bcc') return null;
		const key = headerKey(name);
		if (typeof value === 'string') {
			if (CONTROL.test(value)) return null;
			if (!value.trim()) continue;
			lines.push(
				STRUCTURED_CUSTOM.has(lower)
					? mimeFuncs.foldLines(`${key}: ${encodeHeaderValue(key, value)}`, 76)
					: headerLine(key, value),
			);
		} else if (value && typeof value === 'object' && (value as { prepared?: unknown }).prepared === true) {
			// prepared: written as given (nodemailer does the same), so it must be one clean line
			const prepared = (value as { value?: unknown }).value;
			if (typeof prepared !== 'string' || !/^[\x20-\x7e]*$/.test(prepared)) return null;
			if ((value as { foldLines?: unknown }).foldLines) return null;
			if (prepared.trim()) lines.push(`${key}: ${prepared}`);
		} else {
			return null;
		}
	}

	const parts: Array<{ type: string; text: string }> = [];
	if (text) parts.push({ type: 'text/plain; charset=utf-8', text });
	if (html) parts.push({ type: 'text/html; charset=utf-8', text: html });

	// the parts' bodies go into the scratch one after the other
	let body = bodyScratch;
	const encoded: EncodedPart[] = [];
	let at = 0;
	for (const source of parts) {
		const result = encodeTextPart(source.text, body, at);
		body = result.body;
		encoded.push(result.part);
		at = result.part.end;
	}
	if (keepable(body)) bodyScratch = body;

	// header and part-header text is ASCII (latin1 writes it byte for byte)
	const pieces: Array<string | EncodedPart> = [];
	if (parts.length === 1) {
		lines.push(`Content-Type: ${parts[0].type}`, `Content-Transfer-Encoding: ${encoded[0].encoding}`);
		pieces.push(`${lines.join('\r\n')}\r\n\r\n`, encoded[0]);
		// the message ends with a line break, as nodemailer ends it
		const { start, end } = encoded[0];
		if (end - start < 2 || body[end - 2] !== CR || body[end - 1] !== LF) pieces.push('\r\n');
	} else {
		const boundary = `${BOUNDARY_PREFIX}${(boundaryCounter = (boundaryCounter + 1) % 1e15)}`;
		const delimiter = `--${boundary}`;
		lines.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
		pieces.push(`${lines.join('\r\n')}\r\n\r\n`);
		for (const [index, source] of parts.entries()) {
			const part = encoded[index];
			if (part.encoding === '7bit' && source.text.includes(delimiter)) return null;
			pieces.push(
				`${index ? '\r\n' : ''}${delimiter}\r\nContent-Type: ${source.type}\r\nContent-Transfer-Encoding: ${part.encoding}\r\n\r\n`,
				part,
			);
		}
		pieces.push(`\r\n${delimiter}--\r\n`);
	}
	let total = 0;
	for (const piece of pieces) total += typeof piece === 'string' ? piece.length : piece.end - piece.start;
	const raw = Buffer.allocUnsafe(total);
	let written = 0;
	for (const piece of pieces) {
		written +=
			typeof piece === 'string'
				? raw.write(piece, written, 'latin1')
				: body.copy(raw, written, piece.start, piece.end);
	}
	return { raw, envelope: { from: envelopeFrom, to: [to.address] }, messageId };
}
