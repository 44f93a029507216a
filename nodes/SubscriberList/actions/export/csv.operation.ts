/** Export → Export as CSV: the subscribers matching the filters, streamed into a binary field. */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { exportSubscribersCsv } from '../../../../lib/export';
import { showFor } from '../../../shared/nodeHelpers';
import { filterFromParameters, filtersField, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'The name of the output binary field to put the file in',
		displayOptions: showFor('export', ['csv']),
	},
	{
		displayName: 'Options',
		name: 'exportOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('export', ['csv']),
		options: [
			{
				displayName: 'Custom Field Columns',
				name: 'fieldColumns',
				type: 'string',
				default: '',
				placeholder: 'e.g. city, plan',
				description: 'Comma-separated custom fields to give their own column',
			},
			{
				displayName: 'Excel-Friendly (BOM)',
				name: 'bom',
				type: 'boolean',
				default: true,
				description: 'Whether to start the file with a UTF-8 byte-order mark so Excel shows non-Latin text correctly',
			},
			{
				displayName: 'File Name',
				name: 'fileName',
				type: 'string',
				default: 'subscribers.csv',
			},
		],
	},
	filtersField('export', 'csv'),
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const filter = await filterFromParameters(op);
	const options = op.ctx.getNodeParameter('exportOptions', op.itemIndex, {}) as IDataObject;
	const property = op.ctx.getNodeParameter('binaryPropertyName', op.itemIndex, 'data') as string;
	const fileName = String(options.fileName || 'subscribers.csv');
	// Counted as written: a separate count query could see rows that arrived after the file's read.
	let rows = 0;
	const stream = exportSubscribersCsv(op.store, filter, {
		fieldColumns: String(options.fieldColumns ?? '').split(','),
		bom: options.bom !== false,
		onRecord: () => {
			rows += 1;
		},
	});
	// prepareBinaryData consumes the stream (to disk in n8n's filesystem binary mode).
	const binary = await op.ctx.helpers.prepareBinaryData(stream, fileName, 'text/csv');
	return { json: { fileName, rows }, binary: { [property]: binary } as unknown as IDataObject };
}
