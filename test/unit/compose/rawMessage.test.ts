import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

import { compileTemplate, toSendMailOptions } from '../../../lib/compose';
import { buildRawMessage, encodeQuotedPrintable } from '../../../lib/compose/rawMessage';

const SECRET = 'raw-message-test-secret-0123456789abcdef';

function nodemailerBuild(options: SendMailOptions): Promise<Buffer> {
	return new MailComposer(options).compile().build();
}

function addresses(value: AddressObject | AddressObject[] | undefined) {
	return [value ?? []].flat().flatMap((entry) => entry.value.map(({ name, address }) => ({ name, address })));
}

/** What a mail client reads from a message. */
function reading(parsed: ParsedMail, headerNames: string[]) {
	return {
		subject: parsed.subject,
		from: addresses(parsed.from),
		to: addresses(parsed.to),
		replyTo: addresses(parsed.replyTo),
		text: parsed.text ?? null,
		html: parsed.html || null,
		messageId: parsed.messageId,
		headers: Object.fromEntries(headerNames.map((name) => [name, parsed.headers.get(name)])),
	};
}

/** The raw message keeps to RFC 5322 / 2045: 7-bit, CRLF only, no line over 998 (body over 76). */
function expectWellFormed(raw: Buffer) {
	const text = raw.toString('latin1');
	expect(raw.every((byte) => byte < 0x80)).toBe(true);
	expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
	expect(text.endsWith('\r\n')).toBe(true);
	const [head, ...body] = text.split('\r\n\r\n');
	for (const line of head.split('\r\n')) {
		expect(line.length).toBeLessThanOrEqual(998);
		if (!line.startsWith('List-Unsubscribe:')) expect(line.length).toBeLessThanOrEqual(78);
	}
	for (const line of body.join('\r\n\r\n').split('\r\n')) {
		expect(line.length).toBeLessThanOrEqual(76);
	}
}

async function expectSameAsNodemailer(options: SendMailOptions, headerNames: string[] = []) {
	const built = buildRawMessage(options);
	expect(built).not.toBeNull();
	expectWellFormed(built!.raw);
	const ours = await simpleParser(built!.raw);
	const theirs = await simpleParser(await nodemailerBuild({ ...options, messageId: built!.messageId }));
	expect(reading(ours, headerNames)).toEqual(reading(theirs, headerNames));
	return { built: built!, parsed: ours };
}

const FILLER =
	'<p style="margin:0 0 12px;line-height:1.5;font-family:Arial,sans-serif">Lorem ipsum dolor sit amet, consectetur adipiscing elit = sed do eiusmod tempor.</p>\n';

