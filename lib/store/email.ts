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

export function isValidEmail(email: string): boolean {
	return email.length <= 254 && isEmail(email, { allow_utf8_local_part: true, require_tld: true });
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
