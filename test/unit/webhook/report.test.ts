/**
 * The report URL (lib/webhook report + reportLink) on real stores, both backends: a good token
 * shows the seeded campaign's report with safe headers; a tampered, expired, foreign-store,
 * subscriber-link or unknown-campaign token gets a clear refusal page and no figures.
 */
import { LinkSigner, openStore, type SqlSubscriberStore, type StoreConfig } from '../../../lib/store';
import { handleReport, reportLinkUrl, signReportLink, storeTag, verifyReportLink } from '../../../lib/webhook';
import { seedReportCampaign, type SeededReportCampaign } from '../../helpers/reportCampaign';
import { BACKENDS, storeFixture, type Backend, type StoreFixture } from '../../helpers/stores';
import { LINK_SECRET } from './helpers';

jest.setTimeout(120_000);

const signer = new LinkSigner(LINK_SECRET);
const NOW = Date.parse('2026-12-03T00:00:00Z');
const inDays = (days: number) => Math.floor(NOW / 1000) + days * 86_400;
const get = (token: string, headers: Record<string, string> = {}) => ({ method: 'GET', headers, query: { t: token } });

describe('report link tokens', () => {
	const claims = { campaignId: '12', storeTag: 'abc', expiresAt: inDays(7), timeZone: 'Asia/Tokyo', topDomains: 5 };

	it('verifies what it signed, with every claim', () => {
		expect(verifyReportLink(signer, signReportLink(signer, claims), NOW)).toEqual({ ok: true, claims });
	});

	it('refuses a changed payload, another secret, a cut token and an expired one', () => {
		const token = signReportLink(signer, claims);
		const [payload, mac] = token.split('.');
		const forged = Buffer.from(JSON.stringify({ c: '13', s: 'abc', e: inDays(7) })).toString('base64url');
		expect(verifyReportLink(signer, `${forged}.${mac}`, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
		expect(verifyReportLink(new LinkSigner('another-secret-of-enough-length'), token, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
		expect(verifyReportLink(signer, payload, NOW)).toEqual({ ok: false, reason: 'malformed' });
		expect(verifyReportLink(signer, '', NOW)).toEqual({ ok: false, reason: 'missing' });
		expect(verifyReportLink(signer, signReportLink(signer, { ...claims, expiresAt: inDays(-1) }), NOW)).toEqual({ ok: false, reason: 'expired' });
	});

	it('never passes as a subscriber link, nor a subscriber link as a report link', () => {
		const report = signReportLink(signer, claims);
		expect(signer.verify('unsubscribe', report, NOW).ok).toBe(false);
		const unsubscribe = signer.sign('unsubscribe', { subscriberId: '1', campaignId: '12' });
		expect(verifyReportLink(signer, unsubscribe, NOW).ok).toBe(false);
	});

	it('ties a link to the store location, never to its password', () => {
		const pg = (password: string, schema = 'bulk_mail'): StoreConfig => ({ backend: 'postgres', host: 'db', port: 5432, database: 'mail', user: 'u', password, schema });
		expect(storeTag(pg('one'))).toBe(storeTag(pg('two')));
		expect(storeTag(pg('one'))).not.toBe(storeTag(pg('one', 'other')));
		expect(storeTag({ backend: 'sqlite', file: 'a.sqlite' })).not.toBe(storeTag({ backend: 'sqlite', file: 'b.sqlite' }));
		expect(reportLinkUrl('https://n8n.example.com/webhook/abc', 'x.y')).toBe('https://n8n.example.com/webhook/abc/report?t=x.y');
	});
});

describe.each(BACKENDS)('the report endpoint (%s store)', (backend: Backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let seeded: SeededReportCampaign;
	let tag: string;
	const token = (campaignId: string, days = 7, extra: { storeTag?: string; timeZone?: string } = {}) =>
		signReportLink(signer, { campaignId, storeTag: extra.storeTag ?? tag, expiresAt: inDays(days), timeZone: extra.timeZone ?? 'Asia/Tokyo' });
	const serve = (request: ReturnType<typeof get>, language: 'auto' | 'en' | 'ja' = 'auto') =>
		handleReport(store, signer, request, { storeTag: tag, language, now: () => NOW });

	beforeAll(async () => {
		fixture = storeFixture(backend);
		store = await openStore(fixture.config);
		tag = storeTag(fixture.config);
		seeded = await seedReportCampaign(store, { recipients: 1200 });
	});

	afterAll(async () => {
		await store.close();
		await fixture.cleanup();
	});

	it('shows the report with private, script-free headers and no addresses', async () => {
		const result = await serve(get(token(seeded.campaignId)));
		expect(result.response.status).toBe(200);
		const headers = result.response.headers;
		expect(headers['X-Robots-Tag']).toBe('noindex, nofollow');
		expect(headers['X-Content-Type-Options']).toBe('nosniff');
		expect(headers['Referrer-Policy']).toBe('no-referrer');
		expect(headers['Cache-Control']).toContain('no-store');
		expect(headers['Content-Security-Policy']).toMatch(/default-src 'none'/);
		expect(headers['Content-Security-Policy']).not.toMatch(/script-src/);
		const html = String(result.response.body);
		expect(html).toContain('Winter sale 2026');
		expect(html).toContain('<svg');
		expect(html).toContain('Asia/Tokyo');
		expect(html).not.toMatch(/reader\d{5}@/);
		expect(html).not.toMatch(/<script/i);
		expect(html).not.toMatch(/(src|href)="https?:/i);
		expect(result.events).toEqual([]);
	});

	it('follows the page language option, or the browser', async () => {
		const ja = await serve(get(token(seeded.campaignId)), 'ja');
		expect(String(ja.response.body)).toContain('<html lang="ja">');
		const browser = await serve(get(token(seeded.campaignId), { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.5' }));
		expect(browser.response.headers['Content-Language']).toBe('ja');
		const en = await serve(get(token(seeded.campaignId), { 'accept-language': 'ja' }), 'en');
		expect(String(en.response.body)).toContain('<html lang="en">');
	});

	it('refuses a tampered token with 403 and an expired one with 410, saying so', async () => {
		const good = token(seeded.campaignId);
		const tampered = `${good.slice(0, -3)}${good.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`;
		const refused = await serve(get(tampered));
		expect(refused.response.status).toBe(403);
		expect(String(refused.response.body)).toContain('This report link is not valid');
		expect(String(refused.response.body)).not.toContain('Winter sale');
		const expired = await serve(get(token(seeded.campaignId, -1)), 'ja');
		expect(expired.response.status).toBe(410);
		expect(String(expired.response.body)).toContain('有効期限');
		expect((await serve(get(''))).response.status).toBe(403);
	});

	it('answers 404 for an unknown campaign and for a link made for another store', async () => {
		const unknown = await serve(get(token('987654')));
		expect(unknown.response.status).toBe(404);
		expect(String(unknown.response.body)).toContain('This report is not available');
		const foreign = await serve(get(token(seeded.campaignId, 7, { storeTag: 'another-store' })));
		expect(foreign.response.status).toBe(404);
		expect(String(foreign.response.body)).not.toContain('Winter sale');
		expect((await serve(get(token('not-an-id')))).response.status).toBe(404);
	});

	it('only answers GET', async () => {
		const result = await serve({ ...get(token(seeded.campaignId)), method: 'POST' });
		expect(result.response.status).toBe(405);
	});
});
