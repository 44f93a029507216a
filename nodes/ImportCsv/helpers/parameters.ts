import type { Readable } from 'node:stream';
import {
	BINARY_ENCODING,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
} from 'n8n-workflow';
import {
	redactUrl,
	type ColumnMapping,
	type CsvOptions,
	type FieldMapping,
	type FieldType,
	type ImportMode,
	type ImportSource,
} from '../../../lib/import';
import {
	DEFAULT_URL_MAX_REDIRECTS,
	DEFAULT_URL_SIZE_LIMIT_MB,
	DEFAULT_URL_TIMEOUT_SECONDS,
} from '../description';
import { readLocator } from '../../shared/locators';

/** What one input item asks for, read from the node's parameters. */
export interface ItemParameters {
	source: ImportSource;
	/** How the source reads in the summary: the file name or the URL without credentials/query. */
	sourceLabel: string;
	/** A binary file's name without extension, for naming the report file. */
	baseName: string;
	/** Set for a binary field in n8n's filesystem mode: must be closed if the import never reads it. */
	stream?: Readable;
	list: string;
	createList: boolean;
	mode: ImportMode;
	allowReactivate: boolean;
	dryRun: boolean;
	csv: CsvOptions;
	mapping: ColumnMapping;
	batchSize?: number;
	maxBytes?: number;
	maxRejectedRows?: number;
}

const FIELD_TYPES: FieldType[] = ['string', 'number', 'date', 'boolean'];

function optionalNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	return Number(value);
}

/** The CSV file of a binary field: streamed from disk in filesystem mode, else the held Buffer. */
async function binarySource(
	ctx: IExecuteFunctions,
	itemIndex: number,
): Promise<Pick<ItemParameters, 'source' | 'sourceLabel' | 'baseName' | 'stream'>> {
	const propertyName = String(ctx.getNodeParameter('binaryPropertyName', itemIndex)).trim();
	const binaryData = ctx.helpers.assertBinaryData(itemIndex, propertyName);
	const fileName = binaryData.fileName;
	const name = fileName ? `the file '${fileName}'` : `the file in binary field '${propertyName}'`;
	const sourceLabel = fileName ?? `binary field '${propertyName}'`;
	const baseName = fileName ? fileName.replace(/\.[^.]*$/, '') || 'import' : 'import';
	if (binaryData.id) {
		const stream = await ctx.helpers.getBinaryStream(binaryData.id);
		return { source: { stream, name }, sourceLabel, baseName, stream };
	}
	return {
		source: { buffer: Buffer.from(binaryData.data, BINARY_ENCODING), name },
		sourceLabel,
		baseName,
	};
}

function urlSource(
	ctx: IExecuteFunctions,
	itemIndex: number,
): Pick<ItemParameters, 'source' | 'sourceLabel' | 'baseName' | 'maxBytes'> {
	const url = String(ctx.getNodeParameter('url', itemIndex)).trim();
	if (!url) {
		throw new NodeOperationError(
			ctx.getNode(),
			'No URL is given; enter the http(s) address of the CSV file',
			{
				itemIndex,
			},
		);
	}
	const options = ctx.getNodeParameter('urlOptions', itemIndex, {}) as IDataObject;
	const timeoutSeconds = Number(options.timeoutSeconds ?? DEFAULT_URL_TIMEOUT_SECONDS);
	const sizeLimitMb = Number(options.sizeLimitMb ?? DEFAULT_URL_SIZE_LIMIT_MB);
	const maxRedirects = Number(options.maxRedirects ?? DEFAULT_URL_MAX_REDIRECTS);
	if (!(timeoutSeconds > 0)) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The timeout must be more than 0 seconds, got ${timeoutSeconds}`,
			{
				itemIndex,
			},
		);
	}
	if (!(sizeLimitMb > 0)) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The size limit must be more than 0 MB, got ${sizeLimitMb}`,
			{
				itemIndex,
			},
		);
	}
	if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
		throw new NodeOperationError(
			ctx.getNode(),
			`Max redirects must be a whole number (0 or more), got ${maxRedirects}`,
			{ itemIndex },
		);
	}
	const timeoutMs = Math.round(timeoutSeconds * 1000);
	const label = redactUrl(url);
	const lastSegment = label.split('/').pop()?.replace(/\?.*$/, '') ?? '';
	return {
		source: { url, http: { timeoutMs, idleTimeoutMs: timeoutMs, maxRedirects } },
		sourceLabel: label,
		baseName: lastSegment.replace(/\.[^.]*$/, '') || 'import',
		maxBytes: Math.round(sizeLimitMb * 1024 * 1024),
	};
}

