/**
 * What Get Report and Compare share: the report options (time zone, bucket, top domains) read from
 * an item, and the store's report calls with their errors said for the item. The store checks the
 * options (lib/store ReportError `invalid`) and the campaign (`not-found`); the node only names
 * the option to fix.
 */
import type { INodeProperties } from 'n8n-workflow';

import type { CampaignReport } from '../../../../lib/reports';
import { ReportError, type CampaignReportOptions, type ReportBucketOption } from '../../../../lib/store';
import { itemError } from '../../../shared/nodeHelpers';
import type { OperationContext } from '../resources';

export const DEFAULT_TOP_DOMAINS = 10;
export const MAX_TOP_DOMAINS = 1000;

export const timeZoneOption: INodeProperties = {
	displayName: 'Time Zone',
	name: 'timeZone',
	type: 'string',
	default: '',
	placeholder: 'Asia/Tokyo',
	description: 'IANA time zone the hourly or daily buckets and the times are shown in. Empty: the workflow’s time zone.',
};

export const bucketOption: INodeProperties = {
	displayName: 'Bucket',
	name: 'bucket',
	type: 'options',
	options: [
		{ name: 'Auto (Hourly for the First Three Days, Then Daily)', value: 'auto' },
		{ name: 'Hour', value: 'hour' },
		{ name: 'Day', value: 'day' },
	],
	default: 'auto',
	description: 'Width of the time series’ buckets (opens, clicks, bounces, unsubscribes over time)',
};

export const topDomainsOption: INodeProperties = {
	displayName: 'Top Domains',
	name: 'topDomains',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: MAX_TOP_DOMAINS },
	default: DEFAULT_TOP_DOMAINS,
	description: 'How many receiving domains (gmail.com, docomo.ne.jp, …) to list, most mail first; the rest are counted in otherDomains',
};

export type ReportQuery = Required<Pick<CampaignReportOptions, 'timeZone' | 'bucket' | 'topDomains'>>;

/** The options of one item; an empty time zone is the workflow's. */
export function readReportQuery(op: OperationContext, options: Record<string, unknown>): ReportQuery {
	return {
		timeZone: String(options.timeZone ?? '').trim() || op.ctx.getTimezone(),
		bucket: (options.bucket as ReportBucketOption | undefined) ?? 'auto',
		topDomains: options.topDomains === undefined || options.topDomains === '' ? DEFAULT_TOP_DOMAINS : Number(options.topDomains),
	};
}

/** A store refusal for the item: a wrong option names the options to check. */
export function reportError(op: OperationContext, itemIndex: number, error: unknown): Error {
	const hint =
		error instanceof ReportError && error.code === 'invalid'
			? 'Check the Time Zone, Bucket and Top Domains options.'
			: error instanceof ReportError && error.code === 'not-found'
				? 'Pick the campaign from the list, or use the ID the Create operation returned.'
				: undefined;
	return itemError(op.ctx.getNode(), itemIndex, error, hint);
}

/** The campaign's report from the store's rollups. */
export async function loadReport(op: OperationContext, itemIndex: number, campaignId: string, query: ReportQuery): Promise<CampaignReport> {
	const store = await op.resources.store();
	try {
		return await store.getCampaignReport(campaignId, query);
	} catch (error) {
		throw reportError(op, itemIndex, error);
	}
}
