import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';
import { backupStore, DEFAULT_GENERATIONS, eraseList, MAX_GENERATIONS, portableCsv, portableFiles } from '../../../lib/ops';
import { listParameter, requireList, showFor, toJson, type OperationHandler } from './common';

export const storeOperations: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['store'] } },
	options: [
		{
			name: 'Back Up',
			value: 'backup',
			action: 'Back up the store',
			description: 'Take an online backup of the SQLite store file and keep the newest ones (PostgreSQL: use pg_dump)',
		},
		{
			name: 'Erase List Entirely',
			value: 'eraseList',
			action: 'Erase a list entirely',
			description: 'Erase every subscriber of a list for good (only suppression hashes stay), then delete the list',
		},
		{
			name: 'Export Everything',
			value: 'exportAll',
			action: 'Export everything as CSV files',
			description: 'Lists, subscribers (all statuses), suppressions, audit log, campaigns and send log, one CSV file each',
		},
	],
	default: 'backup',
};

export const storeFields: INodeProperties[] = [
	{
		displayName: 'Backups to Keep',
		name: 'keepBackups',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_GENERATIONS },
		default: DEFAULT_GENERATIONS,
		description: 'How many backups of this store to keep in the backups folder; older ones are deleted',
		displayOptions: showFor('store', ['backup']),
	},
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
	{
		displayName:
			'Every subscriber of the list is erased for good: names, addresses and custom fields are removed, only a hash stays so the addresses are never mailed again. The list is then deleted.',
		name: 'eraseNotice',
		type: 'notice',
		default: '',
		displayOptions: showFor('store', ['eraseList']),
	},
	listParameter('store', ['eraseList'], 'The list to erase, by its name or its numeric ID'),
	{
		displayName: 'I Understand This Cannot Be Undone',
		name: 'confirmErase',
		type: 'boolean',
		required: true,
		default: false,
		description: 'Whether you confirm that the list and its subscribers’ personal data are to be erased for good',
		displayOptions: showFor('store', ['eraseList']),
	},
	{
		displayName: 'Options',
		name: 'eraseOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('store', ['eraseList']),
		options: [
			{
				displayName: 'Compact Store File',
				name: 'compact',
				type: 'boolean',
				default: false,
				description:
					'Whether to rebuild the SQLite file afterwards (VACUUM) so it also shrinks; rewrites the whole file and blocks other work meanwhile. Ignored on PostgreSQL.',
			},
		],
	},
];

export const storeHandlers: Record<string, OperationHandler> = {
	async backup(op) {
		const keep = op.ctx.getNodeParameter('keepBackups', op.itemIndex, DEFAULT_GENERATIONS) as number;
		return toJson(await backupStore(op.store, { keep }));
	},
	async exportAll(op) {
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
	},
	async eraseList(op) {
		if (op.ctx.getNodeParameter('confirmErase', op.itemIndex, false) !== true) {
			throw new NodeOperationError(
				op.ctx.getNode(),
				'Erasing a list cannot be undone: turn on "I Understand This Cannot Be Undone" to go ahead',
				{ itemIndex: op.itemIndex },
			);
		}
		const list = await requireList(op);
		const options = op.ctx.getNodeParameter('eraseOptions', op.itemIndex, {}) as IDataObject;
		return toJson(await eraseList(op.store, list.id, op.actor, { compact: options.compact === true }));
	},
};
