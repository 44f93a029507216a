/**
 * Time-series charts drawn server-side as SVG by Apache ECharts (its SSR mode: no DOM, no canvas,
 * no native addon). The SVG is inlined into the HTML report; mail bodies get tables instead.
 */
import * as echarts from 'echarts';
import { formatTime } from './format';
import type { ReportLabels, ReportLanguage } from './labels';
import type { TimeSeries } from './types';

export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 280;

const FONT_FAMILY =
	'-apple-system, "Segoe UI", Roboto, "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Noto Sans CJK JP", Meiryo, sans-serif';

interface ChartSeries {
	name: string;
	type: 'line' | 'bar';
	color: string;
	values: number[];
}

function renderChart(title: string, categories: string[], series: ChartSeries[]): string {
	const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT });
	try {
		chart.setOption({
			animation: false,
			textStyle: { fontFamily: FONT_FAMILY },
			title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14, fontWeight: 600, color: '#1f2937' } },
			legend: { top: 6, right: 8, textStyle: { color: '#374151' } },
			grid: { left: 48, right: 16, top: 44, bottom: 56 },
			xAxis: {
				type: 'category',
				data: categories,
				axisLabel: { color: '#4b5563', hideOverlap: true, rotate: categories.length > 24 ? 30 : 0 },
			},
			yAxis: { type: 'value', minInterval: 1, axisLabel: { color: '#4b5563' } },
			series: series.map((entry) => ({
				name: entry.name,
				type: entry.type,
				data: entry.values,
				color: entry.color,
				showSymbol: false,
				smooth: false,
				barMaxWidth: 18,
			})),
		});
		return chart.renderToSVGString();
	} finally {
		chart.dispose();
	}
}

/** Two charts: opens and clicks (lines), bounces and unsubscribes (bars, a much smaller scale). */
export function renderTimeSeriesCharts(series: TimeSeries, labels: ReportLabels, language: ReportLanguage): string[] {
	if (series.buckets.length === 0) return [];
	const categories = series.buckets.map((bucket) => formatTime(bucket.start, series.timeZone, language, series.bucket));
	const bucketLabel = series.bucket === 'hour' ? labels.bucketHour : labels.bucketDay;
	return [
		renderChart(`${labels.engagementOpensClicks} (${bucketLabel})`, categories, [
			{ name: labels.opens, type: 'line', color: '#2563eb', values: series.buckets.map((bucket) => bucket.opens) },
			{ name: labels.clicks, type: 'line', color: '#16a34a', values: series.buckets.map((bucket) => bucket.clicks) },
		]),
		renderChart(`${labels.engagementBouncesUnsubs} (${bucketLabel})`, categories, [
			{ name: labels.bounces, type: 'bar', color: '#dc2626', values: series.buckets.map((bucket) => bucket.bounces) },
			{
				name: labels.unsubscribes,
				type: 'bar',
				color: '#d97706',
				values: series.buckets.map((bucket) => bucket.unsubscribes),
			},
		]),
	];
}
