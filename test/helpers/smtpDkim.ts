import { createHash, createVerify } from 'node:crypto';
import type { KeyLike } from 'node:crypto';

/**
 * A small, independent DKIM verifier (RFC 6376) for tests: rsa-sha256 with relaxed or simple
 * canonicalisation, against a public key given directly (no DNS). It checks the body hash and
 * the signature over the headers listed in h=, and reports which headers were signed.
 */
export interface DkimVerification {
	valid: boolean;
	reason?: string;
	domain?: string;
	selector?: string;
	/** Lower-case names from h=. */
	signedHeaders: string[];
}

interface HeaderField {
	name: string;
	/** The whole field as received, folding included, without the final CRLF. */
	raw: string;
}

function splitMessage(raw: Buffer): { headers: HeaderField[]; body: string } {
	const text = raw.toString('latin1');
	const end = text.indexOf('\r\n\r\n');
	const head = end >= 0 ? text.slice(0, end) : text;
	const body = end >= 0 ? text.slice(end + 4) : '';
	const headers: HeaderField[] = [];
	for (const line of head.split('\r\n')) {
		if (/^[ \t]/.test(line) && headers.length) {
			headers[headers.length - 1].raw += '\r\n' + line;
		} else if (line) {
			headers.push({ name: line.slice(0, line.indexOf(':')).trim().toLowerCase(), raw: line });
		}
	}
	return { headers, body };
}

function parseTags(value: string): Map<string, string> {
	const tags = new Map<string, string>();
	for (const part of value.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		tags.set(
			part.slice(0, eq).trim(),
			part
				.slice(eq + 1)
				.replace(/\s+/g, part.slice(0, eq).trim() === 'h' ? '' : ' ')
				.trim(),
		);
	}
	return tags;
}

function relaxedHeader(field: HeaderField): string {
	const colon = field.raw.indexOf(':');
	const name = field.raw.slice(0, colon).trim().toLowerCase();
	const value = field.raw
		.slice(colon + 1)
		.replace(/\r\n(?=[ \t])/g, '')
		.replace(/[ \t]+/g, ' ')
		.trim();
	return `${name}:${value}`;
}

function relaxedBody(body: string): string {
	let lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
	while (lines.length && lines[lines.length - 1] === '') lines = lines.slice(0, -1);
	return lines.length ? lines.join('\r\n') + '\r\n' : '';
}

function simpleBody(body: string): string {
	let text = body;
	while (text.endsWith('\r\n\r\n')) text = text.slice(0, -2);
	if (!text.endsWith('\r\n')) text += '\r\n';
	return text;
}

export function verifyDkim(raw: Buffer, publicKey: KeyLike): DkimVerification {
	const { headers, body } = splitMessage(raw);
	const signatureField = headers.find((header) => header.name === 'dkim-signature');
	if (!signatureField)
		return { valid: false, reason: 'no DKIM-Signature header', signedHeaders: [] };
	const tagText = signatureField.raw
		.slice(signatureField.raw.indexOf(':') + 1)
		.replace(/\r\n(?=[ \t])/g, '');
	const tags = parseTags(tagText);
	const signedHeaders = (tags.get('h') ?? '').toLowerCase().split(':').filter(Boolean);
	const result = { domain: tags.get('d'), selector: tags.get('s'), signedHeaders };
	if (tags.get('a') !== 'rsa-sha256')
		return { valid: false, reason: `algorithm ${tags.get('a')}`, ...result };
	const [headerCanon, bodyCanon = 'simple'] = (tags.get('c') ?? 'simple/simple').split('/');

	const canonicalBody = bodyCanon === 'relaxed' ? relaxedBody(body) : simpleBody(body);
	const bodyHash = createHash('sha256').update(canonicalBody, 'latin1').digest('base64');
	if (bodyHash !== (tags.get('bh') ?? '').replace(/\s+/g, '')) {
		return { valid: false, reason: 'body hash mismatch', ...result };
	}

	// each name in h= takes the next instance of that header from the bottom up
	const used = new Map<string, number>();
	const lines: string[] = [];
	for (const name of signedHeaders) {
		const instances = headers.filter((header) => header.name === name && header !== signatureField);
		const taken = used.get(name) ?? 0;
		const field = instances[instances.length - 1 - taken];
		used.set(name, taken + 1);
		if (!field) continue;
		lines.push(headerCanon === 'relaxed' ? relaxedHeader(field) : field.raw);
	}
	const withoutB: HeaderField = {
		name: 'dkim-signature',
		raw: signatureField.raw
			.replace(/(\bb=)[^;]*/, (_all, prefix: string) => prefix)
			.replace(/(;\s*b=)\s*$/, '$1'),
	};
	const signatureLine = headerCanon === 'relaxed' ? relaxedHeader(withoutB) : withoutB.raw;
	const signedData = lines.map((line) => line + '\r\n').join('') + signatureLine;
	const verifier = createVerify('RSA-SHA256');
	verifier.update(signedData, 'latin1');
	const valid = verifier.verify(publicKey, (tags.get('b') ?? '').replace(/\s+/g, ''), 'base64');
	return valid ? { valid, ...result } : { valid, reason: 'signature mismatch', ...result };
}
