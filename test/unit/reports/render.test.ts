import { renderReportHtml, renderReportMailTable, type CampaignReport } from '../../../lib/reports';
import { syntheticReport } from '../../helpers/reportFixture';

function hostileReport(): CampaignReport {
	const base = syntheticReport();
	return {
		...base,
		campaignName: '<script>alert("name")</script>',
		campaignId: '"><img src=x onerror=alert(1)>',
		links: [
			{
				url: 'https://evil.example/"><script>alert(1)</script>',
				uniqueClicks: { human: 1, machine: 0, unknown: 0 },
				totalClicks: { human: 1, machine: 0, unknown: 0 },
			},
		],
		domains: [{ domain: '<b>x</b>.example', sent: 1, bounced: 0, opened: 0, clicked: 0 }],
		bounced: {
			...base.bounced,
			byReason: [{ reason: '<script>bad()</script>' as never, kind: 'hard', recipients: 1 }],
		},
	};
}

describe('renderReportHtml', () => {
	const html = renderReportHtml(syntheticReport(), { language: 'en' });

	it('is a self-contained page: noindex, a CSP that forbids fetching, no scripts, no external URLs', () => {
		expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
		expect(html).toContain('<meta name="robots" content="noindex, nofollow">');
		expect(html).toContain("default-src 'none'");
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/<link\b/i);
		expect(html).not.toMatch(/\s(src|href)=["']?https?:/i);
		expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
	});

	it('draws the two time-series charts as inline SVG, each at a wide and a narrow size', () => {
		const svgs = html.match(/<svg\b/g) ?? [];
		expect(svgs).toHaveLength(4);
		expect(html).toMatch(/<svg[^>]*width="720"/);
		expect(html).toMatch(/<svg[^>]*width="360"/);
		expect(html).toContain('Opens and clicks (per hour)');
		expect(html).toContain('Bounces and unsubscribes (per hour)');
	});

	it('shows the headline figures, every link, every domain and every bounce reason', () => {
		const report = syntheticReport();
		expect(html).toContain('3,200');
		expect(html).toContain('3,079');
		for (const link of report.links) expect(html).toContain(link.url.replace(/&/g, '&amp;'));
		for (const domain of report.domains) expect(html).toContain(`>${domain.domain}<`);
		for (const reason of report.bounced.byReason) expect(html).toContain(`>${reason.reason}<`);
		expect(html).toContain('87 more domains not shown.');
		// Header times are in the report's time zone: 00:00 UTC is 09:00 in Tokyo.
		expect(html).toContain('2026/12/1 09:00 – 2026/12/1 09:41 (Asia/Tokyo)');
		expect(html).toContain('>12/1 09:00<');
		expect(html).toContain('Reasons from the bounce classifier');
	});

	it('labels in Japanese when asked', () => {
		const ja = renderReportHtml(syntheticReport(), { language: 'ja' });
		expect(ja).toContain('<html lang="ja">');
		expect(ja).toContain('開封率');
		expect(ja).toContain('バウンス理由');
		expect(ja).toContain('開封とクリック (1時間ごと)');
		expect(ja).not.toContain('Open rate');
	});

	it('escapes every piece of text from the campaign, so a link or reason cannot inject markup', () => {
		const page = renderReportHtml(hostileReport(), { language: 'en' });
		expect(page).not.toMatch(/<script/i);
		expect(page).not.toContain('<img src=x');
		expect(page).not.toContain('<b>x</b>');
		expect(page).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
		expect(page).toContain('https://evil.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
	});

	it('renders a campaign with no events as a correct empty report', () => {
		const empty = syntheticReport({
			sent: 0,
			delivered: 0,
			links: [],
			domains: [],
			otherDomains: 0,
			clickToOpenRate: null,
			timeSeries: { bucket: 'hour', timeZone: 'UTC', buckets: [] },
		});
		const page = renderReportHtml(empty, { language: 'en' });
		expect(page).toContain('No events recorded yet.');
		expect(page).not.toMatch(/<svg\b/);
	});

	it('rejects a time zone that does not exist with a clear error', () => {
		const report = syntheticReport({ timeSeries: { bucket: 'day', timeZone: 'Mars/Olympus', buckets: [] } });
		expect(() => renderReportHtml(report, { language: 'en' })).toThrow(
			'Unknown time zone "Mars/Olympus": use an IANA name such as "Asia/Tokyo" or "UTC".',
		);
	});

	it('rejects an unknown language', () => {
		expect(() => renderReportHtml(syntheticReport(), { language: 'fr' as never })).toThrow(
			'Unknown report language "fr": use "en" or "ja".',
		);
	});

	it('aligns day buckets to the time zone', () => {
		const report = syntheticReport({
			timeSeries: {
				bucket: 'day',
				timeZone: 'Asia/Tokyo',
				buckets: [
					{ start: '2026-11-30T15:00:00.000Z', opens: 5, clicks: 1, bounces: 0, unsubscribes: 0 },
					{ start: '2026-12-01T15:00:00.000Z', opens: 3, clicks: 0, bounces: 1, unsubscribes: 0 },
				],
			},
		});
		const page = renderReportHtml(report, { language: 'en' });
		// 15:00 UTC is midnight in Tokyo: the buckets are Dec 1 and Dec 2 there.
		expect(page).toContain('>12/1<');
		expect(page).toContain('>12/2<');
		expect(page).toContain('Opens and clicks (per day)');
	});
});

describe('renderReportMailTable', () => {
	it('is tables only with inline styles: no SVG, no <style>, no scripts', () => {
		const fragment = renderReportMailTable(syntheticReport(), 'en');
		expect(fragment).not.toMatch(/<svg|<style|<script/i);
		expect((fragment.match(/<table\b/g) ?? []).length).toBe(6);
		expect(fragment).toContain('Click-to-open rate');
		expect(fragment).toContain('userunknown');
	});

	it('escapes text and speaks Japanese', () => {
		const fragment = renderReportMailTable(hostileReport(), 'ja');
		expect(fragment).not.toMatch(/<script/i);
		expect(fragment).toContain('受信ドメイン');
		expect(fragment).toContain('&lt;b&gt;x&lt;/b&gt;.example');
	});
});

describe('a campaign with 10,000 distinct links', () => {
	const links = Array.from({ length: 10_000 }, (_, index) => ({
		url: `https://shop.example.jp/p/${index}`,
		uniqueClicks: { human: 10_000 - index, machine: 0, unknown: 0 },
		totalClicks: { human: 10_000 - index, machine: 0, unknown: 0 },
	}));
	const report = syntheticReport({ links });

	it('shows the 200 most clicked on the page and says how many more there are', () => {
		const page = renderReportHtml(report, { language: 'en' });
		expect(page).toContain('>https://shop.example.jp/p/199<');
		expect(page).not.toContain('>https://shop.example.jp/p/200<');
		expect(page).toContain('9,800 more links with fewer clicks not shown.');
	});

	it('keeps a mail body to 25 links', () => {
		const fragment = renderReportMailTable(report, 'ja');
		expect(fragment).toContain('>https://shop.example.jp/p/24<');
		expect(fragment).not.toContain('>https://shop.example.jp/p/25<');
		expect(fragment).toContain('クリックの少ないリンク 9,975 件は省略しています。');
		expect(fragment.length).toBeLessThan(60_000);
	});
});
