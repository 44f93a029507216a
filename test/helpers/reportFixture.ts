/**
 * A synthetic but realistic campaign report for the renderer's tests and screenshots: 3,200
 * recipients, opens and clicks spread over two days (a morning peak and an evening bump in
 * Asia/Tokyo), bounces of several reasons, twelve links, Japanese and Western domains. Numbers
 * come from a fixed-seed generator so every run draws the same report.
 */
import type { CampaignReport, ClassifiedCounts, TimeBucket } from '../../lib/reports';

function seeded(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state * 1664525 + 1013904223) >>> 0;
		return state / 0x100000000;
	};
}

const LINKS = [
	'https://shop.example.jp/sale/winter?utm_source=mail&utm_campaign=winter-sale',
	'https://shop.example.jp/items/coat-1234',
	'https://shop.example.jp/items/knit-5678',
	'https://shop.example.jp/items/boots-9012',
	'https://shop.example.jp/coupon/WINTER10',
	'https://shop.example.jp/stores/tokyo',
	'https://shop.example.jp/stores/osaka',
	'https://blog.example.jp/2026/12/styling-tips',
	'https://www.instagram.com/example_shop/',
	'https://x.com/example_shop',
	'https://shop.example.jp/mypage/settings',
	'https://shop.example.jp/help/shipping',
];

function split(total: number, machineShare: number, unknownShare: number): ClassifiedCounts {
	const machine = Math.round(total * machineShare);
	const unknown = Math.round(total * unknownShare);
	return { human: total - machine - unknown, machine, unknown };
}

function buckets(start: Date, hours: number, random: () => number): TimeBucket[] {
	const result: TimeBucket[] = [];
	for (let hour = 0; hour < hours; hour++) {
		// Activity decays over two days, with a daily rhythm in Japan time (UTC+9).
		const local = (start.getUTCHours() + 9 + hour) % 24;
		const daytime = local >= 7 && local <= 23 ? 1 : 0.15;
		const evening = local >= 19 && local <= 22 ? 1.6 : 1;
		const decay = Math.exp(-hour / 14);
		const opens = Math.round((420 * decay + 8) * daytime * evening * (0.8 + random() * 0.4));
		result.push({
			start: new Date(start.getTime() + hour * 3_600_000).toISOString(),
			opens,
			clicks: Math.round(opens * (0.18 + random() * 0.06)),
			bounces: hour < 3 ? Math.round(38 / (hour + 1) + random() * 4) : random() < 0.15 ? 1 : 0,
			unsubscribes: Math.round(opens * 0.012 * random() * 2),
		});
	}
	return result;
}

export function syntheticReport(overrides: Partial<CampaignReport> = {}): CampaignReport {
	const random = seeded(18);
	const start = new Date('2026-12-01T00:00:00.000Z');
	const linkClicks = LINKS.map((url, index) => {
		const unique = Math.round(420 / (index + 1.3) + random() * 12);
		return {
			url,
			uniqueClicks: split(unique, 0.04, 0),
			totalClicks: split(Math.round(unique * (1.25 + random() * 0.3)), 0.07, 0),
		};
	});
	const report: CampaignReport = {
		campaignId: 'cmp_winter_sale_2026',
		campaignName: 'Winter sale 2026 / 冬のセール',
		generatedAt: '2026-12-03T09:30:00.000Z',
		startedAt: start.toISOString(),
		finishedAt: '2026-12-01T00:41:00.000Z',
		recipients: 3_200,
		sent: 3_188,
		delivered: 3_079,
		failed: 12,
		bounced: {
			total: 109,
			byKind: { hard: 71, soft: 30, sender: 8 },
			byReason: [
				{ reason: 'userunknown', kind: 'hard', recipients: 58 },
				{ reason: 'hostunknown', kind: 'hard', recipients: 13 },
				{ reason: 'mailboxfull', kind: 'soft', recipients: 19 },
				{ reason: 'filtered', kind: 'soft', recipients: 7 },
				{ reason: 'expired', kind: 'soft', recipients: 4 },
				{ reason: 'blocked', kind: 'sender', recipients: 5 },
				{ reason: 'spamdetected', kind: 'sender', recipients: 3 },
			],
		},
		bounceReasonSource: 'classifier',
		complaints: 3,
		unsubscribes: 41,
		uniqueOpens: split(1_452, 0.03, 0.31),
		totalOpens: split(2_930, 0.05, 0.27),
		uniqueClicks: split(412, 0.05, 0),
		totalClicks: split(661, 0.08, 0),
		clickToOpenRate: null,
		links: linkClicks,
		domains: [
			{ domain: 'gmail.com', sent: 1_010, bounced: 21, opened: 512, clicked: 151 },
			{ domain: 'yahoo.co.jp', sent: 602, bounced: 18, opened: 251, clicked: 66 },
			{ domain: 'docomo.ne.jp', sent: 341, bounced: 27, opened: 98, clicked: 21 },
			{ domain: 'icloud.com', sent: 288, bounced: 4, opened: 230, clicked: 38 },
			{ domain: 'ezweb.ne.jp', sent: 190, bounced: 15, opened: 51, clicked: 12 },
			{ domain: 'outlook.com', sent: 176, bounced: 6, opened: 69, clicked: 19 },
			{ domain: 'softbank.ne.jp', sent: 121, bounced: 9, opened: 33, clicked: 7 },
			{ domain: 'nifty.com', sent: 88, bounced: 2, opened: 36, clicked: 9 },
			{ domain: 'yahoo.com', sent: 74, bounced: 3, opened: 27, clicked: 6 },
			{ domain: 'example-corp.co.jp', sent: 61, bounced: 1, opened: 40, clicked: 17 },
		],
		otherDomains: 87,
		timeSeries: { bucket: 'hour', timeZone: 'Asia/Tokyo', buckets: buckets(start, 48, random) },
		...overrides,
	};
	if (!('clickToOpenRate' in overrides)) {
		report.clickToOpenRate = report.uniqueClicks.human / (report.uniqueOpens.human + report.uniqueOpens.unknown);
	}
	return report;
}
