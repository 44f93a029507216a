import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_BATCH_SIZE, DEFAULT_REPORT_ROWS_IN_MEMORY } from '../../lib/import';
import { listLocator } from '../shared/locators';

/** Defaults of the URL source, in the units the UI shows. */
export const DEFAULT_URL_SIZE_LIMIT_MB = 200;
export const DEFAULT_URL_TIMEOUT_SECONDS = 30;
export const DEFAULT_URL_MAX_REDIRECTS = 5;
export const REPORT_BINARY_PROPERTY = 'report';

const showForBinary = { show: { source: ['binary'] } };
const showForUrl = { show: { source: ['url'] } };
const showForDefinedMapping = { show: { mappingMode: ['define'] } };

export const sourceProperties: INodeProperties[] = [
	{
		displayName: 'Source',
		name: 'source',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Binary Field',
				value: 'binary',
				description: 'A CSV file in a binary field of the input item (e.g. from Read/Write Files)',
			},
			{
				name: 'URL',
				value: 'url',
				description: 'Download the CSV file from an http(s) address',
			},
		],
		default: 'binary',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data',
		hint: 'The name of the input binary field containing the CSV file',
		displayOptions: showForBinary,
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. https://example.com/exports/subscribers.csv',
		description: 'Only http and https addresses are fetched; redirects must stay on http(s)',
		displayOptions: showForUrl,
	},
	{
		displayName: 'Download Options',
		name: 'urlOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showForUrl,
		options: [
			{
				displayName: 'Max Redirects',
				name: 'maxRedirects',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 20 },
				default: DEFAULT_URL_MAX_REDIRECTS,
				description: 'How many redirects to follow at most',
			},
			{
				displayName: 'Size Limit (MB)',
				name: 'sizeLimitMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_URL_SIZE_LIMIT_MB,
				description: 'The download stops with an error once it is bigger than this',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeoutSeconds',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_URL_TIMEOUT_SECONDS,
				description:
					'How long to wait for the server to answer, and at most between two pieces of the file',
			},
		],
	},
];

export const targetProperties: INodeProperties[] = [
	listLocator({
		displayName: 'Target List',
		name: 'list',
		required: true,
		description:
			'The list to import into: from the list, by its ID, or by its name (a new name with Options → Create List If Missing)',
	}),
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		options: [
			{
				name: 'Create Only',
				value: 'createOnly',
				description: 'Add new addresses; rows for addresses already on the list are skipped',
			},
			{
				name: 'Create or Update',
				value: 'upsert',
				description: 'Create a new record, or update the current one if it already exists (upsert)',
			},
			{
				name: 'Move Listed to Trash',
				value: 'trash',
				description: 'Move the listed addresses on the list to the trash',
			},
			{
				name: 'Suppress Listed',
				value: 'suppress',
				description:
					'Never mail the listed addresses again (e.g. a suppression list from a previous provider)',
			},
			{
				name: 'Unsubscribe Listed',
				value: 'unsubscribe',
				description: 'Unsubscribe the listed addresses from the list',
			},
			{
				name: 'Update Only',
				value: 'updateOnly',
				description: 'Update addresses already on the list; rows for other addresses are skipped',
			},
		],
		default: 'upsert',
	},
];

export const mappingProperties: INodeProperties[] = [
	{
		displayName: 'Column Mapping',
		name: 'mappingMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Auto-Map by Header',
				value: 'auto',
				description:
					'Find the e-mail and name columns by their headers (email, メールアドレス, name, 氏名…); every other column becomes a text custom field',
			},
			{
				name: 'Define Below',
				value: 'define',
				description: 'Choose the e-mail, name and custom field columns yourself',
			},
		],
		default: 'auto',
	},
	{
		displayName: 'E-Mail Column',
		name: 'emailColumn',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. email',
		description: 'The header of the e-mail column, or its number (1 = first column)',
		displayOptions: showForDefinedMapping,
	},
	{
		displayName: 'Name Column',
		name: 'nameColumn',
		type: 'string',
		default: '',
		placeholder: 'e.g. name',
		description: 'The header or number of the name column; leave empty for none',
		displayOptions: showForDefinedMapping,
	},
	{
		displayName: 'Field Columns',
		name: 'fieldColumns',
		type: 'fixedCollection',
		placeholder: 'Add Field Column',
		typeOptions: { multipleValues: true },
		default: {},
		displayOptions: showForDefinedMapping,
		options: [
			{
				displayName: 'Column',
				name: 'columns',
				values: [
					{
						displayName: 'Column',
						name: 'column',
						type: 'string',
						default: '',
						placeholder: 'e.g. birthday',
						description: 'The header of the column, or its number (1 = first column)',
					},
					{
						displayName: 'Custom Field Name',
						name: 'field',
						type: 'string',
						default: '',
						placeholder: 'e.g. birthday',
						description: 'The custom field to store the value in; empty means the column header',
					},
					{
						displayName: 'Type',
						name: 'type',
						type: 'options',
						options: [
							{
								name: 'Boolean',
								value: 'boolean',
								description: 'Yes/no, true/false, 1/0, はい/いいえ',
							},
							{ name: 'Date', value: 'date', description: 'Such as 2024-03-31 or 2024/3/31' },
							{ name: 'Number', value: 'number' },
							{ name: 'String', value: 'string' },
						],
						default: 'string',
						description: 'Values that do not fit the type reject their row with a clear reason',
					},
				],
			},
		],
	},
	{
		displayName: 'Other Columns',
		name: 'otherColumns',
		type: 'options',
		options: [
			{ name: 'Ignore', value: 'ignore' },
			{
				name: 'Store as Text Fields',
				value: 'fields',
				description: 'Each other column becomes a text custom field named by its header',
			},
		],
		default: 'ignore',
		description: 'What happens to the columns not mapped above',
		displayOptions: showForDefinedMapping,
	},
];

