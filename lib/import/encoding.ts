import iconv from 'iconv-lite';
import type { Transform } from 'node:stream';
import { echo } from './messages';
import { ImportError } from './types';

/** Canonical encoding names this module reports; iconv-lite decodes all of them. */
export type ResolvedEncoding =
	'utf-8' | 'shift_jis' | 'euc-jp' | 'latin1' | 'windows-1252' | 'utf-16le' | 'utf-16be';

const ALIASES: Record<string, ResolvedEncoding | 'auto'> = {
	auto: 'auto',
	utf8: 'utf-8',
	utf8bom: 'utf-8',
	utf8withbom: 'utf-8',
	shiftjis: 'shift_jis',
	sjis: 'shift_jis',
	cp932: 'shift_jis',
	ms932: 'shift_jis',
	windows31j: 'shift_jis',
	mskanji: 'shift_jis',
	eucjp: 'euc-jp',
	latin1: 'latin1',
	iso88591: 'latin1',
	l1: 'latin1',
	windows1252: 'windows-1252',
	cp1252: 'windows-1252',
	utf16le: 'utf-16le',
	utf16be: 'utf-16be',
	utf16: 'utf-16le',
};

/** 'Shift-JIS', 'CP932', 'utf8 bom' … → a canonical name; throws a clear error for others. */
export function normaliseEncoding(name: string | undefined): ResolvedEncoding | 'auto' {
	if (name === undefined || name === '') return 'auto';
	const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
	const resolved = ALIASES[key];
	if (!resolved) {
		throw new ImportError(
			`Unknown encoding ${echo(name)}; use auto, utf-8, shift_jis (cp932), euc-jp, latin1, windows-1252 or utf-16le`,
			'invalid-option',
		);
	}
	return resolved;
}

