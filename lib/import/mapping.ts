import { describeDelimiter, otherDelimiterIn } from './dialect';
import { ImportError, type ColumnMapping, type ColumnRef, type FieldType } from './types';
import { isValidEmail } from './values';

/** Header spellings (after `headerKey`) recognised as the e-mail and name columns. */
const EMAIL_HEADERS = new Set([
	'email',
	'mail',
	'emailaddress',
	'mailaddress',
	'emailaddr',
	'mailaddr',
	'eメール',
	'eメールアドレス',
	'メール',
	'メールアドレス',
	'メアド',
	'pcメールアドレス',
	'電子メール',
	'電子メールアドレス',
	'correo',
	'correoelectronico',
	'courriel',
]);

const NAME_HEADERS = new Set([
	'name',
	'fullname',
	'displayname',
	'名前',
	'お名前',
	'氏名',
	'なまえ',
	'フルネーム',
	'表示名',
	'nom',
	'nombre',
]);

/** Case-, width- and punctuation-insensitive form of a header: 'E-Mail ' → 'email', 'ＭＡＩＬ' → 'mail'. */
export function headerKey(header: string): string {
	return header
		.normalize('NFKC')
		.trim()
		.toLowerCase()
		.replace(/[\s_\-.・:：()（）]/g, '');
}

export interface FieldPlan {
	index: number;
	field: string;
	type: FieldType;
	/** How the column reads in messages: `'birthday'` or `column 4`. */
	label: string;
}

export interface ColumnPlan {
	emailIndex: number;
	emailLabel: string;
	nameIndex: number;
	nameLabel: string;
	fields: FieldPlan[];
}

function quoteList(names: string[]): string {
	const shown = names.slice(0, 30).map((name) => `'${name}'`);
	return shown.join(', ') + (names.length > 30 ? `, … (${names.length} columns)` : '');
}

function columnLabel(header: string[] | null, index: number): string {
	const name = header?.[index];
	return name ? `'${name}'` : `column ${index + 1}`;
}

/**
 * Finds a column by header name (compared like `headerKey`) or 1-based number; throws naming the
 * headers found when it does not exist.
 */
function resolveColumn(
	ref: ColumnRef,
	header: string[] | null,
	columnCount: number,
	role: string,
	delimiter: string,
): number {
	if (typeof ref === 'string' && header) {
		const wanted = headerKey(ref);
		const index = header.findIndex((name) => headerKey(name) === wanted);
		if (index >= 0) return index;
	}
	const number = typeof ref === 'number' ? ref : /^\s*\d+\s*$/.test(ref) ? Number(ref) : NaN;
	if (Number.isInteger(number) && number >= 1 && number <= columnCount) return number - 1;
	if (header) {
		throw new ImportError(
			`The ${role} column '${String(ref)}' is not in the file. Headers found: ${quoteList(header)}` +
				delimiterHint(header, delimiter),
			'column-not-found',
		);
	}
	throw new ImportError(
		`The ${role} column ${JSON.stringify(ref)} does not exist: without a header row, columns are ` +
			`numbered 1 to ${columnCount}`,
		'column-not-found',
	);
}

function delimiterHint(header: string[], delimiter: string): string {
	const other = otherDelimiterIn(header, delimiter);
	return other
		? `. The header is one column containing ${describeDelimiter(other)}: the file is probably separated by ` +
				`${describeDelimiter(other)}, not ${describeDelimiter(delimiter)} (set the delimiter to ${describeDelimiter(other)} or 'auto')`
		: '';
}

/**
 * Works out which column feeds the e-mail, the name and each custom field, from the header row
 * (or, without one, from the first data record). Fails fast when there is no e-mail column.
 */
