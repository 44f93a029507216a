import { cellText, restoreFormula } from '../export';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../store';
import type { ColumnPlan, ExportColumns } from './mapping';
import { echo, invalidBytes } from './messages';
import { convertValue, isValidEmail, MAX_NAME_LENGTH } from './values';
import type { PendingRow } from './writer';

export interface RowRules {
	/** Status modes only need the address. */
	addressOnly: boolean;
	/** Trim custom-field values (addresses and names are always trimmed). */
	trimValues: boolean;
	/** The encoding as messages name it, and whether it was detected (for the invalid-bytes hint). */
	encodingName: string;
	sniffedEncoding: boolean;
}

/** Why a row is refused (a checked row is the PendingRow itself: no wrapper per row). */
export interface Refusal {
	email: string;
	reason: string;
}

const REPLACEMENT = '\uFFFD';

/**
 * The map and validate steps for one record: the address, the name and the custom fields by the
 * column plan, each checked; a row of this package's own export also gets its status and its
 * `fields` JSON back, with the export's formula protection undone.
 */
export class RowChecker {
	constructor(
		private readonly plan: ColumnPlan,
		private readonly rules: RowRules,
	) {}

	check(record: string[], line: number, checkNul: boolean): PendingRow | Refusal {
		const { plan } = this;
		const email = (record[plan.emailIndex] ?? '').trim();
		const refuse = (reason: string): Refusal => ({ email, reason });
		if (checkNul && record.some((value) => value.includes('\u0000'))) {
			return refuse('the line contains a NUL byte (0x00), which no CSV text has: the line is damaged');
		}
		if (email.includes(REPLACEMENT)) return refuse(this.invalidBytes(line, plan.emailLabel));
		if (!email) return refuse(`the e-mail address is empty (column ${plan.emailLabel})`);
		if (!isValidEmail(email)) {
			return refuse(`${echo(email)} is not a valid e-mail address (column ${plan.emailLabel})`);
		}
		const row: PendingRow = { line, email, name: undefined, fields: undefined, record };
		if (this.rules.addressOnly) return row;
		const problem = this.readName(record, line, row) ?? this.readFields(record, line, row);
		return problem ? refuse(problem) : row;
	}

	private invalidBytes(line: number, column: string): string {
		return invalidBytes(this.rules.encodingName, line, column, this.rules.sniffedEncoding);
	}

	/** Sets `row.name`, or says why the name is refused. */
	private readName(record: string[], line: number, row: PendingRow): string | null {
		const { plan } = this;
		if (plan.nameIndex < 0) return null;
		let value = (record[plan.nameIndex] ?? '').trim();
		if (!value) return null;
		if (plan.exported) value = restoreFormula(value);
		if (value.includes(REPLACEMENT)) return this.invalidBytes(line, plan.nameLabel);
		if (value.length > MAX_NAME_LENGTH) {
			return `the name is longer than ${MAX_NAME_LENGTH} characters (column ${plan.nameLabel})`;
		}
		row.name = value;
		return null;
	}

	/** Sets `row.fields` (and, for an export, `row.status`), or says why the row is refused. */
	private readFields(record: string[], line: number, row: PendingRow): string | null {
		const { plan } = this;
		let exportedFields: Record<string, unknown> | undefined;
		if (plan.exported) {
			const read = readExportColumns(record, plan.exported);
			if (typeof read === 'string') return read;
			row.status = read.status;
			exportedFields = read.fields;
			if (exportedFields && Object.keys(exportedFields).length) row.fields = { ...exportedFields };
		}
		for (const field of plan.fields) {
			const cell = record[field.index];
			let value = cell === undefined ? '' : this.rules.trimValues ? cell.trim() : cell;
			// A blank cell means "leave this field as it is".
			if (value === '') continue;
			if (value.includes(REPLACEMENT)) return this.invalidBytes(line, field.label);
			if (field.exported) {
				value = restoreFormula(value);
				// The export writes each field twice: typed in the JSON, as text in its own column.
				// Only a column edited since keeps its text.
				if (exportedFields && field.field in exportedFields && cellText(exportedFields[field.field]) === value) continue;
			}
			const converted = convertValue(value, field.type);
			if (!converted.ok) {
				const where =
					field.label === echo(field.field)
						? `column ${field.label}`
						: `column ${field.label} (field ${echo(field.field)})`;
				return `${where}: ${converted.message}`;
			}
			(row.fields ??= {})[field.field] = converted.value;
		}
		return null;
	}
}

const STATUSES = new Set<string>(SUBSCRIBER_STATUSES);

/**
 * The status and `fields` JSON of an export row. Active is no status at all (an import never
 * makes anyone active: only the consent override does); the store applies the others only when
 * they are stricter than the stored status.
 */
function readExportColumns(
	record: string[],
	columns: ExportColumns,
): string | { status: SubscriberStatus | undefined; fields: Record<string, unknown> | undefined } {
	const statusText = (record[columns.statusIndex] ?? '').trim().toLowerCase();
	if (statusText && !STATUSES.has(statusText)) {
		return `column 'status': ${echo(statusText)} is not a subscriber status (one of ${SUBSCRIBER_STATUSES.join(', ')})`;
	}
	const status = statusText && statusText !== 'active' ? (statusText as SubscriberStatus) : undefined;
	const fieldsText = (record[columns.fieldsIndex] ?? '').trim();
	if (!fieldsText) return { status, fields: undefined };
	let fields: unknown;
	try {
		fields = JSON.parse(fieldsText);
	} catch {
		fields = null;
	}
	if (!fields || typeof fields !== 'object' || Array.isArray(fields)) {
		return `column 'fields': ${echo(fieldsText)} is not a JSON object of custom fields (as the export writes it)`;
	}
	return { status, fields: fields as Record<string, unknown> };
}