function delimiterFrom(ctx: IExecuteFunctions, itemIndex: number, options: IDataObject): string {
	const delimiter = String(options.delimiter ?? 'auto');
	if (delimiter !== 'custom') return delimiter;
	const custom = String(options.customDelimiter ?? '');
	if (custom.length !== 1) {
		throw new NodeOperationError(
			ctx.getNode(),
			custom
				? `The custom delimiter must be one character, got ${JSON.stringify(custom)}`
				: 'The delimiter is set to Custom but no custom delimiter is given; enter one character',
			{ itemIndex },
		);
	}
	return custom;
}

function mappingFrom(ctx: IExecuteFunctions, itemIndex: number): ColumnMapping {
	const mappingMode = ctx.getNodeParameter('mappingMode', itemIndex) as string;
	if (mappingMode !== 'define') return {};
	const emailColumn = String(ctx.getNodeParameter('emailColumn', itemIndex, '')).trim();
	if (!emailColumn) {
		throw new NodeOperationError(
			ctx.getNode(),
			'No e-mail column is given; enter its header (e.g. email) or its number (1 = first column)',
			{ itemIndex },
		);
	}
	const nameColumn = String(ctx.getNodeParameter('nameColumn', itemIndex, '')).trim();
	const fieldColumns = ctx.getNodeParameter('fieldColumns', itemIndex, {}) as {
		columns?: Array<{ column?: string; field?: string; type?: string }>;
	};
	const fields: FieldMapping[] = (fieldColumns.columns ?? []).map((entry, position) => {
		const column = String(entry.column ?? '').trim();
		if (!column) {
			throw new NodeOperationError(
				ctx.getNode(),
				`Field column ${position + 1} has no column; enter its header or number`,
				{ itemIndex },
			);
		}
		const type = (entry.type ?? 'string') as FieldType;
		if (!FIELD_TYPES.includes(type)) {
			throw new NodeOperationError(
				ctx.getNode(),
				`Field column '${column}' has the type '${type}'; use one of ${FIELD_TYPES.join(', ')}`,
				{ itemIndex },
			);
		}
		const field = String(entry.field ?? '').trim();
		return { column, type, ...(field ? { field } : {}) };
	});
	return {
		emailColumn,
		// Explicit mapping: an empty name column means none, not "guess one".
		nameColumn: nameColumn || null,
		fields,
		unmappedColumns: ctx.getNodeParameter('otherColumns', itemIndex, 'ignore') as
			'ignore' | 'fields',
	};
}

/** Reads every parameter for one item and opens its source (a binary stream is opened lazily). */
export async function readItemParameters(
	ctx: IExecuteFunctions,
	itemIndex: number,
): Promise<ItemParameters> {
	const list = readLocator(ctx, 'list', itemIndex);
	if (!list) {
		throw new NodeOperationError(
			ctx.getNode(),
			'No target list is given; pick a list or enter its name or ID',
			{
				itemIndex,
			},
		);
	}
	const mode = ctx.getNodeParameter('mode', itemIndex) as ImportMode;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const mapping = mappingFrom(ctx, itemIndex);
	const csv: CsvOptions = {
		encoding: String(options.encoding ?? 'auto'),
		delimiter: delimiterFrom(ctx, itemIndex, options),
		quote: options.quote === undefined ? '"' : String(options.quote),
		header: options.headerRow !== false,
		skipLines: optionalNumber(options.skipLines) ?? 0,
		relaxColumnCount: options.relaxColumnCount === true,
		trim: options.trim !== false,
	};
	const common = {
		list,
		createList: options.createList === true,
		mode,
		allowReactivate: options.allowReactivate === true,
		dryRun: options.dryRun === true,
		csv,
		mapping,
		batchSize: optionalNumber(options.batchSize),
		maxRejectedRows: optionalNumber(options.maxRejectedRows),
	};
	// The source last: a binary stream is a file handle that must not leak on a parameter error.
	const source = ctx.getNodeParameter('source', itemIndex) as string;
	if (source === 'url') return { ...common, ...urlSource(ctx, itemIndex) };
	return {
		...common,
		// A file already inside n8n is not size-limited (the download limit is for URLs).
		maxBytes: Number.MAX_SAFE_INTEGER,
		...(await binarySource(ctx, itemIndex)),
	};
}