describe('buildRawMessage: the message reads as nodemailer would build it', () => {
	it('a composed campaign message: multipart, quoted-printable, List-Unsubscribe, correlation headers', async () => {
		const template = compileTemplate(
			{
				subject: 'Spring news for {{ name }}',
				html: `<h1>Hello {{ name }},</h1>\n${FILLER.repeat(20)}<a href="https://shop.example.com/a?b=c&d=e">shop</a>`,
				from: 'Shop News <news@sender.example>',
				replyTo: 'Help Desk <help@sender.example>',
			},
			{ baseUrl: 'https://mail.example.com', secret: SECRET },
		);
		const options = toSendMailOptions(
			template.render({ id: '42', email: 'reader@example.org', name: 'Reader 42' }, { campaignId: '7' }),
		);
		const { built, parsed } = await expectSameAsNodemailer(options, [
			'list-unsubscribe',
			'list-unsubscribe-post',
			'x-bulk-mail-campaign',
			'x-bulk-mail-subscriber',
		]);
		expect(built.envelope).toEqual({ from: 'news@sender.example', to: ['reader@example.org'] });
		expect(built.messageId).toBe(options.messageId);
		expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
		const raw = built.raw.toString('latin1');
		expect(raw).toContain('Content-Transfer-Encoding: quoted-printable');
		// written unfolded, as toSendMailOptions prepared it (a folded URL can break DKIM)
		expect(raw).toMatch(/\r\nList-Unsubscribe: <https:\/\/mail\.example\.com\/unsubscribe\?t=[^\r\n]+>\r\n/);
		expect(raw).toContain('\r\nMIME-Version: 1.0\r\n');
		expect(raw).toMatch(/\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\n/);
	});

	it('Japanese names, subject and body (encoded-words, base64 where nodemailer chooses it)', async () => {
		const template = compileTemplate({
			subject: '{{ name }}様 春のお知らせ — 期間限定のご案内をお送りします。ぜひご覧ください',
			html: '<p>{{ name }}様</p>\n<p>いつもご利用いただきありがとうございます。春の新作をご紹介します。</p>',
			text: '{{ name }}様\nいつもご利用いただきありがとうございます。',
			from: 'ショップ便り <news@sender.example>',
		});
		const options = toSendMailOptions(
			template.render({ id: '1', email: 'yamada@example.jp', name: '山田 太郎' }),
		);
		const { built } = await expectSameAsNodemailer(options);
		const raw = built.raw.toString('latin1');
		expect(raw).toContain('Content-Transfer-Encoding: base64');
		expect(raw).toMatch(/^From: =\?UTF-8\?[BQ]\?/);
		expect(raw).toMatch(/\r\nSubject: =\?UTF-8\?[BQ]\?[^\r\n]+\r\n [^\r\n]+/);
	});

	it.each<[string, SendMailOptions]>([
		[
			'a short ASCII text-only message (7bit), lines starting with a dot or From, trailing spaces',
			{ text: 'Hello,\n.dot line\nFrom here   \n\n\tindented = yes\r\nbye\r', subject: 'Plain' },
		],
		['an HTML-only message', { html: `<div>${FILLER.repeat(5)}</div>`, subject: 'Only HTML' }],
		[
			'long unbroken lines, tabs and "=" (quoted-printable soft breaks)',
			{
				text: `${'x'.repeat(200)}\n${'a = b\t'.repeat(40)}\nend with tab\t\nend with space `,
				html: `<a href="https://example.com/${'p'.repeat(300)}?q=1">link</a>   \n`,
				subject: 'Long lines',
			},
		],
		[
			'names that need quoting, a long ASCII subject, a subject with quotes and "=?"',
			{
				from: { name: 'Smith, John "JJ"', address: 'john@sender.example' },
				to: { name: 'O\'Brien \\ Co', address: 'ob@example.org' },
				replyTo: { name: '', address: 'noreply@sender.example' },
				subject: `${'A fairly long subject line that keeps going '.repeat(3)} "quoted" =?not-a-word?=`,
				text: 'x',
			},
		],
		[
			'custom headers: non-ASCII, long, and structured ones',
			{
				text: 'x',
				subject: 's',
				headers: {
					'X-Campaign-Tag': 'Frühling — 春',
					'x-long-header': 'word '.repeat(40).trim(),
					'In-Reply-To': 'abc@sender.example',
				},
			},
		],
	])('%s', async (_label, extra) => {
		const options: SendMailOptions = {
			from: { name: 'Sender', address: 'sender@sender.example' },
			to: 'reader@example.org',
			...extra,
		};
		await expectSameAsNodemailer(options, ['x-campaign-tag', 'x-long-header', 'in-reply-to']);
	});

	it('generates a Message-ID at the From domain when none is given, and distinct boundaries', () => {
		const options = { from: 'a@sender.example', to: 'b@example.org', text: 't', html: '<p>h</p>' };
		const first = buildRawMessage(options)!;
		const second = buildRawMessage(options)!;
		expect(first.messageId).toMatch(/^<[0-9a-f-]{36}@sender\.example>$/);
		expect(second.messageId).not.toBe(first.messageId);
		const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString())![1];
		expect(boundary(first.raw)).toContain('=_');
		expect(boundary(second.raw)).not.toBe(boundary(first.raw));
	});

	it('messages of any size, one after another, never share bytes (the encoder reuses its scratch space)', async () => {
		const send = (html: string, text: string): SendMailOptions => ({
			from: 'news@sender.example',
			to: 'reader@example.org',
			subject: 'Sizes',
			html,
			text,
		});
		const small = send('<p>small</p>', 'small');
		const first = buildRawMessage(small)!;
		const firstBytes = Buffer.from(first.raw);
		// past the kept scratch (64 KiB), then past its limit (1 MiB, a one-off), then small again
		await expectSameAsNodemailer(send(FILLER.repeat(800), 'Grüße '.repeat(20_000)));
		await expectSameAsNodemailer(send(FILLER.repeat(9_000), 'こんにちは\n'.repeat(40_000)));
		await expectSameAsNodemailer(send('<p>again</p>', 'plain seven-bit text\nwith two lines'));
		expect(first.raw.equals(firstBytes)).toBe(true);
		const again = buildRawMessage(small)!;
		const strip = (raw: Buffer) =>
			raw.toString('latin1').replace(/Message-ID: .*|Date: .*|=_bm_[\w-]+/g, '');
		expect(strip(again.raw)).toBe(strip(first.raw));
	});
});

