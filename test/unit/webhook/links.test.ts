import { LinkSigner } from '../../../lib/store/linkTokens';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { handleClick, handleOpen, handleUnsubscribe, TRANSPARENT_GIF } from '../../../lib/webhook';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import { campaignRow, count, getRequest, LINK_SECRET, seedCampaign, seedList } from './helpers';

jest.setTimeout(30_000);

const signer = new LinkSigner(LINK_SECRET);
const otherSigner = new LinkSigner('another-secret-of-32-characters!');

/** Swaps the payload of a token while keeping its signature: what a tamperer can do. */
function tamper(token: string, claims: Record<string, unknown>): string {
	const signature = token.slice(token.indexOf('.') + 1);
	return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

function oneClick(token: string) {
	return {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		rawBody: Buffer.from('List-Unsubscribe=One-Click'),
		query: { t: token },
	};
}

describe.each(BACKENDS)('link endpoints (%s store)', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let ids: Record<string, string>;
	let listId: string;
	let campaignId: string;
	let listNumber = 0;

	// One store per backend; every test gets its own list, subscribers and campaign in it.
	beforeAll(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
	});

	beforeEach(async () => {
		listNumber += 1;
		const listName = `<script>alert("x")</script> & News ${listNumber}`;
		({ ids, listId } = await seedList(store, ['ann@example.com', 'bob@example.com'], listName));
		campaignId = await seedCampaign(store, listId, Object.values(ids));
	});

	afterAll(async () => {
		await store.close();
		await fixture.cleanup();
	});

	const auditCount = () =>
		count(
			store,
			"SELECT COUNT(*) AS n FROM audit_log WHERE action = 'delivery.unsubscribe' AND entity_id IN (?, ?)",
			[ids['ann@example.com'], ids['bob@example.com']],
		);

	describe('unsubscribe', () => {
		test('the RFC 8058 one-click POST unsubscribes at once, audited and counted on the campaign; again changes nothing', async () => {
			const token = signer.sign('unsubscribe', { subscriberId: ids['ann@example.com'], campaignId });
			const result = await handleUnsubscribe(store, signer, oneClick(token));
			expect(result.response.status).toBe(200);
			expect(String(result.response.body)).toContain('You are unsubscribed');
			expect(result.events).toHaveLength(1);
			expect(result.events[0]).toMatchObject({
				provider: 'link',
				kind: 'unsubscribe',
				recipient: 'ann@example.com',
				campaignId,
				subscriberId: ids['ann@example.com'],
				duplicate: false,
				statusAfter: 'unsubscribed',
				campaignCounted: true,
			});
			expect((await store.getSubscriber({ id: ids['ann@example.com'] }))!.status).toBe('unsubscribed');
			expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.status).toBe('active');
			expect(await auditCount()).toBe(1);
			expect((await campaignRow(store, campaignId)).unsubscribed).toBe(1);

			const again = await handleUnsubscribe(store, signer, oneClick(token));
			expect(again.response.status).toBe(200);
			expect(again.events[0]).toMatchObject({ duplicate: true, statusAfter: 'unsubscribed' });
			expect(await auditCount()).toBe(1);
			expect((await campaignRow(store, campaignId)).unsubscribed).toBe(1);
		});

		test('a GET only shows an escaped confirmation page whose button posts the token back', async () => {
			const token = signer.sign('unsubscribe', { subscriberId: ids['bob@example.com'] });
			const page = await handleUnsubscribe(store, signer, getRequest({ t: token }));
			expect(page.response.status).toBe(200);
			expect(page.response.headers['Content-Type']).toMatch(/^text\/html/);
			expect(page.response.headers['Content-Security-Policy']).toContain("default-src 'none'");
			expect(page.response.headers['Cache-Control']).toContain('no-store');
			const html = String(page.response.body);
			expect(html).toContain('bob@example.com');
			expect(html).toContain(`&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; News ${listNumber}`);
			expect(html).not.toMatch(/<script/i);
			expect(html).toContain(`<form method="post" action="?t=${token}">`);
			expect(page.events).toEqual([]);
			expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.status).toBe('active');
			expect(await auditCount()).toBe(0);

			// The page's button: a POST without a body, the token in the query.
			const confirmed = await handleUnsubscribe(store, signer, { method: 'POST', headers: {}, query: { t: token } });
			expect(confirmed.response.status).toBe(200);
			expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.status).toBe('unsubscribed');
		});

		test('a token in the form body works too', async () => {
			const token = signer.sign('unsubscribe', { subscriberId: ids['bob@example.com'] });
			const result = await handleUnsubscribe(store, signer, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				rawBody: Buffer.from(`t=${encodeURIComponent(token)}`),
			});
			expect(result.response.status).toBe(200);
			expect((await store.getSubscriber({ id: ids['bob@example.com'] }))!.status).toBe('unsubscribed');
		});

		test('tampered, foreign, expired, wrong-purpose and missing tokens get 403 and change nothing', async () => {
			const ann = ids['ann@example.com'];
			const bob = ids['bob@example.com'];
			const annToken = signer.sign('unsubscribe', { subscriberId: ann });
			const bad: Array<[string, string | undefined]> = [
				['tampered (Bob in Ann’s token)', tamper(annToken, { s: bob })],
				['signed with another secret', otherSigner.sign('unsubscribe', { subscriberId: bob })],
				['expired', signer.sign('unsubscribe', { subscriberId: bob, expiresAt: Date.now() / 1000 - 60 })],
				['an open token', signer.sign('open', { subscriberId: bob })],
				['garbage', 'not-a-token'],
				['missing', undefined],
			];
			for (const [name, token] of bad) {
				for (const request of [getRequest(token ? { t: token } : {}), oneClick(token ?? '')]) {
					const result = await handleUnsubscribe(store, signer, request);
					expect({ name, method: request.method, status: result.response.status }).toEqual({ name, method: request.method, status: 403 });
					expect(result.events).toEqual([]);
					expect(result.rejected?.reason).toBeTruthy();
				}
			}
			expect((await store.getSubscriber({ id: bob }))!.status).toBe('active');
			expect((await store.getSubscriber({ id: ann }))!.status).toBe('active');
			expect(await auditCount()).toBe(0);
		});

		test('a proof mail’s token (empty subscriber id) is answered and changes nothing', async () => {
			const token = signer.sign('unsubscribe', { subscriberId: '', campaignId });
			const page = await handleUnsubscribe(store, signer, getRequest({ t: token }));
			expect(page.response.status).toBe(200);
			const post = await handleUnsubscribe(store, signer, oneClick(token));
			expect(post.response.status).toBe(200);
			expect(post.events).toEqual([]);
			expect(await auditCount()).toBe(0);
			expect((await campaignRow(store, campaignId)).unsubscribed).toBe(0);
		});

		test('a deleted subscriber is acknowledged and reported as unknown', async () => {
			const token = signer.sign('unsubscribe', { subscriberId: '999999' });
			const result = await handleUnsubscribe(store, signer, oneClick(token));
			expect(result.response.status).toBe(200);
			expect(result.events[0]).toMatchObject({ unknownRecipient: true, recipient: '' });
		});
	});

	describe('open pixel', () => {
		test('answers a 1×1 GIF and counts the open once per recipient', async () => {
			const token = signer.sign('open', { subscriberId: ids['ann@example.com'], campaignId });
			const first = await handleOpen(store, signer, getRequest({ t: token }));
			expect(first.response.status).toBe(200);
			expect(first.response.headers['Content-Type']).toBe('image/gif');
			expect(Buffer.compare(first.response.body as Buffer, TRANSPARENT_GIF)).toBe(0);
			expect(TRANSPARENT_GIF.subarray(0, 6).toString()).toBe('GIF89a');
			expect(first.events[0]).toMatchObject({ kind: 'open', recipient: 'ann@example.com', campaignCounted: true, duplicate: false });
			const second = await handleOpen(store, signer, getRequest({ t: token }));
			expect(second.response.status).toBe(200);
			expect(second.events[0]).toMatchObject({ campaignCounted: false, duplicate: true });
			expect((await campaignRow(store, campaignId)).opened).toBe(1);
		});

		test('a tampered token gets 403 and counts nothing', async () => {
			const token = signer.sign('open', { subscriberId: ids['ann@example.com'], campaignId });
			const result = await handleOpen(store, signer, getRequest({ t: tamper(token, { s: ids['bob@example.com'], c: campaignId }) }));
			expect(result.response.status).toBe(403);
			expect(result.events).toEqual([]);
			expect((await campaignRow(store, campaignId)).opened).toBe(0);
		});
	});

	describe('click redirect', () => {
		const target = 'https://shop.example.net/spring?utm_source=news&x=<1>';

		test('redirects (302) to exactly the signed URL and counts the click (and an open)', async () => {
			const token = signer.sign('click', { subscriberId: ids['bob@example.com'], campaignId, url: target });
			const result = await handleClick(store, signer, getRequest({ t: token }));
			expect(result.response.status).toBe(302);
			expect(result.response.headers.Location).toBe(new URL(target).href);
			expect(result.events[0]).toMatchObject({ kind: 'click', url: target, recipient: 'bob@example.com', campaignCounted: true });
			expect(await campaignRow(store, campaignId)).toMatchObject({ clicked: 1, opened: 1 });
		});

		test('a token whose URL was swapped is refused with 403, no redirect and nothing counted', async () => {
			const token = signer.sign('click', { subscriberId: ids['bob@example.com'], campaignId, url: target });
			const evil = tamper(token, { s: ids['bob@example.com'], c: campaignId, u: 'https://evil.example/' });
			const result = await handleClick(store, signer, getRequest({ t: evil }));
			expect(result.response.status).toBe(403);
			expect(result.response.headers.Location).toBeUndefined();
			expect(result.events).toEqual([]);
			expect(await campaignRow(store, campaignId)).toMatchObject({ clicked: 0, opened: 0 });
		});

		test('only http(s) targets are followed, even when signed', async () => {
			const token = signer.sign('click', { subscriberId: ids['bob@example.com'], url: 'javascript:alert(1)' });
			const result = await handleClick(store, signer, getRequest({ t: token }));
			expect(result.response.status).toBe(400);
			expect(result.response.headers.Location).toBeUndefined();
		});

		test('the reader is still redirected (and the pixel still served) when the store cannot record the hit', async () => {
			// a real store of this backend, closed: every statement fails as in an outage
			const brokenFixture = storeFixture(backend);
			const broken = await brokenFixture.open();
			await broken.close();
			try {
				const token = signer.sign('click', { subscriberId: ids['bob@example.com'], campaignId, url: target });
				const click = await handleClick(broken, signer, getRequest({ t: token }));
				expect(click.response.status).toBe(302);
				expect(click.response.headers.Location).toBe(new URL(target).href);
				expect(click.events).toEqual([]);
				expect(click.unrecorded).toBeInstanceOf(Error);
				const pixel = await handleOpen(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')), signer, getRequest({ t: signer.sign('open', { subscriberId: ids['bob@example.com'], campaignId }) }));
				expect(pixel.response.status).toBe(200);
				expect(pixel.response.body).toEqual(TRANSPARENT_GIF);
				expect(pixel.unrecorded?.message).toMatch(/ECONNREFUSED/);
				// the store that works was not touched
				expect(await campaignRow(store, campaignId)).toMatchObject({ clicked: 0, opened: 0 });
			} finally {
				await brokenFixture.cleanup();
			}
		});

		test('a proof mail’s click redirects and records nothing', async () => {
			const token = signer.sign('click', { subscriberId: '', campaignId, url: target });
			const result = await handleClick(store, signer, getRequest({ t: token }));
			expect(result.response.status).toBe(302);
			expect(result.events).toEqual([]);
			expect((await campaignRow(store, campaignId)).clicked).toBe(0);
		});
	});
});
