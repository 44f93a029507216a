/**
 * Small text helpers shared by the format modules: addresses, SMTP status and reply codes,
 * and where the returned copy of the original message starts in a plain-text bounce.
 */

// Dots anywhere in the local part: Japanese carriers issued such addresses ("neko..nyaan.@…"),
// and a quoted local part is valid too.
const LOCAL = '(?:"[^"\\r\\n@]{1,64}"|[A-Za-z0-9!#$%&\'*+/=?^_`{|}~.-]+)';
const DOMAIN = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** An addr-spec with a dotted domain (message ids such as `…@mailhub` are left out). */
export const ADDRESS_PATTERN = `${LOCAL}@${DOMAIN}`;
const ADDRESS = new RegExp(`^${ADDRESS_PATTERN}$`);
const ADDRESS_ANYWHERE = new RegExp(`(?<![A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-])${ADDRESS_PATTERN}`, 'g');

/** A valid address from `rfc822; <user@example.com>`, `"Name" <user@…>`, … or null. */
export function cleanAddress(value: string | null | undefined): string | null {
	if (!value) return null;
	let text = value.trim();
	const semicolon = text.indexOf(';');
	if (semicolon >= 0 && semicolon < 12 && /^[A-Za-z0-9-]+\s*;/.test(text)) text = text.slice(semicolon + 1).trim();
	const angle = /<([^<>]*@[^<>]*)>/.exec(text);
	if (angle) text = angle[1];
	text = text.replace(/^['(\s]+|['"):;,.\s]+$/g, '');
	if (/^"[^"]*$/.test(text)) text = text.slice(1);
	if (text.length > 254 || !ADDRESS.test(text)) return null;
	const at = text.lastIndexOf('@');
	return `${text.slice(0, at)}@${text.slice(at + 1).toLowerCase()}`;
}

/** Every address in a text, in order of appearance (duplicates kept). */
export function addressesIn(text: string): string[] {
	return text.match(ADDRESS_ANYWHERE) ?? [];
}

/** Mailbox names that belong to the bouncing system, never to a failed recipient. */
export function isSystemAddress(address: string): boolean {
	return /^(?:mailer-daemon|postmaster|post_master|mail\.delivery\.system|mailerdaemon|mail-daemon|bounces?|double-bounce|root|nobody)@/i.test(
		address,
	);
}

const ENHANCED_ALL = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/g;
const REPLY = /(?<![\d.#-])([245][0-7][0-9])(?=[\s-]|$)(?![-]\d)/;

/** The first enhanced status (`5.1.1`) in a text, failures preferred over a quoted `2.0.0`. */
export function statusIn(text: string | null | undefined): string | null {
	if (!text) return null;
	// The status a server wrote right after its reply code ("550-'5.7.1 …", "550 5.1.1 …") first.
	const replied = /(?<![\d.])[45]\d\d[ -]['"]?([45])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/.exec(text);
	if (replied) return `${replied[1]}.${Number(replied[2])}.${Number(replied[3])}`;
	let success: string | null = null;
	for (const match of text.matchAll(ENHANCED_ALL)) {
		const status = `${match[1]}.${Number(match[2])}.${Number(match[3])}`;
		if (match[1] !== '2') return status;
		success ??= status;
	}
	return success;
}

/** An SMTP reply code (`550`) in a text, looked for where servers write them. */
export function replyCodeIn(text: string | null | undefined): string | null {
	if (!text) return null;
	const said = /(?:said|says|replied|response|answered|returned|error|reply(?: code)?|code|smtp;?)[:\s]+\(?([245]\d\d)\b/i.exec(text);
	if (said) return said[1];
	const leading = /(?:^|\n)\s*([245]\d\d)[\s-]/.exec(text);
	if (leading) return leading[1];
	const anywhere = REPLY.exec(text);
	return anywhere && anywhere[1] !== '250' ? anywhere[1] : null;
}

/** A reply code and status that agree in class; a mismatched one is dropped. */
export function consistent(status: string | null, replyCode: string | null): { status: string | null; replyCode: string | null } {
	if (status && replyCode && status[0] !== replyCode[0]) {
		return status[0] === '2' ? { status: null, replyCode } : { status, replyCode: null };
	}
	return { status, replyCode };
}


const COMMAND_PATTERNS: RegExp[] = [
	/in reply to (?:end of )?(RCPT TO|MAIL FROM|DATA|EHLO|HELO|BDAT|STARTTLS|AUTH|RCPT|MAIL)\b/i,
	/error from remote (?:mail server|mailer|server) after (RCPT TO|MAIL FROM|end of data|DATA|initial connection|EHLO|HELO|pipelined|RCPT|MAIL)/i,
	/\bSMTP:(RCPT|MAIL|DATA)\b/,
	/SMTP command[\s:-]*(DATA|RCPT|MAIL)\b/i,
	/\b(?:our|the) (RCPT TO|MAIL FROM|final DATA|DATA)\b/,
	/\b(RCPT TO|MAIL FROM) (?:response|command)\b/i,
	/\bafter (RCPT TO|MAIL FROM|end of data|DATA|RCPT|MAIL)\b/i,
	/\[(RCPT_TO|MAIL_FROM|DATA)\]/i,
	/\b(RCPT TO|MAIL FROM):\s*</i,
];

/** The SMTP command a failure came at, from the phrases MTAs use (`in reply to RCPT TO command`, `>>> DATA`, …). */
export function commandIn(text: string | null | undefined): string | null {
	if (!text) return null;
	// A transcript: the last command sent before the refusal.
	const sent = [...text.matchAll(/^\s*>>> (RCPT|MAIL|DATA|EHLO|HELO|STARTTLS|AUTH)\b/gim)];
	let word: string | null = sent.length > 0 ? sent[sent.length - 1][1] : null;
	if (!word) {
		for (const pattern of COMMAND_PATTERNS) {
			const match = pattern.exec(text);
			if (match) {
				word = match[1];
				break;
			}
		}
	}
	if (!word) return null;
	const upper = word.toUpperCase();
	if (upper.startsWith('MAIL')) return 'MAIL';
	if (upper.startsWith('RCPT')) return 'RCPT';
	if (upper.includes('DATA') || upper === 'PIPELINED') return 'DATA';
	if (upper === 'INITIAL CONNECTION') return 'CONN';
	return upper;
}

/**
 * Where the returned original starts in a plain-text bounce, so addresses in the quoted
 * message are not taken for failed recipients. Markers are the ones MTAs write.
 */
const ORIGINAL_MARKERS = [
	/^-+ ?Below this line is a copy of the message/im,
	/^-+ ?This is a copy of (?:the|your) message/im,
	/^-+ ?(?:The )?original message (?:header|follows|text|is attached)/im,
	/^-+ ?Original message ?-+/im,
	/^-+ ?(?:Returned|Unsent|Undelivered) message(?: follows)? ?-+/im,
	/^-+ ?(?:The )?(?:header|headers) of (?:the )?original message/im,
	/^-+ ?Message header follows ?-+/im,
	/^-+ ?Original message header ?-+/im,
	/^-+ ?Start of (?:returned|original) message/im,
	/^\s*-+ ?(?:Original|Returned) (?:message|mail)(?: follows)?:?\s*-*\s*$/im,
	/^Original message header:?\s*$/im,
	/^-+Message-Id: /im,
	/^Content-Type: message\/(?:rfc822|partial)/im,
	/^Content-Type: text\/rfc822-headers/im,
	/^\s*------ Original message ------/im,
	/^-+\s*元のメッセージ/m,
	/^\s*Message headers follow\.?\s*$/im,
	/^\s*(?:Below is a copy of the original message|Original message follows|Included is a copy of the message header|The attachment contains the original mail headers)/im,
	/^\s*Original Message:?\s*$/im,
	/^(?:Received|Return-Path|DKIM-Signature|Message-I[dD]|X-Received|ARC-Seal):[ \t]?\S/m,
];

/** All markers as one pattern: one scan finds the earliest. */
const ORIGINAL_START = new RegExp(ORIGINAL_MARKERS.map((marker) => `(?:${marker.source})`).join('|'), 'im');

export function cutOriginal(text: string): string {
	const match = ORIGINAL_START.exec(text);
	if (!match) return text;
	if (match.index > 0) return text.slice(0, match.index);
	// A marker on the very first line is not the end of the bounce text: look past it.
	const next = ORIGINAL_START.exec(text.slice(1));
	return next ? text.slice(0, next.index + 1) : text;
}

/** Collapses whitespace; null for an empty result. */
export function squash(text: string | null | undefined): string | null {
	if (!text) return null;
	const value = text.replace(/\s+/g, ' ').trim();
	return value.length > 0 ? value.slice(0, 1000) : null;
}
