/** Number and time formatting, and the derived rates both renderings show. */
import type { ReportLanguage } from './labels';
import type { CampaignReport, ClassifiedCounts } from './types';

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

/**
 * A bucket start or a timestamp in the report's time zone, the same short shape in both languages
 * (`12/1 09:00`, `2026/12/1 09:41`, `12/1`): Intl's own hour formats differ by locale and read badly
 * on a chart axis.
 */
export function formatTime(iso: string, timeZone: string, precision: 'hour' | 'day' | 'minute'): string {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		year: 'numeric',
		month: 'numeric',
		day: 'numeric',
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23',
	}).formatToParts(new Date(iso));
	const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((entry) => entry.type === type)?.value ?? '';
	const date = `${part('month')}/${part('day')}`;
	if (precision === 'day') return date;
	if (precision === 'hour') return `${date} ${part('hour')}:00`;
	return `${part('year')}/${date} ${part('hour')}:${part('minute')}`;
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
