/**
 * Generates subscriber CSV files for the import benchmark: 6 columns
 * (email, name, company, city, age, joined), UTF-8 or Shift_JIS (CP932, CRLF, as Japanese Excel
 * writes it). Streams to disk, so a million rows cost no memory.
 *
 *   node --import tsx bench/gen-csv.ts <out.csv> <rows> [utf8|sjis]
 */
import iconv from 'iconv-lite';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

export type GeneratedEncoding = 'utf8' | 'sjis';

const FAMILY = [
	'佐藤',
	'鈴木',
	'高橋',
	'田中',
	'伊藤',
	'渡辺',
	'山本',
	'中村',
	'小林',
	'加藤',
	'髙橋',
	'﨑山',
];
const GIVEN = ['太郎', '花子', '一郎', '美咲', '翔太', '陽菜', '大輔', 'さくら', 'ケンジ', '由美'];
const CITIES_JA = [
	'東京都千代田区',
	'大阪府大阪市',
	'愛知県名古屋市',
	'福岡県福岡市',
	'北海道札幌市',
	'京都府京都市',
];
const CITIES = ['Tokyo', 'Osaka', 'Berlin', 'Paris', 'New York', 'São Paulo', 'Zürich', 'Oslo'];

function row(index: number, japanese: boolean): string {
	const email = `user${index}@example${index % 97}.com`;
	const name = japanese
		? `${FAMILY[index % FAMILY.length]} ${GIVEN[index % GIVEN.length]}`
		: `User ${index}`;
	const company = japanese ? `株式会社サンプル${index % 5000}` : `"Company ${index % 5000}, Inc."`;
	const city = japanese ? CITIES_JA[index % CITIES_JA.length] : CITIES[index % CITIES.length];
	const age = 18 + (index % 60);
	const joined = `20${10 + (index % 15)}-${String(1 + (index % 12)).padStart(2, '0')}-${String(1 + (index % 28)).padStart(2, '0')}`;
	return `${email},${name},${company},${city},${age},${joined}`;
}

export async function generateCsv(
	file: string,
	rows: number,
	encoding: GeneratedEncoding = 'utf8',
): Promise<void> {
	mkdirSync(path.dirname(file), { recursive: true });
	const out = createWriteStream(file);
	const japanese = encoding === 'sjis';
	const newline = japanese ? '\r\n' : '\n';
	const header =
		(japanese
			? 'メールアドレス,氏名,会社,住所,年齢,登録日'
			: 'email,name,company,city,age,joined') + newline;
	const encode = (text: string) =>
		japanese ? iconv.encode(text, 'cp932') : Buffer.from(text, 'utf8');
	out.write(encode(header));
	for (let start = 0; start < rows; start += 5000) {
		let text = '';
		for (let index = start; index < Math.min(rows, start + 5000); index++)
			text += row(index, japanese) + newline;
		if (!out.write(encode(text))) await once(out, 'drain');
	}
	out.end();
	await once(out, 'close');
}

// (Checked by script name too: bundled into the import benchmark, this is not the entry point.)
if (require.main === module && /gen-csv\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
	const [file, rows, encoding] = process.argv.slice(2);
	if (!file || !Number(rows)) {
		console.error('usage: gen-csv.ts <out.csv> <rows> [utf8|sjis]');
		process.exit(2);
	}
	generateCsv(file, Number(rows), (encoding as GeneratedEncoding) ?? 'utf8').catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
