/**
 * ISO-2022-JP (RFC 1468) for legacy Japanese mail clients, built on iconv-lite's EUC-JP table:
 * a JIS X 0208 character is EUC-JP's two bytes with the high bit cleared, between
 * `ESC $ B` and `ESC ( B`. Half-width katakana become full-width (ISO-2022-JP has none).
 * Returns null when the text holds a character ISO-2022-JP cannot carry (emoji, JIS X 0212,
 * vendor extensions), so the caller can keep UTF-8 instead of losing characters.
 */
import iconv from 'iconv-lite';

const ESC_JIS = [0x1b, 0x24, 0x42];
const ESC_ASCII = [0x1b, 0x28, 0x42];
const HALF_WIDTH_KANA = /[\uff61-\uff9f]+/g;

export function encodeIso2022Jp(text: string): Buffer | null {
	const normalised = text.replace(HALF_WIDTH_KANA, (kana) => kana.normalize('NFKC'));
	const euc = iconv.encode(normalised, 'euc-jp');
	if (iconv.decode(euc, 'euc-jp') !== normalised) return null; // a '?' stood in for something
	const out: number[] = [];
	let jis = false;
	for (let i = 0; i < euc.length; i++) {
		const byte = euc[i];
		if (byte < 0x80) {
			if (byte === 0x1b || byte === 0x0e || byte === 0x0f) return null; // no raw escapes
			if (jis) {
				out.push(...ESC_ASCII);
				jis = false;
			}
			out.push(byte);
		} else if (byte >= 0xa1 && byte <= 0xf4 && i + 1 < euc.length) {
			// Rows 1–84: JIS X 0208 (with the NEC row 13 symbols most decoders accept).
			if (!jis) {
				out.push(...ESC_JIS);
				jis = true;
			}
			out.push(byte & 0x7f, euc[++i] & 0x7f);
		} else {
			return null; // 0x8E kana, 0x8F JIS X 0212, rows 85+ (IBM extensions)
		}
	}
	if (jis) out.push(...ESC_ASCII);
	return Buffer.from(out);
}

/** Encoded-words for a header value, each a complete ISO-2022-JP run of ≤ 75 characters. */
export function encodeIso2022JpHeader(text: string): string | null {
	if (!/[^\x20-\x7e]/.test(text)) return text;
	const words: string[] = [];
	let chunk = '';
	const flush = (): boolean => {
		if (!chunk) return true;
		const encoded = encodeIso2022Jp(chunk);
		if (!encoded) return false;
		words.push(`=?ISO-2022-JP?B?${encoded.toString('base64')}?=`);
		chunk = '';
		return true;
	};
	for (const char of text) {
		const candidate = encodeIso2022Jp(chunk + char);
		if (!candidate) return null;
		// 16 + 2 characters of framing; base64 of 42 bytes is 56 characters.
		if (candidate.length > 42 && chunk) {
			if (!flush()) return null;
			chunk = char;
		} else {
			chunk += char;
		}
	}
	if (!flush()) return null;
	return words.join(' ');
}