describe('buildRawMessage leaves everything else to nodemailer (null)', () => {
	const base: SendMailOptions = {
		from: { name: 'Sender', address: 'sender@sender.example' },
		to: { name: 'Reader', address: 'reader@example.org' },
		subject: 'Hi',
		text: 'Hello',
	};
	it('builds the base message', () => {
		expect(buildRawMessage(base)).not.toBeNull();
	});
	it.each<[string, SendMailOptions]>([
		['attachments', { attachments: [{ filename: 'a.txt', content: Buffer.from('a') }] }],
		['alternatives (ISO-2022-JP text)', { alternatives: [{ contentType: 'text/plain', content: 'x' }] }],
		['cc', { cc: 'other@example.org' }],
		['bcc', { bcc: 'other@example.org' }],
		['a "Name <address>" string (parsed by nodemailer)', { from: 'Sender <sender@sender.example>' }],
		['an address with a Unicode domain', { to: 'reader@bücher.example' }],
		['an address with a Unicode local part', { to: { name: '', address: 'jürgen@example.org' } }],
		['several recipients', { to: ['a@example.org', 'b@example.org'] }],
		['a header value with a line break', { headers: { 'X-Note': 'a\r\nBcc: victim@example.org' } }],
		['a structural header among the headers', { headers: { 'Content-Type': 'text/plain' } }],
		['a header name with a colon', { headers: { 'X-A:B': 'v' } }],
		['a header given as a list', { headers: { 'X-Tag': ['a', 'b'] } as never }],
		['a prepared header with a line break', { headers: { 'X-P': { prepared: true, value: 'a\r\nb' } } }],
		['a subject with a control character', { subject: 'a\u0007b' }],
		['a Buffer body', { text: Buffer.from('x') as never }],
		['an invalid Message-ID', { messageId: 'no-brackets@example.org' }],
		['other nodemailer options', { priority: 'high' }],
		['file access switched on', { disableFileAccess: false }],
		['no body at all', { text: '', html: '' }],
	])('%s', (_label, change) => {
		expect(buildRawMessage({ ...base, ...change })).toBeNull();
	});
});

/** RFC 2045 decoding, to check the encoder against. */
function decodeQuotedPrintable(encoded: Buffer): Buffer {
	const text = encoded.toString('latin1').replace(/=\r\n/g, '');
	const bytes: number[] = [];
	for (let i = 0; i < text.length; i++) {
		if (text[i] === '=') {
			bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			bytes.push(text.charCodeAt(i));
		}
	}
	return Buffer.from(bytes);
}

describe('encodeQuotedPrintable', () => {
	it('round-trips any text (line breaks as CRLF), lines of at most 76, no trailing white space', () => {
		const alphabet = ['a', 'Z', ' ', '\t', '=', '.', '\n', '\r\n', '\r', 'é', '春', '😀', '~', '\u0000'];
		let seed = 7;
		const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		for (let run = 0; run < 300; run++) {
			let text = '';
			const length = Math.floor(random() * 400);
			for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
			const encoded = encodeQuotedPrintable(Buffer.from(text, 'utf8'));
			const badLines = encoded
				.toString('latin1')
				.split('\r\n')
				.filter((line) => line.length > 76 || /[ \t]$/.test(line) || !/^[\x21-\x7e \t]*$/.test(line));
			expect(badLines).toEqual([]);
			expect(decodeQuotedPrintable(encoded).toString('utf8')).toBe(text.replace(/\r\n|\r|\n/g, '\r\n'));
		}
	});

	it('never writes "=" unencoded, so a "=_" boundary cannot occur in a part', () => {
		const encoded = encodeQuotedPrintable(Buffer.from('--=_bm_boundary_1\n=_ and =='));
		expect(encoded.toString()).toBe('--=3D_bm_boundary_1\r\n=3D_ and =3D=3D');
	});
});
