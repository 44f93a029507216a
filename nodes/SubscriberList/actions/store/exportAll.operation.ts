/** Store → Export Everything: one CSV file per table, one item per file. */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { portableCsv, portableFiles } from '../../../../lib/ops';
import { showFor } from '../../../shared/nodeHelpers';
import type { OperationContext, OperationResult } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Put Output Files in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'The name of the output binary field to put each file in (one item per file)',
		displayOptions: showFor('store', ['exportAll']),
	},
	{
		displayName: 'Options',
		name: 'exportAllOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('store', ['exportAll']),
		options: [
			{
				displayName: 'Excel-Friendly (BOM)',
				name: 'bom',
				type: 'boolean',
				default: true,
				description: 'Whether to start each file with a UTF-8 byte-order mark so Excel shows non-Latin text correctly',
			},
			{
				displayName: 'File Name Prefix',
				name: 'fileNamePrefix',
				type: 'string',
				default: '',
				placeholder: 'e.g. acme-2026-11-',
				description: 'Text put before every file name (subscribers.csv, lists.csv, …)',
			},
		],
	},
];

export async function execute(op: OperationContext): Promise<OperationResult> {
	const options = op.ctx.getNodeParameter('exportAllOptions', op.itemIndex, {}) as IDataObject;
	const property = op.ctx.getNodeParameter('binaryPropertyName', op.itemIndex, 'data') as string;
	const csvOptions = { bom: options.bom !== false, fileNamePrefix: String(options.fileNamePrefix ?? '') };
	const items: IDataObject[] = [];
	// One file at a time: prepareBinaryData consumes each stream (to disk in filesystem mode).
	for (const file of await portableFiles(op.store, csvOptions)) {
		const csv = await portableCsv(op.store, file.table, csvOptions);
		const binary = await op.ctx.helpers.prepareBinaryData(csv.stream, file.fileName, 'text/csv');
		items.push({
			json: { table: file.table, fileName: file.fileName, rows: csv.rows(), description: file.description },
			binary: { [property]: binary } as unknown as IDataObject,
		});
	}
	return items;
}