/** The iconv-lite codec for a canonical name (Shift_JIS is decoded as CP932, what Excel writes). */
function codecName(encoding: ResolvedEncoding): string {
	return encoding === 'shift_jis' ? 'cp932' : encoding;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(head: Buffer, bytes: number[]): boolean {
	return head.length >= bytes.length && bytes.every((byte, index) => head[index] === byte);
}

function bomEncoding(head: Buffer): ResolvedEncoding | null {
	if (startsWith(head, UTF8_BOM)) return 'utf-8';
	if (startsWith(head, [0xff, 0xfe])) return 'utf-16le';
	if (startsWith(head, [0xfe, 0xff])) return 'utf-16be';
	return null;
}

const SIGNATURES: Array<{ bytes: number[]; what: string }> = [
	{
		bytes: [0x50, 0x4b, 0x03, 0x04],
		what: 'a ZIP archive (an Excel .xlsx workbook? Save it as CSV first)',
	},
	{ bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel .xls workbook (save it as CSV first)' },
	{ bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
	{ bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
	{ bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
	{ bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
	{ bytes: [0x1f, 0x8b], what: 'a gzip archive (unpack it first)' },
	{ bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'an SQLite database' },
];

/** NUL bytes in the head that make a file binary rather than text with a damaged row. */
const MANY_NULS = 4;

/** UTF-16 text without a BOM: ASCII characters leave a NUL in every other byte. */
function looksLikeBomlessUtf16(head: Buffer): boolean {
	const sample = head.subarray(0, 1024);
	let even = 0;
	let odd = 0;
	for (let index = 0; index < sample.length; index++) {
		if (sample[index] !== 0) continue;
		if (index % 2 === 0) even++;
		else odd++;
	}
	const pairs = Math.floor(sample.length / 2);
	return pairs >= 8 && Math.max(even, odd) >= pairs * 0.4;
}

/**
 * Refuses files that are not text: known binary signatures, UTF-16 without a BOM, or many NUL
 * bytes in the first chunk (at least 4, and more than 1 % of it). A NUL or two in a text file is a
 * damaged row: the importer rejects only those rows. UTF-16 with a BOM (or declared) is allowed.
 */
export function assertTextFile(
	head: Buffer,
	label: string,
	declared: ResolvedEncoding | 'auto',
): void {
	const bom = bomEncoding(head);
	if (
		bom === 'utf-16le' ||
		bom === 'utf-16be' ||
		declared === 'utf-16le' ||
		declared === 'utf-16be'
	)
		return;
	for (const signature of SIGNATURES) {
		if (startsWith(head, signature.bytes)) {
			throw new ImportError(
				`${label} is not a CSV file: it looks like ${signature.what}`,
				'binary-file',
			);
		}
	}
	const nul = head.indexOf(0);
	if (nul < 0) return;
	let nuls = 0;
	for (let at = nul; at >= 0; at = head.indexOf(0, at + 1)) nuls++;
	const utf16 = looksLikeBomlessUtf16(head);
	if (utf16 || (nuls >= MANY_NULS && nuls > head.length / 100)) {
		throw new ImportError(
			`${label} is not a CSV text file: it contains a NUL byte at offset ${nul} of the first ` +
				`${head.length} bytes (${nuls} in all: ` +
				(utf16
					? 'UTF-16 text without a BOM — save it as UTF-8, or set the encoding to utf-16le)'
					: 'a binary file, or UTF-16 text without a BOM)'),
			'binary-file',
		);
	}
}

/** True when `bytes` is well-formed UTF-8, ignoring a multi-byte character cut off at the end. */
export function isValidUtf8(bytes: Buffer, complete: boolean): boolean {
	let end = bytes.length;
	if (!complete) {
		// Back up over a trailing, possibly truncated sequence (at most 3 continuation bytes).
		let back = 0;
		while (back < 3 && end - back - 1 >= 0 && (bytes[end - back - 1] & 0xc0) === 0x80) back++;
		const lead = end - back - 1;
		if (lead >= 0 && bytes[lead] >= 0xc0) end = lead;
	}
	try {
		new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
		return true;
	} catch {
		return false;
	}
}

function isJapaneseChar(code: number): boolean {
	return (
		(code >= 0x3000 && code <= 0x30ff) || // punctuation, hiragana, katakana
		(code >= 0x4e00 && code <= 0x9fff) || // CJK ideographs
		(code >= 0xf900 && code <= 0xfaff) || // compatibility ideographs (髙, 﨑 …)
		(code >= 0xff01 && code <= 0xff5e) || // full-width ASCII
		(code >= 0x2460 && code <= 0x24ff) || // ① …
		(code >= 0x2010 && code <= 0x22ff) // dashes, arrows, maths symbols used in Japanese text
	);
}

/**
 * How plausible a double-byte decoding is, per byte: Japanese characters score their two bytes,
 * half-width katakana a little (mis-decoded EUC-JP turns into runs of them), replacement and
 * private-use characters count against.
 */
function japaneseScore(text: string): number {
	let score = 0;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code < 0x80) continue;
		if (code === 0xfffd) score -= 3;
		else if (code >= 0xff61 && code <= 0xff9f) score += 0.5;
		else if (code >= 0xe000 && code <= 0xf8ff) score -= 2;
		else if (isJapaneseChar(code)) score += 2;
	}
	return score;
}

/**
 * Latin-1 text has accented letters between ASCII letters ("Müller"); multi-byte text read as
 * Latin-1 gives runs of them and C1 control bytes (0x80–0x9F), which count against.
 */
function latin1Score(bytes: Buffer): number {
	let score = 0;
	for (let index = 0; index < bytes.length; index++) {
		const byte = bytes[index];
		if (byte < 0x80) continue;
		if (byte < 0xa0) {
			score -= 1;
			continue;
		}
		const isolated =
			(index === 0 || bytes[index - 1] < 0x80) &&
			(index === bytes.length - 1 || bytes[index + 1] < 0x80);
		if (isolated && byte >= 0xc0 && byte !== 0xd7 && byte !== 0xf7) score += 1;
	}
	return score;
}

export interface SniffedEncoding {
	encoding: ResolvedEncoding;
	/** How it was decided, for messages. */
	reason: string;
}

/**
 * Guesses the encoding from the first chunk: a BOM wins; then valid UTF-8 (or UTF-8 with a few
 * damaged bytes among many good multi-byte characters); otherwise the most plausible of
 * Shift_JIS (CP932), EUC-JP and Latin-1.
 */
export function sniffEncoding(head: Buffer, complete: boolean): SniffedEncoding {
	const bom = bomEncoding(head);
	if (bom) return { encoding: bom, reason: `${bom} byte order mark` };
	if (isValidUtf8(head, complete)) return { encoding: 'utf-8', reason: 'valid UTF-8' };
	const sample = complete ? head : head.subarray(0, Math.max(0, head.length - 4));
	const asUtf8 = sample.toString('utf8');
	let damaged = 0;
	let multiByte = 0;
	for (let index = 0; index < asUtf8.length; index++) {
		const code = asUtf8.charCodeAt(index);
		if (code === 0xfffd) damaged++;
		else if (code >= 0x80) multiByte++;
	}
	if (multiByte >= 20 * damaged) {
		return {
			encoding: 'utf-8',
			reason: `UTF-8 with ${damaged} invalid byte sequence(s) in the first chunk`,
		};
	}
	const candidates: Array<{ encoding: ResolvedEncoding; score: number; reason: string }> = [
		{
			encoding: 'shift_jis',
			score: japaneseScore(iconv.decode(sample, 'cp932')),
			reason: 'reads as Shift_JIS (CP932)',
		},
		{
			encoding: 'euc-jp',
			score: japaneseScore(iconv.decode(sample, 'euc-jp')),
			reason: 'reads as EUC-JP',
		},
		{ encoding: 'latin1', score: latin1Score(sample), reason: 'reads as Latin-1' },
	];
	let best = candidates[0];
	for (const candidate of candidates) if (candidate.score > best.score) best = candidate;
	return { encoding: best.encoding, reason: best.reason };
}

/** Decodes the head for sniffing the delimiter (a character cut at the end does not matter). */
export function decodeHead(head: Buffer, encoding: ResolvedEncoding): string {
	if (encoding === 'utf-8') {
		const text = head.toString('utf8');
		return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
	}
	return iconv.decode(head, codecName(encoding));
}

/**
 * A decoder stream for everything but UTF-8 (csv-parse reads UTF-8 bytes itself, which is faster
 * and strips the BOM). Invalid bytes become U+FFFD, which the importer reports per row.
 */
export function createDecoder(encoding: ResolvedEncoding): Transform | null {
	if (encoding === 'utf-8') return null;
	return iconv.decodeStream(codecName(encoding)) as unknown as Transform;
}

/** When the user chose an encoding, a hint if the first chunk clearly says otherwise. */
export function encodingMismatchHint(
	head: Buffer,
	complete: boolean,
	chosen: ResolvedEncoding,
): string | null {
	const sniffed = sniffEncoding(head, complete);
	if (sniffed.encoding === chosen) return null;
	if (
		chosen === 'utf-8' &&
		!isValidUtf8(bomEncoding(head) === 'utf-8' ? head.subarray(3) : head, complete)
	) {
		return (
			`The file is not valid UTF-8 (${sniffed.reason}); set the encoding to '${sniffed.encoding}' ` +
			"(or 'auto') if the invalid-bytes rejections are the whole file"
		);
	}
	if (chosen !== 'utf-8' && sniffed.encoding === 'utf-8' && head.some((byte) => byte >= 0x80)) {
		return `The file looks like UTF-8 but the encoding is set to '${chosen}'; set it to 'utf-8' (or 'auto').`;
	}
	return null;
}

/** The first lines (1-based) of `head` that are not valid UTF-8. */
export function invalidUtf8Lines(head: Buffer, complete: boolean, max = 10): number[] {
	const lines: number[] = [];
	let start = 0;
	for (let line = 1; start < head.length && lines.length < max; line++) {
		let end = head.indexOf(0x0a, start);
		const last = end < 0;
		if (last) end = head.length;
		if (!isValidUtf8(head.subarray(start, end), complete || !last)) lines.push(line);
		start = end + 1;
	}
	return lines;
}

/**
 * When the encoding was detected and the file is not UTF-8, says which lines are not and what
 * was assumed instead (a wrong guess would otherwise pass silently: any byte is valid Latin-1).
 */
export function invalidUtf8Warning(head: Buffer, complete: boolean, sniffed: SniffedEncoding): string | null {
	if (bomEncoding(head) || isValidUtf8(head, complete)) return null;
	const lines = invalidUtf8Lines(head, complete);
	const where = `${lines.length > 1 ? 'lines' : 'line'} ${lines.join(', ')}${lines.length >= 10 ? ', …' : ''}`;
	const names: Record<ResolvedEncoding, string> = {
		'utf-8': 'UTF-8',
		shift_jis: 'Shift_JIS (CP932)',
		'euc-jp': 'EUC-JP',
		latin1: 'Latin-1 (ISO-8859-1)',
		'windows-1252': 'Windows-1252',
		'utf-16le': 'UTF-16LE',
		'utf-16be': 'UTF-16BE',
	};
	if (sniffed.encoding === 'utf-8') {
		return (
			`The file is UTF-8 with invalid bytes on ${where} (of the first 64 KB); ` +
			'the rows with invalid bytes are rejected: fix those bytes, or set the encoding if the file is not UTF-8'
		);
	}
	return (
		`The file is not valid UTF-8 (invalid bytes on ${where}); it was read as ${names[sniffed.encoding]}, ` +
		'the closest fit to its content: set the encoding if that is wrong'
	);
}
