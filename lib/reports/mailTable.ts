/**
 * The report for a mail body: tables only, every style inline (mail clients strip <style>, SVG and
 * scripts), widths in percent so it reflows on a phone. An HTML fragment, to be placed in a body.
 */
import { escapeHtml } from '../html';
import { labelsFor, type ReportLanguage } from './labels';
import { reportTables, type ReportTable } from './tables';
import type { CampaignReport } from './types';

/** Link rows in a mail body, kept short so the mail stays well under clients' clipping size. */
export const MAIL_MAX_LINKS = 25;

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,'Hiragino Sans','Noto Sans JP',Meiryo,sans-serif;";
const CELL = 'padding:4px 8px;border-bottom:1px solid #e5e7eb;font-size:14px;';

function mailTable(table: ReportTable): string {
	const align = (index: number) => (table.numeric[index] ? 'text-align:right;white-space:nowrap;' : 'text-align:left;word-break:break-all;');
	const head = table.headers
		.map((header, index) => `<th style="${CELL}${align(index)}background:#f3f4f6;">${escapeHtml(header)}</th>`)
		.join('');
	const body = table.rows
		.map((row) => `<tr>${row.map((cell, index) => `<td style="${CELL}${align(index)}">${escapeHtml(cell)}</td>`).join('')}</tr>`)
		.join('');
	const note = table.note ? `<p style="${FONT}font-size:12px;color:#6b7280;margin:4px 0 0;">${escapeHtml(table.note)}</p>` : '';
	return `<h3 style="${FONT}font-size:16px;margin:20px 0 6px;">${escapeHtml(table.title)}</h3>
<table role="presentation" cellpadding="0" cellspacing="0" width="100%" style="${FONT}border-collapse:collapse;width:100%;max-width:720px;"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${note}`;
}

export function renderReportMailTable(report: CampaignReport, language: ReportLanguage): string {
	const labels = labelsFor(language);
	const heading = `<h2 style="${FONT}font-size:18px;margin:0 0 4px;">${escapeHtml(labels.title)}: ${escapeHtml(report.campaignName)}</h2>`;
	return `<div lang="${language}">${heading}\n${reportTables(report, labels, language, MAIL_MAX_LINKS).map(mailTable).join('\n')}</div>`;
}
