import { simpleParser } from 'mailparser';

import {
	compileTemplate,
	ComposeError,
	parseMailbox,
	sanitizeHeaderText,
	toSendMailOptions,
	type ComposedMessage,
} from '../../../lib/compose';
import { LINKS, buildRawMessage, headerNames, subscriber } from './helpers';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const INJECTED = 'X-Injected: yes';

/** Ways to smuggle a line break, raw or encoded. */
const ATTACKS: Array<[string, string]> = [
	['CRLF', `\r\n${INJECTED}`],
	['LF', `\n${INJECTED}`],
	['CR', `\r${INJECTED}`],
	['CRLF + space (folding)', `\r\n ${INJECTED}`],
	['U+2028 line separator', `\u2028${INJECTED}`],
	['U+2029 paragraph separator', `\u2029${INJECTED}`],
	['NEL U+0085', `\u0085${INJECTED}`],
	['vertical tab', `\u000b${INJECTED}`],
	['form feed', `\u000c${INJECTED}`],
	['NUL', `\u0000${INJECTED}`],
	['tab', `\t${INJECTED}`],
	['ESC', `\u001b${INJECTED}`],
	['C1 CSI', `\u009b${INJECTED}`],
	['%0d%0a', `%0d%0a${INJECTED}`],
	['%0D%0A', `%0D%0A${INJECTED}`],
	['%0A', `%0A${INJECTED}`],
	['double-encoded %250D%250A', `%250D%250A${INJECTED}`],
	['%E2%80%A8', `%E2%80%A8${INJECTED}`],
	['%C2%85', `%C2%85${INJECTED}`],
	['overlong %C0%8A', `%C0%8A${INJECTED}`],
	['=0D=0A', `=0D=0A${INJECTED}`],
	['=E2=80=A8', `=E2=80=A8${INJECTED}`],
	['Q encoded-word', `=?utf-8?Q?x=0D=0AX-Injected:_yes?=`],
	['B encoded-word', `=?UTF-8?B?${b64(`x\r\n${INJECTED}`)}?=`],
	['latin1 encoded-word', `=?iso-8859-1?q?x=0A${INJECTED.replace(' ', '_')}?=`],
	['unknown-charset encoded-word', `=?x-unknown?B?${b64(`x\n${INJECTED}`)}?=`],
	['nested encoded-word', `=?utf-8?B?${b64(`=?utf-8?Q?=0D=0A?=${INJECTED}`)}?=`],
	['encoded-word of %0A', `=?utf-8?Q?%0A${INJECTED.replace(' ', '_')}?=`],
];

const LINE_BREAKS = /[\r\n\u2028\u2029\u0085\u000b\u000c]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ENCODED_WORD = /=\?[^?\s]+\?[bq]\?/i;

describe('sanitizeHeaderText', () => {
	test.each(ATTACKS)('%s: no control, no encoded form is left', (_label, attack) => {
		const clean = sanitizeHeaderText(`Sale${attack}`);
		expect(clean).not.toMatch(CONTROLS);
		expect(clean).not.toMatch(/%(?:25)*0[ad]|=0[ad]/i);
		expect(clean).not.toMatch(ENCODED_WORD);
		expect(clean).toMatch(/^Sale ?x? ?X-Injected: yes$/);
	});

	test('ordinary text stays as it is', () => {
		for (const text of [
			'Save 50% today = big deal',
			'Price=100, 2+2=4',
			'日本語の件名 🎉',
			'Ünïcödé – “quotes”',
			'a ? b = c',
		]) {
			expect(sanitizeHeaderText(text)).toBe(text);
		}
	});

	test('a legitimate encoded-word becomes its text (nodemailer encodes it again)', () => {
		expect(sanitizeHeaderText('=?UTF-8?B?5pel5pys?= news')).toBe('日本 news');
	});

	test('runs of controls become one space and the ends are trimmed', () => {
		expect(sanitizeHeaderText('\r\n  a\r\n\r\n\tb \u2028')).toBe('a b');
	});
});

