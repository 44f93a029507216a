/**
 * Double opt-in on both store backends: pending subscribers (never mailed by a campaign, never
 * downgraded from active), the confirmation message (signed expiring link, per-address re-send
 * limit, the seal Bulk Send checks), the confirm and preference endpoints (a GET changes nothing,
 * a link works once, tampered and expired links record nothing, hostile names are shown as
 * text, Japanese pages), consent records (audit log, export, erase) and the purge.
 */
import { createCampaign, runCampaign } from '../../../lib/campaign';
import { compileTemplate } from '../../../lib/compose';
import {
	consumeConfirmation,
	DEFAULT_CONFIRMATION_TEMPLATES,
	getConsents,
	markConfirmation,
	purgeUnconfirmed,
	renderConfirmation,
	reserveConfirmation,
	verifyConfirmationMark,
} from '../../../lib/optin';
import { portableCsv } from '../../../lib/ops';
import { LinkSigner } from '../../../lib/store/linkTokens';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import type { Subscriber } from '../../../lib/store/types';
import { handleConfirm, handlePreferences, type HttpRequest } from '../../../lib/webhook';
import { smtpSettingsFor, startSmtpServer } from '../../helpers/smtp';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor, LINK_SECRET } from '../webhook/helpers';

jest.setTimeout(60_000);

const BASE_URL = 'https://mail.example.com/webhook/abc';
const signer = new LinkSigner(LINK_SECRET);
const HOSTILE_LIST = '<script>alert("list")</script> & News';
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

function request(method: 'GET' | 'POST', query: Record<string, string>, form?: string | URLSearchParams, headers: Record<string, string> = {}): HttpRequest {
	return {
		method,
		headers: form === undefined ? headers : { 'content-type': 'application/x-www-form-urlencoded', ...headers },
		query,
		rawBody: form === undefined ? undefined : Buffer.from(String(form), 'utf8'),
		remoteAddress: '198.51.100.23',
	};
}

const body = (result: { response: { body: string | Buffer } }) => String(result.response.body);

async function snapshot(store: SqlSubscriberStore): Promise<string> {
	const subscribers = await store.sql.all('SELECT id, status, updated_at FROM subscribers ORDER BY id');
	const consents = await store.sql.all('SELECT id FROM consents ORDER BY id');
	const audit = await store.sql.all('SELECT seq FROM audit_log ORDER BY seq');
	return JSON.stringify({ subscribers, consents, audit: audit.length });
}

