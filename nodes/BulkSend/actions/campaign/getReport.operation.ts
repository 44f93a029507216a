/**
 * Campaign → Get Report: one item with the campaign's figures (lib/reports CampaignReport, from
 * the store's event history and rollups), optionally the self-contained HTML report as a binary,
 * a mail-body table, and a signed, expiring report URL served by the Bounce Webhook Trigger.
 */
import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { getReactionAddresses, type Campaign } from '../../../../lib/campaign';
import { headlineRates, renderReportHtml, renderReportMailTable, type ReportLanguage } from '../../../../lib/reports';
import { normaliseBaseUrl } from '../../../../lib/store';
import {
	DEFAULT_REPORT_LINK_DAYS,
	MAX_REPORT_LINK_DAYS,
	cachedSigner,
	reportLinkUrl,
	signReportLink,
	storeTag,
} from '../../../../lib/webhook';
import { item, itemError, jsonCopy, showFor } from '../../../shared/nodeHelpers';
import { STORE_CREDENTIAL, storeConfigFromCredential } from '../../../shared/storeCredential';
import type { NodeOutput, OperationContext } from '../resources';
import { campaignField, campaignIdOf, requireCampaign } from './common';
import { bucketOption, loadReport, readReportQuery, timeZoneOption, topDomainsOption, type ReportQuery } from './reportOptions';

/** Addresses listed per kind when Include Addresses is on (the item must stay a sane size). */
export const MAX_ADDRESSES = 1000;

export const description: INodeProperties[] = [
	campaignField('getReport'),
	{
		displayName: 'Options',
		name: 'reportOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('campaign', ['getReport']),
		options: [
			{
				displayName: 'Attach HTML Report',
				name: 'attachHtml',
				type: 'boolean',
				default: false,
				description:
					'Whether to add the report as a self-contained HTML file (charts as SVG, no scripts, no external requests): it opens offline and as a mail attachment',
			},
			{
				displayName: 'Binary Property',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'report',
				description: 'Name of the binary property the HTML file is put in',
				displayOptions: { show: { attachHtml: [true] } },
			},
			bucketOption,
			{
				displayName: 'Include Addresses',
				name: 'includeAddresses',
				type: 'boolean',
				default: false,
				description: `Whether to add the addresses of recipients who bounced, complained or unsubscribed (at most ${MAX_ADDRESSES} each; personal data: off unless you need them)`,
			},
			{
				displayName: 'Include Mail Body Table',
				name: 'mailTable',
				type: 'boolean',
				default: false,
				description:
					'Whether to add mailHtml: the report as plain HTML tables with inline styles, for a mail body (mail clients strip SVG and styles)',
			},
			{
				displayName: 'Language',
				name: 'language',
				type: 'options',
				options: [
					{ name: 'English', value: 'en' },
					{ name: '日本語 (Japanese)', value: 'ja' },
				],
				default: 'en',
				description: 'Language of the HTML report and the mail body table',
			},
			{
				displayName: 'Report Link Valid For (Days)',
				name: 'linkDays',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: MAX_REPORT_LINK_DAYS },
				default: DEFAULT_REPORT_LINK_DAYS,
				description:
					'How long reportUrl works (the Bounce Webhook Trigger serves it). 0: no link. Needs the public base URL and link signing secret in the store credential.',
			},
			timeZoneOption,
			topDomainsOption,
		],
	},
];

interface ReportOptions {
	attachHtml?: boolean;
	binaryPropertyName?: string;
	includeAddresses?: boolean;
	mailTable?: boolean;
	language?: ReportLanguage;
	linkDays?: number;
	timeZone?: string;
	bucket?: string;
	topDomains?: number;
}

/** The signed report URL, or why there is none (no base URL or secret in the store credential). */
async function reportLink(
	op: OperationContext,
	itemIndex: number,
	campaign: Campaign,
	days: number,
	query: ReportQuery,
): Promise<IDataObject> {
	if (days <= 0) return {};
	const links = await op.resources.links();
	if (!links.baseUrl || !links.secret) {
		return {
			reportUrl: null,
			reportUrlNote:
				'No report URL: set the public base URL (the Bounce Webhook Trigger’s production URL) and the link signing secret in the store credential',
		};
	}
	let baseUrl: string;
	try {
		baseUrl = normaliseBaseUrl(links.baseUrl, { allowInsecureHttp: campaign.template.options.allowInsecureHttp === true });
	} catch (error) {
		throw itemError(op.ctx.getNode(), itemIndex, error, 'Check the public base URL of the store credential.');
	}
	const credential = await op.ctx.getCredentials(STORE_CREDENTIAL);
	const expiresAt = Math.floor(Date.now() / 1000) + Math.round(days * 86_400);
	const token = signReportLink(cachedSigner(links.secret), {
		campaignId: campaign.id,
		storeTag: storeTag(storeConfigFromCredential(credential)),
		expiresAt,
		timeZone: query.timeZone,
		topDomains: query.topDomains,
	});
	return { reportUrl: reportLinkUrl(baseUrl, token), reportUrlExpiresAt: new Date(expiresAt * 1000).toISOString() };
}

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx } = op;
	const options = ctx.getNodeParameter('reportOptions', itemIndex, {}) as ReportOptions;
	const query = readReportQuery(op, options as Record<string, unknown>);
	const id = campaignIdOf(op, itemIndex);
	const campaign = await requireCampaign(op, itemIndex, id);
	const report = await loadReport(op, itemIndex, campaign.id, query);
	const language: ReportLanguage = options.language === 'ja' ? 'ja' : 'en';

	const json: IDataObject = { ...jsonCopy(report), rates: jsonCopy(headlineRates(report)) };
	Object.assign(json, await reportLink(op, itemIndex, campaign, Number(options.linkDays ?? DEFAULT_REPORT_LINK_DAYS), query));
	if (options.mailTable === true) json.mailHtml = renderReportMailTable(report, language);
	if (options.includeAddresses === true) json.addresses = { ...(await getReactionAddresses(await op.resources.store(), campaign.id, MAX_ADDRESSES)) };

	const output: INodeExecutionData = item(json, itemIndex);
	if (options.attachHtml === true) {
		const property = String(options.binaryPropertyName ?? 'report').trim() || 'report';
		const html = renderReportHtml(report, { language });
		const fileName = `campaign-${campaign.id}-report.html`;
		output.binary = { [property]: await ctx.helpers.prepareBinaryData(Buffer.from(html, 'utf8'), fileName, 'text/html') };
	}
	return [[output], []];
}