describe('header injection through templates and data', () => {
	const template = compileTemplate(
		{
			subject: 'Hello {{ name }} {{ fields.note }} {{ item.note }}',
			html: '<p>{{ fields.note }}</p>',
			from: { name: '{{ item.team }}', address: 'news@example.com' },
			replyTo: 'Support <support@example.com>',
		},
		{ ...LINKS, headers: { 'X-Mailer-Tag': 'weekly' } },
	);

	const EXPECTED_HEADERS = [
		'content-type',
		'from',
		'to',
		'reply-to',
		'subject',
		'message-id',
		'date',
		'mime-version',
		'x-mailer-tag',
		'list-unsubscribe',
		'list-unsubscribe-post',
		'x-bulk-mail-campaign',
		'x-bulk-mail-subscriber',
	].sort();

	async function expectNoInjection(message: ComposedMessage) {
		for (const value of [
			message.subject,
			message.from.name,
			message.to.name,
			...Object.values(message.headers),
		]) {
			expect(value).not.toMatch(CONTROLS);
			expect(value).not.toMatch(ENCODED_WORD);
		}
		const raw = await buildRawMessage(message);
		const headerBlock = raw.slice(0, raw.indexOf('\r\n\r\n'));
		expect(headerBlock).not.toMatch(/\r(?!\n)|(?<!\r)\n/); // only CRLF line ends
		expect(headerBlock).not.toMatch(/^x-injected/im);
		const names = new Set(headerNames(raw));
		names.delete('content-transfer-encoding'); // present for single-part messages
		expect([...names].sort()).toEqual(EXPECTED_HEADERS);
		const parsed = await simpleParser(raw);
		expect(parsed.headers.has('x-injected')).toBe(false);
		expect(parsed.headers.has('bcc')).toBe(false);
		expect(parsed.subject ?? '').not.toMatch(LINE_BREAKS);
		expect(parsed.from?.value).toHaveLength(1);
		expect(parsed.from?.value[0].address).toBe('news@example.com');
		const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
		expect(to.flatMap((t) => t?.value ?? []).map((a) => a.address)).toEqual(['taro@example.com']);
	}

	test.each(ATTACKS)(
		'%s in subject merge fields, display names and item data',
		async (_label, attack) => {
			const message = template.render(
				subscriber({ name: `Taro${attack}`, fields: { note: `note${attack}` } }),
				{ item: { note: `item${attack}`, team: `Team${attack}` }, campaignId: 'spring' },
			);
			expect(message.subject).toContain('Hello Taro');
			expect(message.from.name).toMatch(/^Team/);
			await expectNoInjection(message);
		},
	);

	test.each(ATTACKS)(
		'%s in a literal subject, From name and an extra header',
		async (_label, attack) => {
			const literal = compileTemplate(
				{
					subject: `Weekly${attack}`,
					text: 'hi',
					from: { name: `Shop${attack}`, address: 'news@example.com' },
					replyTo: { name: `Help${attack}`, address: 'support@example.com' },
				},
				{ ...LINKS, headers: { 'X-Mailer-Tag': `tag${attack}` } },
			);
			await expectNoInjection(literal.render(subscriber(), { campaignId: 'spring' }));
		},
	);

	test('an attachment file name cannot break its MIME headers either', async () => {
		const message = compileTemplate({ subject: 's', text: 't', from: 'a@example.com' }).render(
			subscriber(),
			{
				attachments: [
					{
						filename: `report\r\n${INJECTED}.pdf`,
						content: Buffer.from('x'),
						contentType: 'application/pdf',
					},
				],
			},
		);
		expect(message.attachments?.[0].filename).toBe('report X-Injected: yes.pdf');
		const raw = await buildRawMessage(message);
		expect(raw).not.toMatch(/^x-injected/im);
	});
});

describe('addresses and ids with controls are refused', () => {
	test.each([
		['CRLF after the address', 'News <news@example.com>\r\nBcc: x@evil.com'],
		['LF inside the name', 'Ne\nws <news@example.com>'],
		['U+2028', 'News\u2028 <news@example.com>'],
		['two addresses', 'a@example.com, b@example.com'],
		['a group', 'Team: a@example.com, b@example.com;'],
		['no address', 'Just a name'],
	])('From: %s', (_label, from) => {
		expect(() => compileTemplate({ subject: 's', text: 't', from })).toThrow(ComposeError);
	});

	test.each([
		'taro@example.com\r\nBcc: x@evil.com',
		'taro@example.com\n',
		'taro\u2028@example.com',
		'taro@exa\u0085mple.com',
		'"taro\u000b"@example.com',
		'not-an-address',
		'taro@localhost',
	])('recipient %j', (email) => {
		const template = compileTemplate({ subject: 's', text: 't', from: 'a@example.com' });
		expect(() => template.render(subscriber({ email }))).toThrow(
			expect.objectContaining({ code: 'invalid-address' }),
		);
	});

	test('subscriber and campaign ids with line breaks', () => {
		const template = compileTemplate({ subject: 's', text: 't', from: 'a@example.com' });
		expect(() => template.render(subscriber({ id: 'sub\r\nX-Injected: 1' }))).toThrow(
			expect.objectContaining({ code: 'invalid-recipient' }),
		);
		expect(() => template.render(subscriber(), { campaignId: 'c\n1' })).toThrow(
			expect.objectContaining({ code: 'invalid-recipient' }),
		);
	});

	test('parseMailbox accepts a plain name and keeps the address exact', () => {
		expect(parseMailbox('"Shop, Inc." <news@example.com>', 'From')).toEqual({
			name: 'Shop, Inc.',
			address: 'news@example.com',
		});
	});
});

describe('toSendMailOptions re-checks messages that travelled through items', () => {
	const good = compileTemplate({ subject: 'Hi', text: 't', from: 'a@example.com' }, LINKS).render(
		subscriber(),
		{ campaignId: 'c1' },
	);

	test('edited subject and names are cleaned again', async () => {
		const edited: ComposedMessage = {
			...good,
			subject: `Hi\r\n${INJECTED}`,
			to: { name: `Taro\n${INJECTED}`, address: 'taro@example.com' },
		};
		const raw = await buildRawMessage(edited);
		expect(raw).not.toMatch(/^x-injected/im);
	});

	test('an injected header value is cleaned, a structural header is refused', async () => {
		const raw = await buildRawMessage({
			...good,
			headers: { ...good.headers, 'X-Tag': `a\r\n${INJECTED}` },
		});
		expect(raw).not.toMatch(/^x-injected/im);
		expect(() => toSendMailOptions({ ...good, headers: { Bcc: 'x@evil.com' } })).toThrow(
			/cannot be set through headers/,
		);
		expect(() => toSendMailOptions({ ...good, headers: { 'Bad Name': 'x' } })).toThrow(
			/Header name/,
		);
		expect(() => toSendMailOptions({ ...good, headers: { 'X-A\r\nX-Injected': 'x' } })).toThrow(
			/Header name/,
		);
	});

	test('a List-Unsubscribe that is not a plain <URL> list is refused', () => {
		expect(() =>
			toSendMailOptions({ ...good, headers: { 'List-Unsubscribe': '<https://x.example/u> junk' } }),
		).toThrow(/List-Unsubscribe/);
	});

	test('a to address with a line break is refused', () => {
		expect(() =>
			toSendMailOptions({
				...good,
				to: { name: '', address: 'taro@example.com\r\nBcc: x@evil.com' },
			}),
		).toThrow(ComposeError);
	});
});
