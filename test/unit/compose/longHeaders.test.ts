/**
 * RFC 5322 §2.1.1: no line of a message is longer than 998 octets, whatever a merge value holds.
 * Folding only breaks at white space, so a 2,000-character name or subject without any used to
 * come out as one 2,000-octet line; now such a value goes out as RFC 2047 encoded-words (each at
 * most 75 characters), folded between them, and reads back unchanged.
 */
import { simpleParser, type AddressObject } from 'mailparser';

import { compileTemplate, toSendMailOptions } from '../../../lib/compose';
import { buildRawMessage } from '../../../lib/compose/rawMessage';

const LINKS = { baseUrl: 'https://n8n.example.com/webhook/abc', secret: 'long-header-test-secret-0123456789' };

function firstAddress(value: AddressObject | AddressObject[] | undefined) {
	return [value ?? []].flat()[0]?.value[0];
}

function headerBlock(raw: Buffer): string[] {
	const text = raw.toString('latin1');
	return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

describe('header lines stay within 998 octets', () => {
	const template = compileTemplate(
		{
			subject: 'Your order, {{ name }}',
			text: 'Hello {{ name }}',
			from: { name: '{{ name }} via Shop', address: 'shop@example.com' },
		},
		LINKS,
	);

	it.each([
		['one 2,000-character word', 'N'.repeat(2000)],
		['2,000 characters of non-ASCII without spaces', 'ü'.repeat(2000)],
		['a long name with quotes, commas and angle brackets', `"Dr. ${'X'.repeat(1500)}, <Jr.>"`],
		['a long name that folds at its spaces', Array.from({ length: 300 }, (_, i) => `Word${i}`).join(' ')],
	])('%s: From, To and Subject fold, encode and read back unchanged', async (_label, name) => {
		const message = template.render({ id: '7', email: 'reader@example.org', name });
		const built = buildRawMessage(toSendMailOptions(message));
		expect(built).not.toBeNull();
		const lines = headerBlock(built!.raw);
		for (const line of lines) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(998);
		for (const word of built!.raw.toString('latin1').match(/=\?[^?]+\?[QB]\?[^?]*\?=/gi) ?? []) {
			expect(word.length).toBeLessThanOrEqual(75);
		}
		const parsed = await simpleParser(built!.raw);
		expect(parsed.subject).toBe(`Your order, ${name}`);
		expect(firstAddress(parsed.to)).toEqual({ name, address: 'reader@example.org' });
		expect(firstAddress(parsed.from)).toEqual({ name: `${name} via Shop`, address: 'shop@example.com' });
	});

	it('leaves short headers exactly as before (no encoded-words for plain ASCII)', () => {
		const built = buildRawMessage(toSendMailOptions(template.render({ id: '7', email: 'reader@example.org', name: 'Ann' })));
		const lines = headerBlock(built!.raw);
		expect(lines).toContain('Subject: Your order, Ann');
		expect(lines).toContain('To: Ann <reader@example.org>');
		expect(lines).toContain('From: Ann via Shop <shop@example.com>');
	});
});
