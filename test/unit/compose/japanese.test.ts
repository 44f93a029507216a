import { simpleParser } from 'mailparser';

import { compileTemplate, encodeIso2022Jp, encodeIso2022JpHeader } from '../../../lib/compose';
import { LINKS, buildRawMessage, subscriber, topLevelHeaders } from './helpers';

const SPEC = {
	subject: '【お知らせ】{{ name }}様、春のセールのご案内',
	html: '<p>{{ name }}様</p><p>いつもご利用ありがとうございます。{{ fields.city }}店で春のセールを開催します。</p>',
	from: { name: 'サンプル商店', address: 'news@example.co.jp' },
};
const TARO = subscriber({
	name: '山田太郎',
	email: 'taro@example.co.jp',
	fields: { city: '東京' },
});

/** The body part of a single-part message or the named part of a multipart one. */
function partHeaders(raw: string, contentType: string): string {
	const at = raw.search(new RegExp(`^Content-Type: ${contentType}`, 'mi'));
	return raw.slice(at, raw.indexOf('\r\n\r\n', at));
}

function partBody(raw: string, contentType: string): string {
	const at = raw.search(new RegExp(`^Content-Type: ${contentType}`, 'mi'));
	const start = raw.indexOf('\r\n\r\n', at) + 4;
	return raw.slice(start, raw.indexOf('\r\n--', start));
}

