/**
 * What identifies a returned message, and whether it is mail at all — read from its first bytes,
 * before any parsing.
 */
/** A header field line: a printable name without spaces, then a colon. */
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

const MESSAGE_ID = /(?:^|\n)message-id[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{3,250}>)/i;

/** The top-level header block only: a Message-ID quoted in the body is the returned original's. */
function headerOf(source: Buffer): string {
	const limit = Math.min(source.length, 256 * 1024);
	const crlf = source.indexOf('\r\n\r\n');
	const lf = source.indexOf('\n\n');
	const ends = [crlf, lf].filter((at) => at >= 0 && at < limit);
	return source.subarray(0, ends.length ? Math.min(...ends) : limit).toString('latin1');
}

/**
 * The returned message's own Message-ID (top-level header, without the angle brackets), or null.
 * The bounce policy records a message once per (this id, recipient); without one it falls back
 * to what the message reports.
 */
export function bounceMessageIdOf(source: Buffer): string | null {
	const found = MESSAGE_ID.exec(headerOf(source));
	return found ? found[1].slice(1, -1) : null;
}

/** Not mail at all: nothing that reads as a header field at the start. */
export function unreadableReason(source: Buffer): string | null {
	if (source.length === 0) return 'the message is empty';
	const firstLine = source.subarray(0, 1000).toString('latin1').split(/\r?\n/, 1)[0];
	if (!HEADER_LINE.test(firstLine)) return 'not an e-mail message: it does not start with header fields';
	return null;
}