export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Batch Size',
			name: 'batchSize',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 50000 },
			default: DEFAULT_BATCH_SIZE,
			description:
				'Rows written per transaction. A failure keeps every committed batch; re-running the file is safe.',
		},
		{
			displayName: 'Confirm Consent to Reactivate',
			name: 'allowReactivate',
			type: 'boolean',
			default: false,
			description:
				'Whether addresses that unsubscribed, bounced, complained or were suppressed may become active again. Only turn this on when these people have opted in again.',
		},
		{
			displayName: 'Create List If Missing',
			name: 'createList',
			type: 'boolean',
			default: false,
			description: 'Whether to create the target list (by that name) when it does not exist',
		},
		{
			displayName: 'Custom Delimiter',
			name: 'customDelimiter',
			type: 'string',
			default: '',
			placeholder: 'e.g. ^',
			description: 'One character that separates the columns (used when Delimiter is Custom)',
			displayOptions: { show: { delimiter: ['custom'] } },
		},
		{
			displayName: 'Delimiter',
			name: 'delimiter',
			type: 'options',
			options: [
				{ name: 'Auto-Detect', value: 'auto' },
				{ name: 'Comma', value: ',' },
				{ name: 'Custom', value: 'custom' },
				{ name: 'Pipe', value: '|' },
				{ name: 'Semicolon', value: ';' },
				{ name: 'Tab', value: 'tab' },
			],
			default: 'auto',
			description: 'What separates the columns; auto-detect looks at the first lines',
		},
		{
			displayName: 'Dry Run',
			name: 'dryRun',
			type: 'boolean',
			default: false,
			description: 'Whether to only validate and count the rows, writing nothing',
		},
		{
			displayName: 'Encoding',
			name: 'encoding',
			type: 'options',
			options: [
				{
					name: 'Auto-Detect',
					value: 'auto',
					description: 'Byte-order mark, then UTF-8, then Shift_JIS or EUC-JP, else Latin-1',
				},
				{ name: 'EUC-JP', value: 'euc-jp' },
				{ name: 'Latin-1 (ISO-8859-1)', value: 'latin1' },
				{
					name: 'Shift_JIS (CP932)',
					value: 'shift_jis',
					description: 'What Japanese Excel writes',
				},
				{ name: 'UTF-16 LE', value: 'utf-16le', description: 'Excel "Unicode Text"' },
				{ name: 'UTF-8', value: 'utf-8' },
				{ name: 'UTF-8 With BOM', value: 'utf-8-bom' },
				{ name: 'Windows-1252', value: 'windows-1252' },
			],
			default: 'auto',
		},
		{
			displayName: 'Header Row',
			name: 'headerRow',
			type: 'boolean',
			default: true,
			description:
				'Whether the first row (after skipped lines) names the columns. Without one, map columns by number.',
		},
		{
			displayName: 'Max Rejected Rows to Output',
			name: 'maxRejectedRows',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_REPORT_ROWS_IN_MEMORY,
			description:
				'Rejected rows sent to the Rejected Rows output; the CSV report on the summary item has them all',
		},
		{
			displayName: 'Quote Character',
			name: 'quote',
			type: 'string',
			default: '"',
			description: 'The character around values that contain the delimiter; empty for none',
		},
		{
			displayName: 'Relax Column Count',
			name: 'relaxColumnCount',
			type: 'boolean',
			default: false,
			description:
				'Whether rows with more or fewer columns than the header are read anyway instead of rejected',
		},
		{
			displayName: 'Skip Lines',
			name: 'skipLines',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description: 'Lines to skip at the start of the file, before the header row',
		},
		{
			displayName: 'Trim Values',
			name: 'trim',
			type: 'boolean',
			default: true,
			description:
				'Whether to remove spaces (also full-width ones) around custom field values. E-mail addresses and names are always trimmed.',
		},
	],
};