export function planColumns(
	mapping: ColumnMapping,
	header: string[] | null,
	firstRecord: string[],
	delimiter: string,
): ColumnPlan {
	const columnCount = header ? header.length : firstRecord.length;
	let emailIndex: number;
	if (mapping.emailColumn !== undefined && mapping.emailColumn !== '') {
		emailIndex = resolveColumn(mapping.emailColumn, header, columnCount, 'e-mail', delimiter);
	} else if (header) {
		emailIndex = header.findIndex((name) => EMAIL_HEADERS.has(headerKey(name)));
		if (emailIndex < 0) {
			throw new ImportError(
				`No e-mail column found. Headers found: ${quoteList(header)}` +
					(delimiterHint(header, delimiter) ||
						'. Name the column "email" (or メールアドレス), or set the e-mail column in the mapping'),
				'no-email-column',
			);
		}
	} else {
		emailIndex = firstRecord.findIndex((value) => isValidEmail(value.trim()));
		if (emailIndex < 0) {
			throw new ImportError(
				'No e-mail column found: the file has no header row and no value of the first record is an ' +
					`e-mail address (${quoteList(firstRecord)}). Set the e-mail column number in the mapping`,
				'no-email-column',
			);
		}
	}

	let nameIndex = -1;
	if (
		mapping.nameColumn !== undefined &&
		mapping.nameColumn !== null &&
		mapping.nameColumn !== ''
	) {
		nameIndex = resolveColumn(mapping.nameColumn, header, columnCount, 'name', delimiter);
	} else if (mapping.nameColumn === undefined && header) {
		nameIndex = header.findIndex(
			(name, index) => index !== emailIndex && NAME_HEADERS.has(headerKey(name)),
		);
	}

	if (nameIndex >= 0 && nameIndex === emailIndex) {
		throw new ImportError(
			`Column ${columnLabel(header, nameIndex)} is the e-mail column; choose another name column`,
			'invalid-option',
		);
	}

	const fields: FieldPlan[] = [];
	const used = new Set<number>([emailIndex, nameIndex]);
	const fieldNames = new Set<string>();
	const addField = (index: number, field: string, type: FieldType) => {
		if (fieldNames.has(field)) {
			throw new ImportError(
				`Two columns map to the custom field '${field}'; give one of them another field name`,
				'invalid-option',
			);
		}
		fieldNames.add(field);
		fields.push({ index, field, type, label: columnLabel(header, index) });
	};
	for (const entry of mapping.fields ?? []) {
		const index = resolveColumn(entry.column, header, columnCount, 'field', delimiter);
		const type = entry.type ?? 'string';
		if (!['string', 'number', 'date', 'boolean'].includes(type)) {
			throw new ImportError(
				`Field type '${String(type)}' for column ${columnLabel(header, index)} is not one of string, number, date, boolean`,
				'invalid-option',
			);
		}
		if (index === emailIndex) {
			throw new ImportError(
				`Column ${columnLabel(header, index)} is the e-mail column; it cannot also be a field`,
				'invalid-option',
			);
		}
		const field = (entry.field ?? header?.[index] ?? `column${index + 1}`).trim();
		if (!field)
			throw new ImportError(
				`Column ${index + 1} has no header: give its field a name`,
				'invalid-option',
			);
		used.add(index);
		addField(index, field, type);
	}
	const unmapped = mapping.unmappedColumns ?? (header ? 'fields' : 'ignore');
	if (unmapped === 'fields') {
		for (let index = 0; index < columnCount; index++) {
			if (used.has(index)) continue;
			const base = header?.[index]?.trim() || `column${index + 1}`;
			let field = base;
			for (let suffix = 2; fieldNames.has(field); suffix++) field = `${base}_${suffix}`;
			addField(index, field, 'string');
		}
	} else if (unmapped !== 'ignore') {
		throw new ImportError(
			`unmappedColumns must be 'fields' or 'ignore', got '${String(unmapped)}'`,
			'invalid-option',
		);
	}
	return {
		emailIndex,
		emailLabel: columnLabel(header, emailIndex),
		nameIndex,
		nameLabel: nameIndex >= 0 ? columnLabel(header, nameIndex) : '',
		fields,
	};
}
