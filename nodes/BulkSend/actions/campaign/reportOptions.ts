/**
 * What Get Report and Compare share: the report query options (time zone, bucket, top domains)
 * read from an item, and the store's report source with its errors said for the item.
 */
import type { INodeProperties } from 'n8n-workflow';

import {
	checkReportQuery,
	DEFAULT_TOP_DOMAINS,
	MAX_TOP_DOMAINS,
	reportSourceOf,
	type CampaignReport,
	type CampaignReportQuery,
	type ReportBucketOption,
} from '../../../../lib/reports';
import { itemError } from '../../../shared/nodeHelpers';
import type { OperationContext } from '../resources';

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
	typeOptions: { minValue: 0, maxValue: MAX_TOP_DOMAINS },
	default: DEFAULT_TOP_DOMAINS,
	description: 'How many receiving domains (gmail.com, docomo.ne.jp, …) to list, most mail first; the rest are counted in otherDomains',
};

/** The query of one item, checked: an unknown time zone names the zone and the option. */
export function readReportQuery(op: OperationContext, itemIndex: number, options: Record<string, unknown>): Required<CampaignReportQuery> {
	const zone = String(options.timeZone ?? '').trim() || op.ctx.getTimezone();
	try {
		return checkReportQuery({
			timeZone: zone,
			bucket: (options.bucket as ReportBucketOption | undefined) ?? 'auto',
			topDomains: options.topDomains === undefined ? DEFAULT_TOP_DOMAINS : Number(options.topDomains),
		});
	} catch (error) {
		throw itemError(op.ctx.getNode(), itemIndex, error, 'Check the Time Zone, Bucket and Top Domains options.');
	}
}

/** The campaign's report from the store (the campaign is known to exist). */
export async function loadReport(
	op: OperationContext,
	itemIndex: number,
	campaignId: string,
	query: Required<CampaignReportQuery>,
): Promise<CampaignReport> {
	const store = await op.resources.store();
	try {
		return await reportSourceOf(store).getCampaignReport(campaignId, query);
	} catch (error) {
		throw itemError(op.ctx.getNode(), itemIndex, error);
	}
}
