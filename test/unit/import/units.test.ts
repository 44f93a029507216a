import iconv from 'iconv-lite';
import {
	convertValue,
	headerKey,
	isValidEmail,
	normaliseDelimiter,
	normaliseEncoding,
	redactUrl,
	sniffDelimiter,
	sniffEncoding,
} from '../../../lib/import';

describe('value conversion', () => {
	test.each([
		['42', 42],
		['-3.5', -3.5],
		['1,234,567.25', 1234567.25],
		['４２', 42],
		['1e3', 1000],
	])('number %j → %j', (raw, value) =>
		expect(convertValue(raw, 'number')).toEqual({ ok: true, value }),
	);

	test.each(['abc', '1,2', '12-3', '', 'Infinity', '1.2.3'])('not a number: %j', (raw) => {
		const converted = convertValue(raw, 'number');
		expect(converted).toEqual({
			ok: false,
			message: `'${raw}' is not a number (write e.g. 42, -3.5 or 1,234.5)`,
		});
	});

	test.each([
		['2024-03-05', '2024-03-05'],
		['2024/3/5', '2024-03-05'],
		['20240305', '2024-03-05'],
		['2024年3月5日', '2024-03-05'],
		['２０２４/０３/０５', '2024-03-05'],
		['2024-03-05T09:30:00+09:00', '2024-03-05T09:30:00+09:00'],
	])('date %j → %j', (raw, value) =>
		expect(convertValue(raw, 'date')).toEqual({ ok: true, value }),
	);

	test.each(['2024-02-30', '2023/2/29', '20241301', '5.3.2024', 'yesterday', '2024-03-05T25:00'])(
		'not a date: %j',
		(raw) => {
			const converted = convertValue(raw, 'date');
			expect(converted.ok).toBe(false);
			expect(!converted.ok && converted.message).toContain('use YYYY-MM-DD, YYYY/M/D or YYYYMMDD');
		},
	);

	test.each([
		['true', true],
		['YES', true],
		['1', true],
		['はい', true],
		['false', false],
		['No', false],
		['0', false],
		['いいえ', false],
	])('boolean %j → %j', (raw, value) =>
		expect(convertValue(raw, 'boolean')).toEqual({ ok: true, value }),
	);

	test('not a boolean', () => {
		expect(convertValue('maybe', 'boolean')).toEqual({
			ok: false,
			message: "'maybe' is not a yes/no value (use true/false, yes/no, 1/0 or はい/いいえ)",
		});
	});
});

describe('e-mail validation (validator.isEmail with its length limits)', () => {
	test.each([
		'a@example.com',
		'first.last+tag@sub.example.co.jp',
		'ユーザー@example.jp',
		`${'a'.repeat(64)}@example.com`,
	])('valid: %s', (email) => expect(isValidEmail(email)).toBe(true));
	test.each([
		'plain',
		'a@b',
		'a@@example.com',
		'a b@example.com',
		'.a@example.com',
		`${'a'.repeat(65)}@example.com`,
		`${'ü'.repeat(33)}@example.com`,
		`a@${'b'.repeat(64)}.com`,
		`a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.com`,
		// lone surrogates, in the local part and in the domain: refused, not a URIError
		'a\uD800b@example.com',
		'\uDC00@example.com',
		'ab@exa\uD800mple.com',
	])('invalid: %s', (email) => expect(isValidEmail(email)).toBe(false));
});

describe('sniffing', () => {
	const names = Array.from(
		{ length: 50 },
		(_, i) => `u${i}@example.jp,山田 太郎,東京都千代田区,ヤマダ\n`,
	).join('');

	test.each([
		['cp932', 'shift_jis'],
		['euc-jp', 'euc-jp'],
		['utf8', 'utf-8'],
	])('Japanese text in %s is detected as %s', (codec, expected) => {
		expect(sniffEncoding(iconv.encode(names, codec), true).encoding).toBe(expected);
	});

	test('Latin-1, BOMs, and UTF-8 with one damaged byte', () => {
		const west = 'email;name\nj@example.de;Jürgen Müller\nf@example.fr;François Lefèvre\n';
		expect(sniffEncoding(iconv.encode(west, 'latin1'), true).encoding).toBe('latin1');
		expect(sniffEncoding(Buffer.from([0xff, 0xfe, 0x41, 0x00]), true).encoding).toBe('utf-16le');
		expect(sniffEncoding(Buffer.from([0xfe, 0xff, 0x00, 0x41]), true).encoding).toBe('utf-16be');
		expect(
			sniffEncoding(
				Buffer.concat([Buffer.from(names), Buffer.from([0xff]), Buffer.from(names)]),
				true,
			).encoding,
		).toBe('utf-8');
	});

	test('a multi-byte character cut at the end of the first chunk is still valid UTF-8', () => {
		const text = Buffer.from('email,name\na@example.com,日本');
		expect(sniffEncoding(text.subarray(0, text.length - 1), false).encoding).toBe('utf-8');
	});

	test.each([
		['a,b,c\n1,2,3\n', ','],
		['a;b;c\n1;2;3\n', ';'],
		['a\tb\n1\t2\n', '\t'],
		['a|b\n1|2\n', '|'],
		['email;name\nx@y.z;"Doe, John"\n', ';'],
		['email,note\nx@y.z,"a;b;c;d"\n', ','],
		['email\nx@y.z\n', ','],
	])('delimiter of %j is %j', (text, delimiter) => {
		expect(sniffDelimiter(text, { quote: '"', skipLines: 0, complete: true })).toBe(delimiter);
	});

	test('skipped preamble lines do not vote', () => {
		expect(
			sniffDelimiter('Report, generated, today\nemail;name\na@b.c;A\n', {
				quote: '"',
				skipLines: 1,
				complete: true,
			}),
		).toBe(';');
	});
});

describe('option normalisation', () => {
	test('encoding aliases', () => {
		expect(normaliseEncoding('Shift-JIS')).toBe('shift_jis');
		expect(normaliseEncoding('Windows-31J')).toBe('shift_jis');
		expect(normaliseEncoding('UTF-8 BOM')).toBe('utf-8');
		expect(normaliseEncoding('ISO-8859-1')).toBe('latin1');
		expect(normaliseEncoding(undefined)).toBe('auto');
	});

	test('delimiter names', () => {
		expect(normaliseDelimiter('tab')).toBe('\t');
		expect(normaliseDelimiter('\\t')).toBe('\t');
		expect(normaliseDelimiter('Semicolon')).toBe(';');
		expect(normaliseDelimiter('auto')).toBe('auto');
		expect(() => normaliseDelimiter('\n')).toThrow('The delimiter must be one character');
	});

	test('header keys ignore case, width and punctuation', () => {
		expect(headerKey(' E-Mail ')).toBe('email');
		expect(headerKey('ＥＭＡＩＬ＿ＡＤＤＲＥＳＳ')).toBe('emailaddress');
		expect(headerKey('メール アドレス')).toBe('メールアドレス');
	});

	test('URLs in messages lose credentials and query strings', () => {
		expect(redactUrl('https://user:pass@files.example.com/export.csv?sig=abc')).toBe(
			'https://files.example.com/export.csv?…',
		);
		expect(redactUrl('not a url')).toBe('(invalid URL)');
	});
});
