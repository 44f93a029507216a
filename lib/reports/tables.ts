/**
 * The report's tables as plain data (title, headers, rows of text), shared by the HTML report and
 * the mail-body fragment so both always show the same figures. Cells are raw text: each renderer
 * escapes them.
 */
import { formatCount, formatRate, headlineRates, nonMachine } from './format';
import type { ReportLabels, ReportLanguage } from './labels';
import type { CampaignReport, ClassifiedCounts } from './types';

export interface ReportTable {
	/** Stable id for styling and tests. */
	id: 'summary' | 'engagement' | 'bounceKinds' | 'bounces' | 'links' | 'domains';
	title: string;
	headers: string[];
	/** Which columns hold numbers (right-aligned). */
	numeric: boolean[];
	rows: string[][];
	/** A line under the table (a source note, "more not shown"). */
	note?: string;
}

export interface HeadlineFigure {
	label: string;
	value: string;
	/** A rate or share shown under the value. */
	detail?: string;
}

export function headlineFigures(report: CampaignReport, labels: ReportLabels, language: ReportLanguage): HeadlineFigure[] {
	const rates = headlineRates(report);
	const count = (value: number) => formatCount(value, language);
	const rate = (value: number | null) => formatRate(value, language, labels.none);
	return [
		{ label: labels.recipients, value: count(report.recipients) },
		{ label: labels.sent, value: count(report.sent) },
		{ label: labels.delivered, value: count(report.delivered), detail: rate(rates.deliveryRate) },
		{ label: labels.openRate, value: rate(rates.openRate), detail: count(nonMachine(report.uniqueOpens)) },
		{ label: labels.clickRate, value: rate(rates.clickRate), detail: count(report.uniqueClicks.human) },
		{ label: labels.clickToOpenRate, value: rate(rates.clickToOpenRate) },
		{ label: labels.bounced, value: count(report.bounced.total), detail: rate(rates.bounceRate) },
		{ label: labels.unsubscribes, value: count(report.unsubscribes), detail: rate(rates.unsubscribeRate) },
		{ label: labels.complaints, value: count(report.complaints), detail: rate(rates.complaintRate) },
		{ label: labels.failed, value: count(report.failed) },
	];
}

function classRow(name: string, counts: ClassifiedCounts, language: ReportLanguage): string[] {
	const total = counts.human + counts.machine + counts.unknown;
	return [name, ...[counts.human, counts.unknown, counts.machine, total].map((value) => formatCount(value, language))];
}

/**
 * `maxLinks` caps the per-link rows (a campaign may have thousands of links): the report keeps them
 * all, a page or a mail body shows the most clicked and says how many more there are.
 * Long because it lists every table of the report in reading order, one short block each.
 */
export function reportTables(
	report: CampaignReport,
	labels: ReportLabels,
	language: ReportLanguage,
	maxLinks: number,
): ReportTable[] {
	const count = (value: number) => formatCount(value, language);
	const hiddenLinks = Math.max(0, report.links.length - maxLinks);
	return [
		{
			id: 'summary',
			title: labels.headline,
			headers: ['', labels.total],
			numeric: [false, true],
			rows: headlineFigures(report, labels, language).map((figure) => [
				figure.label,
				figure.detail ? `${figure.value} (${figure.detail})` : figure.value,
			]),
		},
		{
			id: 'engagement',
			title: `${labels.opens} / ${labels.clicks}`,
			headers: ['', labels.human, labels.unknown, labels.machine, labels.total],
			numeric: [false, true, true, true, true],
			rows: [
				classRow(`${labels.opens} (${labels.unique})`, report.uniqueOpens, language),
				classRow(`${labels.opens} (${labels.total})`, report.totalOpens, language),
				classRow(`${labels.clicks} (${labels.unique})`, report.uniqueClicks, language),
				classRow(`${labels.clicks} (${labels.total})`, report.totalClicks, language),
			],
			note: labels.machineNote,
		},
		{
			id: 'bounceKinds',
			title: labels.bouncesByKind,
			headers: [labels.kind, labels.bounced, labels.share],
			numeric: [false, true, true],
			rows: (['hard', 'soft', 'sender'] as const).map((kind) => [
				labels.kinds[kind],
				count(report.bounced.byKind[kind]),
				formatRate(report.bounced.total ? report.bounced.byKind[kind] / report.bounced.total : null, language, labels.none),
			]),
		},
		{
			id: 'bounces',
			title: labels.bounceReasons,
			headers: [labels.reason, labels.kind, labels.bounced],
			numeric: [false, false, true],
			rows: report.bounced.byReason.map((entry) => [entry.reason, labels.kinds[entry.kind], count(entry.recipients)]),
			note:
				report.bounceReasonSource === 'classifier' ? labels.reasonSourceClassifier : labels.reasonSourceStatusClass,
		},
		{
			id: 'links',
			title: labels.links,
			headers: [labels.link, labels.uniqueClicks, labels.totalClicks, labels.machine],
			numeric: [false, true, true, true],
			rows: report.links.slice(0, maxLinks).map((link) => [
				link.url,
				count(link.uniqueClicks.human),
				count(link.totalClicks.human),
				count(link.totalClicks.machine),
			]),
			note: hiddenLinks > 0 ? labels.otherLinks(hiddenLinks, count(hiddenLinks)) : undefined,
		},
		{
			id: 'domains',
			title: labels.domains,
			headers: [labels.domain, labels.sent, labels.bounced, labels.opened, labels.clicked],
			numeric: [false, true, true, true, true],
			rows: report.domains.map((domain) => [
				domain.domain,
				count(domain.sent),
				count(domain.bounced),
				count(domain.opened),
				count(domain.clicked),
			]),
			note: report.otherDomains > 0 ? labels.otherDomains(report.otherDomains, count(report.otherDomains)) : undefined,
		},
	];
}
