/** Subscriber export as CSV (streamed page by page), with spreadsheet formula protection. */
export {
	EXPORT_COLUMNS,
	FIELD_COLUMN_PREFIX,
	cellText,
	exportSubscribersCsv,
	neutraliseFormula,
	restoreFormula,
	type CsvExportOptions,
} from './csvExport';
