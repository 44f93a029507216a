/** Escaping, number and time formatting, and the derived rates both renderings show. */
import type { ReportLanguage } from './labels';
import type { CampaignReport, ClassifiedCounts } from './types';

const HTML_ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: unknown): string {
	return String(text).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

function locale(language: ReportLanguage): string {
	return language === 'ja' ? 'ja-JP' : 'en-US';
}

export function formatCount(value: number, language: ReportLanguage): string {
	return new Intl.NumberFormat(locale(language)).format(value);
}

/** A 0…1 rate as a percentage with one decimal; `—` when there is nothing to divide by. */
export function formatRate(rate: number | null, language: ReportLanguage, none: string): string {
	if (rate === null || !Number.isFinite(rate)) return none;
	return new Intl.NumberFormat(locale(language), { style: 'percent', maximumFractionDigits: 1 }).format(rate);
}

/** Checks a time zone once, with an error that names it (Intl's own message does not say what to fix). */
export function assertTimeZone(timeZone: string): void {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone });
	} catch {
		throw new Error(`Unknown time zone "${timeZone}": use an IANA name such as "Asia/Tokyo" or "UTC".`);
	}
}

/** A bucket start or a timestamp in the report's time zone: date and hour for hours, date for days. */
export function formatTime(
	iso: string,
	timeZone: string,
	language: ReportLanguage,
	precision: 'hour' | 'day' | 'minute',
): string {
	const options: Intl.DateTimeFormatOptions = { timeZone, month: 'numeric', day: 'numeric' };
	if (precision !== 'day') {
		options.hour = '2-digit';
		options.hourCycle = 'h23';
	}
	if (precision === 'minute') {
		options.year = 'numeric';
		options.minute = '2-digit';
	}
	return new Intl.DateTimeFormat(locale(language), options).format(new Date(iso));
}

/** Opens a person may have made: human plus unknown (Apple's proxy cannot be told apart). */
export function nonMachine(counts: ClassifiedCounts): number {
	return counts.human + counts.unknown;
}

function ratio(numerator: number, denominator: number): number | null {
	return denominator > 0 ? numerator / denominator : null;
}

export interface HeadlineRates {
	deliveryRate: number | null;
	openRate: number | null;
	clickRate: number | null;
	clickToOpenRate: number | null;
	bounceRate: number | null;
	unsubscribeRate: number | null;
	complaintRate: number | null;
}

/** Rates over delivered mail, except delivery and bounce rates, which are over sent mail. */
export function headlineRates(report: CampaignReport): HeadlineRates {
	return {
		deliveryRate: ratio(report.delivered, report.sent),
		openRate: ratio(nonMachine(report.uniqueOpens), report.delivered),
		clickRate: ratio(report.uniqueClicks.human, report.delivered),
		clickToOpenRate: report.clickToOpenRate,
		bounceRate: ratio(report.bounced.total, report.sent),
		unsubscribeRate: ratio(report.unsubscribes, report.delivered),
		complaintRate: ratio(report.complaints, report.delivered),
	};
}
