/**
 * Time-series charts drawn server-side as SVG by Apache ECharts (its SSR mode: no DOM, no canvas,
 * no native addon). The SVG is inlined into the HTML report; mail bodies get tables instead.
 */
import type * as Echarts from 'echarts';
import { formatTime } from './format';
import type { ReportLabels } from './labels';
import type { TimeSeries } from './types';

/**
 * ECharts is loaded on the first chart drawn, not with this module: lib/store imports lib/reports
 * (the hit classifier, the report types), and loading its bundle up front cost every process that
 * opens a store ~20-100 MB of memory; most never draw a chart.
 */
let echartsModule: typeof Echarts | undefined;

function echarts(): typeof Echarts {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return (echartsModule ??= require('echarts') as typeof Echarts);
}

/** Each chart is drawn twice: wide for desktops, narrow for phones (a scaled-down wide chart's text is unreadable). */
export const CHART_SIZES = {
	wide: { width: 720, height: 280 },
	narrow: { width: 360, height: 290 },
} as const;
export type ChartSize = keyof typeof CHART_SIZES;

const FONT_FAMILY =
	'-apple-system, "Segoe UI", Roboto, "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Noto Sans CJK JP", Meiryo, sans-serif';

interface ChartSeries {
	name: string;
	type: 'line' | 'bar';
	color: string;
	values: number[];
}

function renderChart(title: string, categories: string[], series: ChartSeries[], size: ChartSize): string {
	const { width, height } = CHART_SIZES[size];
	const narrow = size === 'narrow';
	const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
	try {
		chart.setOption({
			animation: false,
			textStyle: { fontFamily: FONT_FAMILY },
			title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14, fontWeight: 600, color: '#1f2937' } },
			legend: narrow
				? { bottom: 2, left: 'center', textStyle: { color: '#374151' } }
				: { top: 6, right: 8, textStyle: { color: '#374151' } },
			// Room on the left for the first rotated axis label, which hangs left of its tick.
			grid: narrow ? { left: 52, right: 10, top: 36, bottom: 96 } : { left: 72, right: 16, top: 44, bottom: 56 },
			xAxis: {
				type: 'category',
				data: categories,
				axisLabel: { color: '#4b5563', hideOverlap: true, rotate: narrow ? 45 : categories.length > 24 ? 30 : 0 },
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

export interface TimeSeriesChart {
	title: string;
	/** The same chart as SVG at each size. */
	svg: Record<ChartSize, string>;
}

/** Two charts: opens and clicks (lines), bounces and unsubscribes (bars, a much smaller scale). */
export function renderTimeSeriesCharts(series: TimeSeries, labels: ReportLabels): TimeSeriesChart[] {
	if (series.buckets.length === 0) return [];
	const categories = series.buckets.map((bucket) => formatTime(bucket.start, series.timeZone, series.bucket));
	const bucketLabel = series.bucket === 'hour' ? labels.bucketHour : labels.bucketDay;
	const values = (field: 'opens' | 'clicks' | 'bounces' | 'unsubscribes') => series.buckets.map((bucket) => bucket[field]);
	const charts: Array<{ title: string; series: ChartSeries[] }> = [
		{
			title: `${labels.engagementOpensClicks} (${bucketLabel})`,
			series: [
				{ name: labels.opens, type: 'line', color: '#2563eb', values: values('opens') },
				{ name: labels.clicks, type: 'line', color: '#16a34a', values: values('clicks') },
			],
		},
		{
			title: `${labels.engagementBouncesUnsubs} (${bucketLabel})`,
			series: [
				{ name: labels.bounces, type: 'bar', color: '#dc2626', values: values('bounces') },
				{ name: labels.unsubscribes, type: 'bar', color: '#d97706', values: values('unsubscribes') },
			],
		},
	];
	return charts.map((chart) => ({
		title: chart.title,
		svg: {
			wide: renderChart(chart.title, categories, chart.series, 'wide'),
			narrow: renderChart(chart.title, categories, chart.series, 'narrow'),
		},
	}));
}
