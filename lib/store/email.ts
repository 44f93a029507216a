import { createHash } from 'node:crypto';
import isEmail from 'validator/lib/isEmail';

/**
 * E-mail addresses are kept as given (trimmed) but compared by a key whose domain is lower-cased:
 * the local part is case-sensitive by RFC 5321, the domain is not.
 */
export function emailKey(email: string): string {
	const at = email.lastIndexOf('@');
	if (at < 0) return email;
	return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
}

export function cleanEmail(raw: unknown): string {
	return typeof raw === 'string' ? raw.trim() : '';
}

const EMAIL_OPTIONS = { allow_utf8_local_part: true, require_tld: true, allow_ip_domain: false };

// The everyday address shape, a strict subset of what validator.isEmail accepts with the options
// above (checked in tests); anything else goes through isEmail itself (~5-7 µs per call, which is
// a third of a bulk upsert's cost per row).
const PLAIN_EMAIL =
	/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function isValidEmail(email: string): boolean {
	// a lone surrogate has no UTF-8 form to send, and makes validator throw a URIError
	if (email.length > 254 || !email.isWellFormed()) return false;
	if (PLAIN_EMAIL.test(email) && email.indexOf('@') <= 64) return true;
	return isEmail(email, EMAIL_OPTIONS);
}

/** Returns the trimmed address or throws a message that names the bad value. */
export function requireValidEmail(raw: unknown): string {
	const email = cleanEmail(raw);
	if (!email) throw new Error('The e-mail address is empty');
	if (!isValidEmail(email)) throw new Error(`'${email}' is not a valid e-mail address`);
	return email;
}

/**
 * The suppression hash: salted SHA-256 of the fully lower-cased address, so a suppression still
 * matches after the address itself has been erased (over-matching the local part's case is the
 * safe side for "never mail again").
 */
export function suppressionHash(salt: string, email: string): string {
	return createHash('sha256').update(salt).update('\0').update(email.trim().toLowerCase()).digest('hex');
}

/**
 * A send-log row's address key (schema 9): salted SHA-256 of the address's store key
 * (`emailKey`), 128 bits, unique per campaign. The send log stays free of addresses (they live
 * in subscribers only, which deletion and erasure reach) while one person's rows on several
 * lists still share one key.
 */
export function addressKeyHash(salt: string, emailKey: string): string {
	return createHash('sha256').update(salt).update('\0address\0').update(emailKey).digest('hex').slice(0, 32);
}

/**
 * A server's words with the addresses in them replaced by `<address>`: what may go into the
 * append-only audit log and the campaign's provider figures, which an erasure cannot reach.
 */
export function maskAddresses(text: string | null | undefined): string | null {
	if (text === null || text === undefined) return null;
	return text.replace(/<?[^\s<>()[\]"';:,]+@[^\s<>()[\]"';:,]+\.[^\s<>()[\]"';:,]+>?/g, '<address>');
}
