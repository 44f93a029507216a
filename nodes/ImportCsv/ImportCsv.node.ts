import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { ImportError, importCsv, type ImportResult } from '../../lib/import';
import { errorItem, itemError, itemLabel } from '../shared/nodeHelpers';
import { actorFor, openNodeStore } from '../shared/storeCredential';
import {
	REPORT_BINARY_PROPERTY,
	mappingProperties,
	optionsProperty,
	sourceProperties,
	targetProperties,
} from './description';
import {
	failureDescription,
	rejectedItems,
	removeReport,
	reportBinary,
	summaryJson,
} from './helpers/output';
import { readItemParameters, type ItemParameters } from './helpers/parameters';
import { credentialTest, listSearch } from './methods';

/**
 * Import CSV: a thin adapter over lib/import. Each input item imports one CSV file (a binary
 * field, streamed, or an http(s) URL) into a list. Output 1 gets one summary item per input item
 * (with the full rejected-rows report as a CSV binary when rows were rejected); output 2 gets the
 * rejected rows themselves, up to a cap.
 */
export class ImportCsv implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Import CSV',
		name: 'importCsv',
		icon: { light: 'file:importCsv.svg', dark: 'file:importCsv.dark.svg' },
		group: ['transform'],
		version: 1,
		// No dangling arrow on the canvas while the list is still empty.
		// The list is a picker value ({ value, cachedResultName }) or, in older workflows, a plain string.
		subtitle:
			'={{ $parameter["mode"] + (($parameter["list"].cachedResultName || $parameter["list"].value || (typeof $parameter["list"] === "string" && $parameter["list"])) ? " → " + ($parameter["list"].cachedResultName || $parameter["list"].value || $parameter["list"]) : "") }}',
		description:
			'Stream a subscriber CSV file (any size, UTF-8 or Shift_JIS) into a list, with a per-line report of rejected rows',
		defaults: { name: 'Import CSV' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Summary', 'Rejected Rows'],
		credentials: [
			{ name: 'bulkMailSubscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' },
		],
		properties: [...sourceProperties, ...targetProperties, ...mappingProperties, optionsProperty],
	};

	methods = { credentialTest, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const summaries: INodeExecutionData[] = [];
		const rejectedRows: INodeExecutionData[] = [];
		const actor = actorFor(this);
		const signal = this.getExecutionCancelSignal();
		const store = await openNodeStore(this);
		try {
			for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
				const pairedItem = { item: itemIndex };
				let parameters: ItemParameters | undefined;
				let result: ImportResult | null = null;
				try {
					parameters = await readItemParameters(this, itemIndex);
					result = await importCsv(store, {
						source: parameters.source,
						list: parameters.list,
						createList: parameters.createList,
						mode: parameters.mode,
						allowReactivate: parameters.allowReactivate,
						dryRun: parameters.dryRun,
						csv: parameters.csv,
						mapping: parameters.mapping,
						batchSize: parameters.batchSize,
						maxBytes: parameters.maxBytes,
						report: { maxInMemory: parameters.maxRejectedRows },
						actor,
						signal,
					});
					const summary: INodeExecutionData = {
						json: await summaryJson(store, result, parameters),
						pairedItem,
					};
					const report = await reportBinary(this, result, parameters);
					if (report) summary.binary = { [REPORT_BINARY_PROPERTY]: report };
					summaries.push(summary);
					rejectedRows.push(...rejectedItems(result, itemIndex));
					const hints = result.warnings.map((warning) => ({
						message: `${itemLabel(itemIndex)}: ${warning}`,
						type: 'warning' as const,
						location: 'outputPane' as const,
					}));
					if (result.rejectedTotal > result.rejected.length) {
						hints.push({
							message:
								`${itemLabel(itemIndex)}: ${result.rejectedTotal} rows were rejected; the Rejected Rows output ` +
								`has the first ${result.rejected.length}, the '${REPORT_BINARY_PROPERTY}' file has them all`,
							type: 'warning',
							location: 'outputPane',
						});
					}
					if (hints.length) this.addExecutionHints(...hints);
				} catch (error) {
					if (error instanceof ImportError) result = error.result;
					const description = failureDescription(error instanceof ImportError ? error.code : undefined, result);
					const nodeError = itemError(this.getNode(), itemIndex, error, description);
					if (!this.continueOnFail()) throw nodeError;
					// Nothing half-done is hidden: what was committed, and the rows rejected so far.
					const json: IDataObject = {};
					if (nodeError.description) json.errorDescription = nodeError.description;
					if (result && parameters) Object.assign(json, await summaryJson(store, result, parameters));
					const failed = errorItem(this.getNode(), nodeError, itemIndex, json);
					if (result && parameters) {
						const report = await reportBinary(this, result, parameters);
						if (report) failed.binary = { [REPORT_BINARY_PROPERTY]: report };
						rejectedRows.push(...rejectedItems(result, itemIndex));
					}
					summaries.push(failed);
				} finally {
					await removeReport(result);
					// A binary stream the import never read (e.g. the list did not exist) holds a file handle.
					if (parameters?.stream && !parameters.stream.destroyed) parameters.stream.destroy();
				}
			}
		} finally {
			await store.close();
		}
		return [summaries, rejectedRows];
	}
}
