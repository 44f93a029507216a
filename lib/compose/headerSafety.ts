/**
 * Header safety: nothing that could end a header line (or decode to such a thing further down
 * the line) may reach Subject, display names or other header values.
 */
import iconv from 'iconv-lite';
import addressparser from 'nodemailer/lib/addressparser';
import { isValidEmail } from '../store';

import { ComposeError } from './errors';
import type { MailAddress } from './types';

/** C0 controls (CR, LF, TAB, ESC, …), DEL, C1 controls (NEL U+0085, …), U+2028/U+2029. */
const CONTROL_RUN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Anything that may need work: a control, or the start of a percent / QP / encoded-word form. */
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029%=]/;
/**
 * Percent-encoded controls, incl. UTF-8 C1/NEL, U+2028/2029 and overlong C0 forms, also when
 * the percent sign itself is encoded again (`%250D`).
 */
const PERCENT_CONTROL =
	/%(?:25)*(?:[01][0-9a-f]|7f|c2%(?:25)*[89][0-9a-f]|c0%(?:25)*[89a-f][0-9a-f]|e2%(?:25)*80%(?:25)*a[89])/gi;
/** Quoted-printable escapes of controls (`=0D=0A`, `=C2=85`, `=E2=80=A8`). */
const QP_CONTROL = /=(?:0[0-9a-f]|7f|c2=[89][0-9a-f]|e2=80=a[89])/gi;
/** RFC 2047 encoded-word. */
const ENCODED_WORD = /=\?([^?\s]{1,60})\?([bq])\?([^?\s]*)\?=/gi;

function decodeEncodedWord(_word: string, charset: string, kind: string, text: string): string {
	let bytes: Buffer;
	if (kind.toLowerCase() === 'b') {
		bytes = Buffer.from(text, 'base64');
	} else {
		bytes = Buffer.from(
			text
				.replace(/_/g, ' ')
				.replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
			'latin1',
		);
	}
	const name = charset.split('*')[0].toLowerCase();
	// Unknown charsets decode byte by byte: any control byte they hold is then stripped below.
	return iconv.encodingExists(name) ? iconv.decode(bytes, name) : bytes.toString('latin1');
}

/**
 * Makes a value safe for a header: decodes encoded-words, removes percent / quoted-printable
 * encoded controls, and replaces every run of control characters (CR, LF, TAB, NEL, U+2028 …)
 * by one space. Repeats until stable so nested encodings cannot survive.
 */
export function sanitizeHeaderText(input: unknown): string {
	let value = input === undefined || input === null ? '' : String(input);
	if (!NEEDS_WORK.test(value)) return value.trim();
	for (let pass = 0; pass < 8; pass++) {
		const before = value;
		// Encoded-words first (nested ones too), so their content is cleaned as decoded text.
		value = value.replace(ENCODED_WORD, decodeEncodedWord);
		if (value !== before) continue;
		value = value.replace(PERCENT_CONTROL, ' ').replace(QP_CONTROL, ' ').replace(CONTROL_RUN, ' ');
		if (value === before) break;
	}
	// Whatever is left after all passes is never emitted as an encoded-word.
	value = value.replace(/=\?/g, '= ?');
	return value.replace(/ {2,}/g, ' ').trim();
}

export function hasControlCharacters(value: string): boolean {
	return HAS_CONTROL.test(value);
}

// One e-mail syntax check for the whole engine (a fast path over validator.isEmail).
export { isValidEmail };

/** Returns the trimmed address or throws a ComposeError naming `label`. */
export function validateEmailAddress(raw: unknown, label: string): string {
	if (typeof raw !== 'string') {
		throw new ComposeError('invalid-address', `${label}: the e-mail address is missing`);
	}
	if (HAS_CONTROL.test(raw)) {
		throw new ComposeError(
			'invalid-address',
			`${label}: the e-mail address contains control characters (line breaks, tabs …)`,
		);
	}
	const address = raw.trim();
	if (!address || !isValidEmail(address)) {
		throw new ComposeError(
			'invalid-address',
			`${label}: '${address.slice(0, 200)}' is not a valid e-mail address`,
		);
	}
	return address;
}

/**
 * Parses `Name <address>` (nodemailer's address parser) or `{ name, address }` into one
 * mailbox with a checked address. The name is returned raw: it may be a template.
 */
export function parseMailbox(input: unknown, label: string): MailAddress {
	if (input && typeof input === 'object') {
		const { name, address } = input as Partial<MailAddress>;
		return {
			name: name === undefined || name === null ? '' : String(name),
			address: validateEmailAddress(address, label),
		};
	}
	if (typeof input !== 'string' || !input.trim()) {
		throw new ComposeError('invalid-address', `${label}: an address is required`);
	}
	if (HAS_CONTROL.test(input)) {
		throw new ComposeError(
			'invalid-address',
			`${label}: the address contains control characters (line breaks, tabs …)`,
		);
	}
	const parsed = addressparser(input);
	const mailbox = parsed.length === 1 ? parsed[0] : undefined;
	if (!mailbox || mailbox.group !== undefined || !mailbox.address) {
		throw new ComposeError(
			'invalid-address',
			`${label}: expected exactly one address like 'News <news@example.com>', got '${input.slice(0, 200)}'`,
		);
	}
	return {
		name: mailbox.name ?? '',
		address: validateEmailAddress(mailbox.address, label),
	};
}

/** RFC 5322 field name: printable ASCII except colon. */
const HEADER_NAME = /^[!-9;-~]{1,76}$/;

export function validateHeaderName(name: string): string {
	if (!HEADER_NAME.test(name)) {
		throw new ComposeError(
			'invalid-option',
			`Header name '${name.slice(0, 80)}' is not valid: use letters, digits and dashes (e.g. X-Campaign-Tag)`,
		);
	}
	return name;
}

/** Headers nodemailer builds from the message itself; a caller's own headers may not set them. */
export const STRUCTURAL_HEADERS: ReadonlySet<string> = new Set([
	'from',
	'to',
	'cc',
	'bcc',
	'reply-to',
	'sender',
	'subject',
	'message-id',
	'date',
	'mime-version',
	'content-type',
	'content-transfer-encoding',
]);