describe.each(BACKENDS)('double opt-in (%s store)', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let listId: string;

	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
		listId = (await store.createList({ name: HOSTILE_LIST }, actor)).id;
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
	});

	const addPending = async (email: string, name = 'Pat', list = listId): Promise<Subscriber> => {
		const result = await store.upsertSubscriber(list, { email, name, status: 'pending', source: 'signup-form' }, {}, actor);
		expect(result.subscriber?.status).toBe('pending');
		return result.subscriber!;
	};

	describe('pending subscribers', () => {
		it('are never mailed by a campaign', async () => {
			await store.bulkUpsert(listId, [{ email: 'active1@example.org' }, { email: 'active2@example.org' }], {}, actor);
			await addPending('pending1@example.org');
			await addPending('pending2@example.org');
			const server = await startSmtpServer({ keepRaw: false });
			try {
				const campaign = await createCampaign(
					store,
					{ name: 'News', listId, template: { subject: 'Hi', html: '<p>Hi {{ name }}</p>', from: 'news@sender.example' } },
					actor,
				);
				const summary = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(server) });
				expect(summary).toMatchObject({ status: 'finished', sentThisRun: 2 });
				const recipients = server.messages.flatMap((message) => message.to).sort();
				expect(recipients).toEqual(['active1@example.org', 'active2@example.org']);
			} finally {
				await server.close();
			}
		});

		it('asking for confirmation never downgrades an active subscriber nor reactivates an opted-out one', async () => {
			const active = (await store.upsertSubscriber(listId, { email: 'ann@example.org' }, {}, actor)).subscriber!;
			const again = await store.upsertSubscriber(listId, { email: 'ann@example.org', status: 'pending' }, {}, actor);
			expect(again).toMatchObject({ statusKept: 'active', subscriber: { id: active.id, status: 'active' } });

			const gone = (await store.upsertSubscriber(listId, { email: 'bob@example.org' }, {}, actor)).subscriber!;
			await store.setStatus(gone.id, 'unsubscribed', {}, actor);
			const back = await store.upsertSubscriber(listId, { email: 'bob@example.org', status: 'pending' }, {}, actor);
			expect(back).toMatchObject({ statusKept: 'unsubscribed', subscriber: { status: 'unsubscribed' } });

			await store.suppress('cho@example.org', 'complaint', 'test', actor);
			const suppressed = await store.upsertSubscriber(listId, { email: 'cho@example.org', status: 'pending' }, {}, actor);
			expect(suppressed.outcome).toBe('skipped-suppressed');
		});
	});

	describe('confirmation message', () => {
		const template = compileTemplate(
			{ ...DEFAULT_CONFIRMATION_TEMPLATES.en, from: 'News <news@sender.example>' },
			{ baseUrl: BASE_URL, secret: LINK_SECRET },
		);

		it('carries a signed, expiring confirm link and a seal only that message passes', async () => {
			const pending = await addPending('dan@example.org', 'Dan');
			const now = Date.UTC(2026, 10, 5, 12, 0, 0);
			const rendered = renderConfirmation({ template, subscriber: pending, listName: 'Weekly', baseUrl: BASE_URL, signer, validForHours: 48, now });
			expect(rendered.message.to.address).toBe('dan@example.org');
			expect(rendered.message.subject).toBe('Please confirm your subscription to Weekly');
			expect(rendered.message.text).toContain(rendered.confirmUrl);
			expect(rendered.message.html).toContain(`href="${rendered.confirmUrl}"`);
			const token = new URL(rendered.confirmUrl).searchParams.get('t')!;
			expect(rendered.confirmUrl.startsWith(`${BASE_URL}/confirm?t=`)).toBe(true);
			expect(signer.verify('confirm', token, now)).toEqual({ ok: true, claims: { subscriberId: pending.id, expiresAt: now / 1000 + 48 * 3600 } });
			expect(signer.verify('confirm', token, now + 49 * 3600 * 1000)).toEqual({ ok: false, reason: 'expired' });
			expect(signer.verify('unsubscribe', token, now).ok).toBe(false);

			const mark = markConfirmation(LINK_SECRET, rendered, 'nonce-1');
			expect(verifyConfirmationMark(LINK_SECRET, rendered.message, mark, now)).toMatchObject({ ok: true });
			// Another message under the same mark, another recipient, another secret, expired: refused.
			expect(verifyConfirmationMark(LINK_SECRET, { ...rendered.message, html: '<p>Buy now!</p>' }, mark, now)).toMatchObject({
				ok: false,
				reason: expect.stringMatching(/not the sealed confirmation/),
			});
			expect(verifyConfirmationMark(LINK_SECRET, { ...rendered.message, subject: 'Sale' }, mark, now).ok).toBe(false);
			expect(
				verifyConfirmationMark(LINK_SECRET, { ...rendered.message, to: { name: '', address: 'victim@example.org' } }, mark, now).ok,
			).toBe(false);
			expect(verifyConfirmationMark(LINK_SECRET, { ...rendered.message, subscriberId: '999' }, { ...mark, subscriberId: '999' }, now).ok).toBe(false);
			expect(verifyConfirmationMark('another-secret-of-enough-length', rendered.message, mark, now).ok).toBe(false);
			expect(verifyConfirmationMark(LINK_SECRET, rendered.message, mark, now + 49 * 3600 * 1000)).toMatchObject({ ok: false, reason: /expired/ });
			expect(verifyConfirmationMark(LINK_SECRET, rendered.message, undefined, now).ok).toBe(false);
		});

		it('renders the Japanese default template', async () => {
			const ja = compileTemplate({ ...DEFAULT_CONFIRMATION_TEMPLATES.ja, from: 'ニュース <news@sender.example>' }, { baseUrl: BASE_URL, secret: LINK_SECRET });
			const pending = await addPending('eri@example.jp', '山田 えり');
			const rendered = renderConfirmation({ template: ja, subscriber: pending, listName: '週刊ニュース', baseUrl: BASE_URL, signer });
			expect(rendered.message.subject).toBe('【週刊ニュース】購読登録の確認をお願いします');
			expect(rendered.message.html).toContain('山田 えり 様');
			expect(rendered.message.text).toContain(rendered.confirmUrl);
		});

		it('refuses a template without the confirm link', async () => {
			const pending = await addPending('fay@example.org');
			const bare = compileTemplate({ subject: 'Hi', text: 'Hello', from: 'news@sender.example' }, { baseUrl: BASE_URL, secret: LINK_SECRET });
			expect(() => renderConfirmation({ template: bare, subscriber: pending, listName: 'L', baseUrl: BASE_URL, signer })).toThrow(
				/does not show the confirm link: put \{\{ confirm_url \}\}/,
			);
		});

		it('holds the re-send limit per address (interval and daily cap), atomically', async () => {
			const pending = await addPending('gil@example.org');
			const t0 = Date.UTC(2026, 10, 5, 8, 0, 0);
			const minute = 60_000;
			const limits = { minIntervalMinutes: 10, maxPerDay: 3 };
			const first = await reserveConfirmation(store, pending, limits, actor, t0);
			expect(first).toMatchObject({ ok: true, sendsToday: 1 });
			const tooSoon = await reserveConfirmation(store, pending, limits, actor, t0 + 5 * minute);
			expect(tooSoon).toEqual({
				ok: false,
				reason: 'a confirmation mail was sent to this address less than 10 minutes ago',
				retryAfter: new Date(t0 + 10 * minute).toISOString(),
			});
			// The same address on another list (domain in other case) shares the limit.
			const otherList = (await store.createList({ name: 'Other' }, actor)).id;
			const twin = await addPending('gil@EXAMPLE.org', 'Gil', otherList);
			expect((await reserveConfirmation(store, twin, limits, actor, t0 + 6 * minute)).ok).toBe(false);
			expect(await reserveConfirmation(store, pending, limits, actor, t0 + 11 * minute)).toMatchObject({ ok: true, sendsToday: 2 });
			expect(await reserveConfirmation(store, pending, limits, actor, t0 + 22 * minute)).toMatchObject({ ok: true, sendsToday: 3 });
			const capped = await reserveConfirmation(store, pending, limits, actor, t0 + 60 * minute);
			expect(capped).toEqual({
				ok: false,
				reason: '3 confirmation mails were already sent to this address within 24 hours',
				retryAfter: new Date(t0 + 24 * 60 * minute).toISOString(),
			});
			// Concurrent form posts: exactly one gets through.
			const later = t0 + 25 * 60 * minute;
			const racing = await Promise.all(Array.from({ length: 6 }, () => reserveConfirmation(store, pending, limits, actor, later)));
			expect(racing.filter((result) => result.ok)).toHaveLength(1);
			const audit = await store.getAuditLog({ entityId: pending.id, action: 'subscriber.confirmation-sent' }, { limit: 20 });
			expect(audit.items).toHaveLength(4);
			await expect(reserveConfirmation(store, pending, { maxPerDay: 0 }, actor)).rejects.toThrow(/whole number from 1 to 100/);
		});

		it('lets Bulk Send take a reserved confirmation once, and only the newest', async () => {
			const pending = await addPending('hal@example.org');
			const t0 = Date.now();
			const first = await reserveConfirmation(store, pending, { minIntervalMinutes: 0 }, actor, t0);
			const second = await reserveConfirmation(store, pending, { minIntervalMinutes: 0 }, actor, t0 + 1000);
			if (!first.ok || !second.ok) throw new Error('reservations refused');
			expect(await consumeConfirmation(store, pending.email, first.nonce)).toBe(false); // superseded
			expect(await consumeConfirmation(store, pending.email, second.nonce)).toBe(true);
			expect(await consumeConfirmation(store, pending.email, second.nonce)).toBe(false); // once
		});
	});

	describe('confirm endpoint', () => {
		it('GET shows a button and changes nothing; POST confirms once with a consent record', async () => {
			const pending = await addPending('ivy@example.org', HOSTILE_NAME);
			const token = signer.sign('confirm', { subscriberId: pending.id, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
			const before = await snapshot(store);
			const page = await handleConfirm(store, signer, request('GET', { t: token }));
			expect(page.response.status).toBe(200);
			expect(body(page)).toContain('<html lang="en">');
			expect(body(page)).toContain('<form method="post"');
			expect(body(page)).toContain(`name="t" value="${token}"`);
			expect(body(page)).toContain('ivy@example.org');
			expect(body(page)).toContain('<p>Hello &lt;img src=x onerror=alert(1)&gt;,</p>');
			expect(body(page)).not.toContain('<img');
			expect(body(page)).not.toContain('<script>');
			expect(body(page)).toContain('&lt;script&gt;alert(&quot;list&quot;)&lt;/script&gt; &amp; News');
			// A scanner fetching it again, HEAD-like GETs with odd headers: still nothing.
			await handleConfirm(store, signer, request('GET', { t: token }, undefined, { 'user-agent': 'LinkScanner/1.0' }));
			expect(await snapshot(store)).toBe(before);

			const confirmed = await handleConfirm(store, signer, request('POST', {}, new URLSearchParams({ t: token }), { 'user-agent': 'Mozilla/5.0 test' }));
			expect(confirmed.response.status).toBe(200);
			expect(body(confirmed)).toContain('your subscription is confirmed');
			expect(confirmed.optin).toMatchObject({ outcome: 'confirmed', changed: [{ id: pending.id, from: 'pending', to: 'active' }] });
			expect((await store.getSubscriber({ id: pending.id }))!.status).toBe('active');
			const consents = await getConsents(store, pending.id);
			expect(consents).toEqual([
				expect.objectContaining({
					subscriberId: pending.id,
					listId,
					method: 'double-opt-in',
					source: 'signup-form',
					ip: '198.51.100.23',
					userAgent: 'Mozilla/5.0 test',
					requestedAt: pending.createdAt,
				}),
			]);
			const audit = await store.getAuditLog({ entityId: pending.id, action: 'subscriber.confirm' }, { limit: 5 });
			expect(audit.items).toHaveLength(1);
			expect(audit.items[0].details).toEqual({
				from: 'pending',
				to: 'active',
				listId,
				consentId: consents[0].id,
				method: 'double-opt-in',
				source: 'signup-form',
			});
			expect(JSON.stringify(audit.items[0])).not.toContain('198.51.100.23');

			// The link works once: a second POST changes and records nothing.
			const afterFirst = await snapshot(store);
			const again = await handleConfirm(store, signer, request('POST', { t: token }, ''));
			expect(again.response.status).toBe(200);
			expect(again.optin?.outcome).toBe('already-confirmed');
			expect(body(again)).toContain('already confirmed');
			expect(await snapshot(store)).toBe(afterFirst);
		});

		it('refuses tampered, expired, wrong-purpose and missing tokens with a 403 page, recording nothing', async () => {
			const pending = await addPending('jon@example.org');
			const expiresAt = Math.floor(Date.now() / 1000) + 3600;
			const valid = signer.sign('confirm', { subscriberId: pending.id, expiresAt });
			// The same subscriber with a later expiry, under the original signature.
			const payload = Buffer.from(JSON.stringify({ s: pending.id, e: expiresAt + 86_400 })).toString('base64url');
			const tampered = [
				`${valid.slice(0, -3)}${valid.endsWith('AAA') ? 'BBB' : 'AAA'}`,
				`${Buffer.from(JSON.stringify({ s: '1', e: 9999999999 })).toString('base64url')}.${valid.split('.')[1]}`,
				`${payload}.${valid.split('.')[1]}`,
			];
			const expired = signer.sign('confirm', { subscriberId: pending.id, expiresAt: Math.floor(Date.now() / 1000) - 1 });
			const otherPurpose = signer.sign('unsubscribe', { subscriberId: pending.id });
			const foreign = new LinkSigner('a-different-secret-of-32-chars!!').sign('confirm', { subscriberId: pending.id });
			const before = await snapshot(store);
			for (const token of [...tampered, expired, otherPurpose, foreign]) {
				for (const method of ['GET', 'POST'] as const) {
					const result = await handleConfirm(store, signer, request(method, { t: token }, method === 'POST' ? '' : undefined));
					expect(result.response.status).toBe(403);
					expect(body(result)).toContain('This link is not valid');
					expect(result.rejected?.status).toBe(403);
				}
			}
			const missing = await handleConfirm(store, signer, request('POST', {}, ''));
			expect(missing.rejected).toEqual({ status: 403, reason: 'The link has no token' });
			const expiredResult = await handleConfirm(store, signer, request('POST', { t: expired }, ''));
			expect(expiredResult.rejected?.reason).toBe('The link has expired');
			expect(await snapshot(store)).toBe(before);
			expect((await store.getSubscriber({ id: pending.id }))!.status).toBe('pending');
		});

		it('never turns an opted-out subscriber active, and says so', async () => {
			const pending = await addPending('kim@example.org');
			const token = signer.sign('confirm', { subscriberId: pending.id });
			await store.setStatus(pending.id, 'unsubscribed', {}, actor);
			const result = await handleConfirm(store, signer, request('POST', { t: token }, ''));
			expect(result.response.status).toBe(409);
			expect(result.optin?.outcome).toBe('refused');
			expect((await store.getSubscriber({ id: pending.id }))!.status).toBe('unsubscribed');
			expect(await getConsents(store, pending.id)).toEqual([]);
		});

		it('renders Japanese pages from Accept-Language or the option', async () => {
			const pending = await addPending('lee@example.jp', '李');
			const token = signer.sign('confirm', { subscriberId: pending.id });
			const ja = await handleConfirm(store, signer, request('GET', { t: token }, undefined, { 'accept-language': 'fr;q=0.9, ja-JP, en;q=0.5' }));
			expect(body(ja)).toContain('<html lang="ja">');
			expect(body(ja)).toContain('購読登録の確認');
			expect(body(ja)).toContain('登録を確定する');
			expect(ja.response.headers['Content-Language']).toBe('ja');
			const forced = await handleConfirm(store, signer, request('GET', { t: token }), { language: 'ja' });
			expect(body(forced)).toContain('登録を確定する');
			const en = await handleConfirm(store, signer, request('GET', { t: token }, undefined, { 'accept-language': 'de-DE, en;q=0.1' }));
			expect(body(en)).toContain('<html lang="en">');
			const done = await handleConfirm(store, signer, request('POST', { t: token, lang: 'ja' }, ''));
			expect(body(done)).toContain('購読が確定しました');
			const invalid = await handleConfirm(store, signer, request('GET', { t: 'x.y' }, undefined, { 'accept-language': 'ja' }));
			expect(invalid.response.status).toBe(403);
			expect(body(invalid)).toContain('このリンクは無効です');
		});
	});

	describe('preferences endpoint', () => {
		it('lists the address on every list, leaves the chosen ones, then all; GET changes nothing', async () => {
			const sports = (await store.createList({ name: 'Sports' }, actor)).id;
			const deals = (await store.createList({ name: 'Deals' }, actor)).id;
			const mine = (await store.upsertSubscriber(listId, { email: 'max@example.org', name: HOSTILE_NAME }, {}, actor)).subscriber!;
			const mySports = (await store.upsertSubscriber(sports, { email: 'max@Example.org' }, {}, actor)).subscriber!;
			const myDeals = await addPending('max@example.org', 'Max', deals);
			// Someone else's row on the same list must never be touched through this link.
			const other = (await store.upsertSubscriber(sports, { email: 'other@example.org' }, {}, actor)).subscriber!;
			const token = signer.sign('preferences', { subscriberId: mine.id });

			const before = await snapshot(store);
			const page = await handlePreferences(store, signer, request('GET', { t: token }));
			expect(page.response.status).toBe(200);
			const html = body(page);
			expect(html).toContain('max@example.org');
			expect(html).toContain('Sports (subscribed)');
			expect(html).toContain('Deals (waiting for confirmation)');
			expect(html).toContain('&lt;script&gt;alert(&quot;list&quot;)&lt;/script&gt; &amp; News (subscribed)');
			expect(html).not.toMatch(/<script|<img/);
			expect(html).toMatch(/<input type="checkbox" id="f0c\d" name="list" value="\d+"> <label for="f0c\d">/);
			expect(html).toContain('<legend>Choose the lists to leave</legend>');
			expect(html).not.toContain('other@example.org');
			expect(await snapshot(store)).toBe(before);

			const form = new URLSearchParams({ t: token, action: 'leave' });
			form.append('list', sports);
			form.append('list', 'not-a-number');
			const left = await handlePreferences(store, signer, request('POST', { t: token }, form));
			expect(left.response.status).toBe(200);
			expect(body(left)).toContain('You left: “Sports”.');
			expect(body(left)).toContain('Sports (unsubscribed)');
			expect(left.optin?.changed).toEqual([{ id: mySports.id, listId: sports, from: 'active', to: 'unsubscribed' }]);
			expect((await store.getSubscriber({ id: mySports.id }))!.status).toBe('unsubscribed');
			expect((await store.getSubscriber({ id: mine.id }))!.status).toBe('active');
			expect((await store.getSubscriber({ id: other.id }))!.status).toBe('active');

			const all = await handlePreferences(store, signer, request('POST', { t: token }, new URLSearchParams({ t: token, action: 'all' })));
			expect(body(all)).toContain('You are unsubscribed from all lists.');
			expect((await store.getSubscriber({ id: mine.id }))!.status).toBe('unsubscribed');
			expect((await store.getSubscriber({ id: myDeals.id }))!.status).toBe('unsubscribed');
			expect((await store.getSubscriber({ id: other.id }))!.status).toBe('active');
			const audit = await store.getAuditLog({ entityId: myDeals.id, action: 'subscriber.status' }, { limit: 5 });
			expect(audit.items[0].details).toMatchObject({ from: 'pending', to: 'unsubscribed', reason: 'preferences page: unsubscribe from all' });

			const forged = signer.sign('unsubscribe', { subscriberId: mine.id });
			const refused = await handlePreferences(store, signer, request('POST', { t: forged }, new URLSearchParams({ t: forged, action: 'all' })));
			expect(refused.response.status).toBe(403);
		});

		it('renders the Japanese preference page', async () => {
			const mine = (await store.upsertSubscriber(listId, { email: 'nao@example.jp' }, {}, actor)).subscriber!;
			const token = signer.sign('preferences', { subscriberId: mine.id });
			const page = await handlePreferences(store, signer, request('GET', { t: token }, undefined, { 'accept-language': 'ja,en;q=0.8' }));
			const html = body(page);
			expect(html).toContain('<html lang="ja">');
			expect(html).toContain('購読の設定');
			expect(html).toContain('(購読中)');
			expect(html).toContain('すべてのリストの配信を停止する');
		});
	});

	describe('consent records and purge', () => {
		it('exports consent records and blanks their IP and user agent on erase', async () => {
			const pending = await addPending('oda@example.org');
			const token = signer.sign('confirm', { subscriberId: pending.id });
			await handleConfirm(store, signer, request('POST', { t: token }, '', { 'user-agent': 'UA/1' }));
			const csv = await portableCsv(store, 'consents', { bom: false });
			const text = await new Promise<string>((resolve, reject) => {
				const chunks: Buffer[] = [];
				csv.stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
				csv.stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
				csv.stream.on('error', reject);
			});
			const [header, row] = text.trim().split('\n');
			expect(header).toBe('id,subscriber_id,list_id,method,source,ip,user_agent,requested_at,confirmed_at');
			expect(row).toContain(`,${pending.id},${listId},double-opt-in,signup-form,198.51.100.23,UA/1,`);
			await store.eraseSubscriber(pending.id, actor);
			expect(await getConsents(store, pending.id)).toEqual([expect.objectContaining({ ip: null, userAgent: null, method: 'double-opt-in' })]);
		});

		it('purges only unconfirmed pending rows older than the limit, audited', async () => {
			const stale = await addPending('old1@example.org');
			const stale2 = await addPending('old2@example.org');
			const fresh = await addPending('new@example.org');
			const confirmedOld = await addPending('confirmed@example.org');
			await handleConfirm(store, signer, request('POST', { t: signer.sign('confirm', { subscriberId: confirmedOld.id }) }, ''));
			const activeOld = (await store.upsertSubscriber(listId, { email: 'active@example.org' }, {}, actor)).subscriber!;
			const unsubscribedOld = (await store.upsertSubscriber(listId, { email: 'unsub@example.org' }, {}, actor)).subscriber!;
			await store.setStatus(unsubscribedOld.id, 'unsubscribed', {}, actor);
			const otherList = (await store.createList({ name: 'Other' }, actor)).id;
			const otherStale = await addPending('old3@example.org', 'X', otherList);
			// Age everything but `fresh` by 40 days; a pending row that was once confirmed (status
			// set back by hand) keeps its consent record and is not purged either.
			const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
			await store.sql.run('UPDATE subscribers SET updated_at = ?, created_at = ? WHERE id <> ?', [old, old, fresh.id]);
			await store.sql.run("UPDATE subscribers SET status = 'pending' WHERE id = ?", [confirmedOld.id]);

			const onlyOther = await purgeUnconfirmed(store, { olderThanDays: 30, listId: otherList }, actor);
			expect(onlyOther).toMatchObject({ purged: 1, byList: { [otherList]: 1 } });
			expect(await store.getSubscriber({ id: otherStale.id })).toBeNull();

			const hash = store.hashEmail('old1@example.org');
			await store.sql.run('INSERT INTO confirmation_sends (address_hash, last_sent_at, window_start, sends) VALUES (?, ?, ?, 1)', [hash, old, old]);
			await reserveConfirmation(store, fresh, {}, actor);
			const result = await purgeUnconfirmed(store, { olderThanDays: 30, batchSize: 1 }, actor);
			expect(result).toMatchObject({ purged: 2, olderThanDays: 30, byList: { [listId]: 2 }, resendCountersCleared: 1 });
			expect(Number((await store.sql.get('SELECT COUNT(*) AS n FROM confirmation_sends'))!.n)).toBe(1);
			expect(await store.getSubscriber({ id: stale.id })).toBeNull();
			expect(await store.getSubscriber({ id: stale2.id })).toBeNull();
			for (const kept of [fresh, confirmedOld, activeOld, unsubscribedOld]) expect(await store.getSubscriber({ id: kept.id })).not.toBeNull();
			const audit = await store.getAuditLog({ entityId: listId, action: 'subscriber.purge-unconfirmed' }, { limit: 5 });
			expect(audit.items.flatMap((entry) => entry.details.subscriberIds as string[]).sort()).toEqual([stale.id, stale2.id].sort());
			expect((await purgeUnconfirmed(store, { olderThanDays: 30 }, actor)).purged).toBe(0);
			await expect(purgeUnconfirmed(store, { olderThanDays: 0 }, actor)).rejects.toThrow(/1 to 3650 days/);
		});
	});
});
