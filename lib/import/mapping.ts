import { EXPORT_COLUMNS, FIELD_COLUMN_PREFIX } from '../export';
import { describeDelimiter, otherDelimiterIn } from './dialect';
import { echo, echoList } from './messages';
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
	/** A `field:<name>` column of this package's own export (formula protection to undo). */
	exported?: boolean;
}

/** Where the columns of this package's own export are, when the file is one. */
export interface ExportColumns {
	statusIndex: number;
	/** The `fields` column: every custom field as one JSON object. */
	fieldsIndex: number;
}

export interface ColumnPlan {
	emailIndex: number;
	emailLabel: string;
	nameIndex: number;
	nameLabel: string;
	fields: FieldPlan[];
	/** Set when the header is that of this package's subscriber export. */
	exported: ExportColumns | null;
}

function columnLabel(header: string[] | null, index: number): string {
	const name = header?.[index];
	return name ? echo(name) : `column ${index + 1}`;
}

/** A header naming a column twice makes "which one?" unanswerable: refuse it, naming them. */
function assertUniqueHeaders(header: string[]): void {
	const columns = new Map<string, number[]>();
	header.forEach((name, index) => {
		const key = headerKey(name);
		if (!key) return; // blank headers (trailing empty columns) are numbered, not named
		const seen = columns.get(key);
		if (seen) seen.push(index + 1);
		else columns.set(key, [index + 1]);
	});
	const repeated = [...columns.values()].filter((indexes) => indexes.length > 1);
	if (!repeated.length) return;
	const described = repeated
		.slice(0, 10)
		.map((indexes) => `${echo(header[indexes[0] - 1])} (columns ${indexes.join(', ')})`);
	throw new ImportError(
		`The header names the same column more than once: ${described.join('; ')}. ` +
			'Rename or remove the repeated columns, or turn off "header row" and map the columns by number',
		'duplicate-column',
	);
}

const EXPORT_ONLY_COLUMNS = new Set<string>(EXPORT_COLUMNS.filter((name) => name !== 'email' && name !== 'name'));

/** The header of this package's export: every one of its columns, by its exact name. */
function exportColumns(header: string[]): ExportColumns | null {
	const names = header.map((name) => name.trim().toLowerCase());
	if (!EXPORT_COLUMNS.every((column) => names.includes(column))) return null;
	return { statusIndex: names.indexOf('status'), fieldsIndex: names.indexOf('fields') };
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
			`The ${role} column ${echo(String(ref))} is not in the file. Headers found: ${echoList(header)}` +
				delimiterHint(header, delimiter),
			'column-not-found',
		);
	}
	throw new ImportError(
		`The ${role} column ${echo(String(ref))} does not exist: without a header row, columns are ` +
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
	if (header) assertUniqueHeaders(header);
	const exported = header ? exportColumns(header) : null;
	const emailIndex = findEmailColumn(mapping, header, firstRecord, delimiter);
	const nameIndex = findNameColumn(mapping, header, columnCount, emailIndex, delimiter);
	const fields: FieldPlan[] = [];
	const used = new Set<number>([emailIndex, nameIndex]);
	const fieldNames = new Set<string>();
	const addField = (index: number, field: string, type: FieldType, fromExport = false) => {
		if (fieldNames.has(field)) {
			throw new ImportError(
				`Two columns map to the custom field ${echo(field)}; give one of them another field name`,
				'invalid-option',
			);
		}
		fieldNames.add(field);
		fields.push({ index, field, type, label: columnLabel(header, index), ...(fromExport ? { exported: true } : {}) });
	};
	for (const entry of mapping.fields ?? []) {
		const index = resolveColumn(entry.column, header, columnCount, 'field', delimiter);
		const type = entry.type ?? 'string';
		if (!['string', 'number', 'date', 'boolean'].includes(type)) {
			throw new ImportError(
				`Field type ${echo(String(type))} for column ${columnLabel(header, index)} is not one of string, number, date, boolean`,
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
	if (exported) addExportFieldColumns(header as string[], used, addField);
	const unmapped = mapping.unmappedColumns ?? (header ? 'fields' : 'ignore');
	if (unmapped === 'fields') {
		for (let index = 0; index < columnCount; index++) {
			if (used.has(index)) continue;
			// The export's own columns (id, list_id, status, counters, dates) are never custom fields.
			if (exported && EXPORT_ONLY_COLUMNS.has((header as string[])[index].trim().toLowerCase())) continue;
			const base = header?.[index]?.trim() || `column${index + 1}`;
			let field = base;
			for (let suffix = 2; fieldNames.has(field); suffix++) field = `${base}_${suffix}`;
			addField(index, field, 'string');
		}
	} else if (unmapped !== 'ignore') {
		throw new ImportError(
			`unmappedColumns must be 'fields' or 'ignore', got ${echo(String(unmapped))}`,
			'invalid-option',
		);
	}
	return {
		emailIndex,
		emailLabel: columnLabel(header, emailIndex),
		nameIndex,
		nameLabel: nameIndex >= 0 ? columnLabel(header, nameIndex) : '',
		fields,
		exported,
	};
}

/** The export's `field:<name>` columns feed the custom field they are named after. */
function addExportFieldColumns(
	header: string[],
	used: Set<number>,
	addField: (index: number, field: string, type: FieldType, fromExport: boolean) => void,
): void {
	header.forEach((name, index) => {
		const trimmed = name.trim();
		if (used.has(index) || !trimmed.startsWith(FIELD_COLUMN_PREFIX)) return;
		const field = trimmed.slice(FIELD_COLUMN_PREFIX.length).trim();
		if (!field) return;
		used.add(index);
		addField(index, field, 'string', true);
	});
}

/** The e-mail column: as mapped, else by header name, else (no header) by content. */
function findEmailColumn(
	mapping: ColumnMapping,
	header: string[] | null,
	firstRecord: string[],
	delimiter: string,
): number {
	const columnCount = header ? header.length : firstRecord.length;
	let emailIndex: number;
	if (mapping.emailColumn !== undefined && mapping.emailColumn !== '') {
		emailIndex = resolveColumn(mapping.emailColumn, header, columnCount, 'e-mail', delimiter);
	} else if (header) {
		emailIndex = header.findIndex((name) => EMAIL_HEADERS.has(headerKey(name)));
		if (emailIndex < 0) {
			throw new ImportError(
				`No e-mail column found. Headers found: ${echoList(header)}` +
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
					`e-mail address (${echoList(firstRecord)}). Set the e-mail column number in the mapping`,
				'no-email-column',
			);
		}
	}
	return emailIndex;
}

/** The name column: as mapped (null for none), else by header name; -1 when there is none. */
function findNameColumn(
	mapping: ColumnMapping,
	header: string[] | null,
	columnCount: number,
	emailIndex: number,
	delimiter: string,
): number {
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
	return nameIndex;
}
