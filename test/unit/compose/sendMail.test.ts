import { simpleParser } from 'mailparser';
import isEmail from 'validator/lib/isEmail';

import { compileTemplate, ComposeError, toSendMailOptions } from '../../../lib/compose';
import { isValidEmail } from '../../../lib/compose/headerSafety';
import { LINKS, buildRawMessage, subscriber, topLevelHeaders } from './helpers';

const FROM = 'Shop <news@shop.example.com>';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('toSendMailOptions', () => {
	const template = compileTemplate(
		{
			subject: 'Hi {{ name }}',
			html: '<p>Hi</p><img src="cid:logo@shop">',
			from: FROM,
			replyTo: 'Help <help@shop.example.com>',
		},
		{ ...LINKS, unsubscribeMailto: 'unsubscribe@shop.example.com' },
	);
	const attachments = [
		{ filename: 'logo.png', content: PNG, contentType: 'image/png', cid: 'logo@shop' },
		{ filename: 'terms.pdf', content: Buffer.from('%PDF-1.4'), contentType: 'application/pdf' },
	];
	const message = template.render(subscriber(), { campaignId: 'c1', attachments });

	test('never reads files or URLs', () => {
		const options = toSendMailOptions(message);
		expect(options.disableFileAccess).toBe(true);
		expect(options.disableUrlAccess).toBe(true);
		for (const attachment of options.attachments ?? []) {
			expect(attachment).not.toHaveProperty('path');
			expect(attachment).not.toHaveProperty('href');
			expect(Buffer.isBuffer(attachment.content)).toBe(true);
		}
	});

	test('addresses, ids and headers as nodemailer takes them', () => {
		expect(toSendMailOptions(message)).toMatchObject({
			from: { name: 'Shop', address: 'news@shop.example.com' },
			to: { name: 'Taro Yamada', address: 'taro@example.com' },
			replyTo: { name: 'Help', address: 'help@shop.example.com' },
			subject: 'Hi Taro Yamada',
			messageId: message.messageId,
			headers: {
				'List-Unsubscribe': { prepared: true, value: message.headers['List-Unsubscribe'] },
				'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
				'X-Bulk-Mail-Campaign': 'c1',
				'X-Bulk-Mail-Subscriber': 'sub-1',
			},
		});
	});

	test('inline image (cid) and attachment in the built message', async () => {
		const raw = await buildRawMessage(message);
		const parsed = await simpleParser(raw);
		const byName = Object.fromEntries(parsed.attachments.map((a) => [a.filename, a]));
		expect(byName['logo.png']).toMatchObject({
			contentType: 'image/png',
			contentDisposition: 'inline',
			cid: 'logo@shop',
		});
		expect(byName['logo.png'].content.equals(PNG)).toBe(true);
		expect(byName['terms.pdf']).toMatchObject({
			contentType: 'application/pdf',
			contentDisposition: 'attachment',
		});
		expect(parsed.messageId).toBe(message.messageId);
	});

	test('List-Unsubscribe stays on one line (nodemailer would fold it)', async () => {
		const raw = await buildRawMessage(message);
		const line = raw.split('\r\n').find((l) => l.startsWith('List-Unsubscribe:'));
		expect(line).toBe(`List-Unsubscribe: ${message.headers['List-Unsubscribe']}`);
		expect(line!.length).toBeGreaterThan(78);
		expect(line!.length).toBeLessThan(998);
	});

	test('attachments given as paths, URLs or non-buffers are refused at render time', () => {
		for (const bad of [
			{ filename: 'x', path: '/etc/passwd', contentType: 'text/plain' },
			{ filename: 'x', href: 'https://example.com/x', contentType: 'text/plain' },
			{ filename: 'x', content: 'not a buffer', contentType: 'text/plain' },
			{ filename: 'x', content: Buffer.from('x'), contentType: 'not a type' },
			{ filename: 'x', content: Buffer.from('x'), contentType: 'image/png', cid: 'bad cid>' },
		]) {
			expect(() => template.render(subscriber(), { attachments: [bad as never] })).toThrow(
				expect.objectContaining({ code: 'invalid-attachment' }),
			);
		}
		expect(() =>
			toSendMailOptions({
				...message,
				attachments: [{ filename: 'x', path: '/etc/passwd' } as never],
			}),
		).toThrow(/only in-memory content/);
	});

	test('a message needs a body and a sane Message-ID', () => {
		expect(() => toSendMailOptions({ ...message, html: '', text: '' })).toThrow(ComposeError);
		expect(() => toSendMailOptions({ ...message, messageId: '<a\r\nb@x>' })).toThrow(/Message-ID/);
	});

	test('a text-only message is single-part with the right charset', async () => {
		const text = compileTemplate({ subject: 's', text: 'Grüße {{ name }}', from: FROM }).render(
			subscriber(),
		);
		const raw = await buildRawMessage(text);
		const contentType = topLevelHeaders(raw).find((h) => h.name === 'Content-Type')?.value;
		expect(contentType).toBe('text/plain; charset=utf-8');
		expect((await simpleParser(raw)).text?.trim()).toBe('Grüße Taro Yamada');
	});
});

describe('address validation', () => {
	test('the fast e-mail check accepts only what validator.isEmail accepts', () => {
		const options = { allow_utf8_local_part: true, require_tld: true, allow_ip_domain: false };
		const samples = [
			'a@example.com',
			'first.last+tag@sub.example.co.jp',
			"o'brien@example.ie",
			'x_y-z@ex-ample.org',
			'a..b@example.com',
			'.a@example.com',
			'a.@example.com',
			'a@-example.com',
			'a@example-.com',
			'a@example.c',
			'a@example.123',
			'a@exa_mple.com',
			`${'a'.repeat(65)}@example.com`,
			`a@${'b'.repeat(64)}.com`,
			`a@${'b.'.repeat(130)}com`,
			'"quoted local"@example.com',
			'用户@例子.广告',
			'a@[127.0.0.1]',
			'a@127.0.0.1',
		];
		for (const sample of samples)
			expect([sample, isValidEmail(sample)]).toEqual([sample, isEmail(sample, options)]);
	});
});