describe('UTF-8 (default)', () => {
	const message = compileTemplate(SPEC, LINKS).render(TARO, { campaignId: 'haru' });

	test('subject and body round-trip through MIME', async () => {
		const raw = await buildRawMessage(message);
		const subjectHeader = topLevelHeaders(raw).find((h) => h.name === 'Subject')!.value;
		expect(subjectHeader).toMatch(/^=\?UTF-8\?[BQ]\?/i);
		expect(raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
		const parsed = await simpleParser(raw);
		expect(parsed.subject).toBe('【お知らせ】山田太郎様、春のセールのご案内');
		expect(parsed.from?.value[0]).toEqual({ name: 'サンプル商店', address: 'news@example.co.jp' });
		expect(parsed.text?.trim()).toBe(
			'山田太郎様\n\nいつもご利用ありがとうございます。東京店で春のセールを開催します。',
		);
		expect(parsed.html).toContain('<p>山田太郎様</p>');
		expect(partHeaders(raw, 'text/plain')).toMatch(/charset=utf-8/i);
		expect(partHeaders(raw, 'text/html')).toMatch(/charset=utf-8/i);
	});
});

describe('ISO-2022-JP option', () => {
	test('subject and text part in ISO-2022-JP, 7bit, decoded back exactly', async () => {
		const template = compileTemplate(SPEC, { ...LINKS, encoding: 'iso-2022-jp' });
		const message = template.render(TARO, { campaignId: 'haru' });
		expect(message.encoding).toBe('iso-2022-jp');
		const raw = await buildRawMessage(message);
		const subjectHeader = topLevelHeaders(raw).find((h) => h.name === 'Subject')!.value;
		expect(subjectHeader).toMatch(
			/^=\?ISO-2022-JP\?B\?[A-Za-z0-9+/=]+\?=( =\?ISO-2022-JP\?B\?[A-Za-z0-9+/=]+\?=)*$/,
		);
		for (const word of subjectHeader.split(' ')) expect(word.length).toBeLessThanOrEqual(75);
		const textHeaders = partHeaders(raw, 'text/plain');
		expect(textHeaders).toMatch(/charset=ISO-2022-JP/i);
		expect(textHeaders).toMatch(/Content-Transfer-Encoding: 7bit/i);
		const body = partBody(raw, 'text/plain');
		expect(body).toContain('\u001b$B'); // JIS X 0208 in, 7-bit only
		expect(/[\u0080-\uffff]/.test(body)).toBe(false);

		const parsed = await simpleParser(Buffer.from(raw, 'latin1'));
		expect(parsed.subject).toBe('【お知らせ】山田太郎様、春のセールのご案内');
		expect(parsed.text?.trim()).toBe(
			'山田太郎様\n\nいつもご利用ありがとうございます。東京店で春のセールを開催します。',
		);
		expect(parsed.html).toContain('<p>山田太郎様</p>'); // the HTML part stays UTF-8
		expect(partHeaders(raw, 'text/html')).toMatch(/charset=utf-8/i);
	});

	test('a text-only message: half-width katakana become full-width (quoted-printable part)', async () => {
		const message = compileTemplate(
			{ subject: 'ｾｰﾙ', text: 'ｶﾀｶﾅ ﾃｽﾄ', from: 'a@example.jp' },
			{ encoding: 'iso-2022-jp' },
		).render(TARO);
		const raw = await buildRawMessage(message);
		expect(topLevelHeaders(raw).map((h) => h.name)).toEqual(
			expect.arrayContaining(['From', 'To', 'Subject', 'Message-ID']),
		);
		expect(raw).toMatch(/^Content-Type: text\/plain; charset=ISO-2022-JP\r$/m);
		expect(raw).toMatch(/^Content-Transfer-Encoding: quoted-printable\r$/m);
		expect(raw).toContain('=1B$B%+%?%+%J=1B(B'); // the ESC bytes, quoted-printable
		const parsed = await simpleParser(Buffer.from(raw, 'latin1'));
		expect(parsed.subject).toBe('セール');
		expect(parsed.text?.trim()).toBe('カタカナ テスト');
	});

	test('characters ISO-2022-JP cannot carry keep the message in UTF-8 instead of losing them', async () => {
		const message = compileTemplate(
			{ subject: '髙橋様 🎉', text: '絵文字 🎉 と 髙', from: 'a@example.jp' },
			{ encoding: 'iso-2022-jp' },
		).render(TARO);
		const raw = await buildRawMessage(message);
		expect(topLevelHeaders(raw).find((h) => h.name === 'Subject')!.value).toMatch(/^=\?UTF-8\?/i);
		const parsed = await simpleParser(Buffer.from(raw, 'latin1'));
		expect(parsed.subject).toBe('髙橋様 🎉');
		expect(parsed.text?.trim()).toBe('絵文字 🎉 と 髙');
	});
});

describe('encodeIso2022Jp', () => {
	test('escape sequences around JIS X 0208 runs, ASCII unchanged', () => {
		expect(encodeIso2022Jp('abc')).toEqual(Buffer.from('abc'));
		expect(encodeIso2022Jp('あ')).toEqual(
			Buffer.from([0x1b, 0x24, 0x42, 0x24, 0x22, 0x1b, 0x28, 0x42]),
		);
		expect(encodeIso2022Jp('aあb\r\n漢字')).toEqual(
			Buffer.concat([
				Buffer.from('a\u001b$B$"\u001b(Bb\r\n', 'latin1'),
				Buffer.from([0x1b, 0x24, 0x42, 0x34, 0x41, 0x3b, 0x7a, 0x1b, 0x28, 0x42]),
			]),
		);
	});

	test('returns null for what it cannot carry', () => {
		// emoji, an IBM-extension kanji, U+FF5E (JIS X 0212 in EUC-JP), a raw escape sequence
		for (const text of ['😀', '髙', '\uff5e', 'a\u001b$Bb']) {
			expect(encodeIso2022Jp(text)).toBeNull();
		}
	});

	test('header words: plain ASCII stays, long text is split into complete words', () => {
		expect(encodeIso2022JpHeader('Plain subject')).toBe('Plain subject');
		const long = encodeIso2022JpHeader(
			'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめも',
		) as string;
		const words = long.split(' ');
		expect(words.length).toBeGreaterThan(1);
		for (const word of words) {
			expect(word.length).toBeLessThanOrEqual(75);
			const bytes = Buffer.from(word.slice('=?ISO-2022-JP?B?'.length, -2), 'base64');
			expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x1b, 0x24, 0x42]));
			expect(bytes.subarray(-3)).toEqual(Buffer.from([0x1b, 0x28, 0x42]));
		}
	});
});
