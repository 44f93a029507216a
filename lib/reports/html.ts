/**
 * The campaign report as one self-contained HTML file: inline CSS, charts as inline SVG, no
 * scripts, no external requests (a CSP meta forbids them), `noindex`. It opens offline, as an
 * e-mail attachment, and from the Bounce Webhook's report URL, and reads at phone width.
 */
import { renderTimeSeriesCharts } from './charts';
import { escapeHtml } from '../html';
import { assertTimeZone, formatTime } from './format';
import { labelsFor, type ReportLabels, type ReportLanguage } from './labels';
import { headlineFigures, reportTables, type ReportTable } from './tables';
import type { CampaignReport } from './types';

export interface RenderReportOptions {
	language: ReportLanguage;
	/**
	 * Subscriber addresses are never in a report (the `CampaignReport` carries none); the option is
	 * here so a later version that can list them must be asked to explicitly.
	 */
	includeAddresses?: false;
}

/** Link rows on the page; the item from Get Report keeps every link. */
export const HTML_MAX_LINKS = 200;

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","Noto Sans CJK JP",Meiryo,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
header h1{font-size:22px;margin:8px 0 4px}
header p{margin:2px 0;color:#4b5563;font-size:13px}
h2{font-size:17px;margin:28px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .label{font-size:12px;color:#4b5563}
.card .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.card .detail{font-size:12px;color:#6b7280}
.chart{background:#fff;border-radius:8px;padding:4px;margin-bottom:10px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.chart svg{display:block;width:100%;height:auto}
.chart .narrow{display:none}
.table-wrap{overflow-x:auto;background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600;font-size:13px;color:#374151}
th.num{text-align:right}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{overflow-wrap:anywhere;word-break:break-word}
p.note{font-size:12px;color:#6b7280;margin:6px 2px}
@media (max-width:520px){.chart .wide{display:none}.chart .narrow{display:block}main{padding:10px}header h1{font-size:19px}.cards{grid-template-columns:repeat(2,1fr)}.card .value{font-size:19px}th,td{padding:5px 6px;font-size:13px}}
`;

function renderTable(table: ReportTable): string {
	const head = table.headers
		.map((header, index) => `<th${table.numeric[index] ? ' class="num"' : ''}>${escapeHtml(header)}</th>`)
		.join('');
	const body = table.rows
		.map(
			(row) =>
				`<tr>${row.map((cell, index) => `<td class="${table.numeric[index] ? 'num' : 'text'}">${escapeHtml(cell)}</td>`).join('')}</tr>`,
		)
		.join('');
	const note = table.note ? `<p class="note">${escapeHtml(table.note)}</p>` : '';
	return `<section id="${table.id}"><h2>${escapeHtml(table.title)}</h2><div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${note}</section>`;
}

function renderHeader(report: CampaignReport, labels: ReportLabels): string {
	const zone = report.timeSeries.timeZone;
	const when = (iso: string | null) => (iso ? formatTime(iso, zone, 'minute') : labels.none);
	return `<header><p>${escapeHtml(labels.title)}</p><h1>${escapeHtml(report.campaignName)}</h1>
<p>${escapeHtml(labels.period)}: ${escapeHtml(when(report.startedAt))} – ${escapeHtml(when(report.finishedAt))} (${escapeHtml(zone)})</p>
<p>${escapeHtml(labels.generatedAt)}: ${escapeHtml(when(report.generatedAt))} · ID ${escapeHtml(report.campaignId)}</p></header>`;
}

function renderCards(report: CampaignReport, labels: ReportLabels, language: ReportLanguage): string {
	const cards = headlineFigures(report, labels, language)
		.map(
			(figure) =>
				`<div class="card"><div class="label">${escapeHtml(figure.label)}</div><div class="value">${escapeHtml(figure.value)}</div>${
					figure.detail ? `<div class="detail">${escapeHtml(figure.detail)}</div>` : ''
				}</div>`,
		)
		.join('');
	return `<section id="headline"><h2>${escapeHtml(labels.headline)}</h2><div class="cards">${cards}</div></section>`;
}

function renderCharts(report: CampaignReport, labels: ReportLabels): string {
	const charts = renderTimeSeriesCharts(report.timeSeries, labels);
	const body = charts.length
		? charts
				.map((chart) => `<div class="chart"><div class="wide">${chart.svg.wide}</div><div class="narrow">${chart.svg.narrow}</div></div>`)
				.join('')
		: `<p class="note">${escapeHtml(labels.noEvents)}</p>`;
	return `<section id="charts"><h2>${escapeHtml(labels.engagement)}</h2>${body}<p class="note">${escapeHtml(labels.timeZone)}: ${escapeHtml(report.timeSeries.timeZone)}</p></section>`;
}

export function renderReportHtml(report: CampaignReport, options: RenderReportOptions): string {
	const language = options.language;
	const labels = labelsFor(language);
	assertTimeZone(report.timeSeries.timeZone);
	const tables = reportTables(report, labels, language, HTML_MAX_LINKS).filter((table) => table.id !== 'summary');
	return `<!DOCTYPE html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(`${labels.title}: ${report.campaignName}`)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${renderHeader(report, labels)}
${renderCards(report, labels, language)}
${renderCharts(report, labels)}
${tables.map(renderTable).join('\n')}
</main></body>
</html>
`;
}
