import { CORRELATION_HEADERS } from '../../../lib/events/types';
import { LinkSigner } from '../../../lib/store/linkTokens';
import { linkUrl } from '../../../lib/store/urls';
import { compileTemplate, ComposeError, PROOF_HEADER } from '../../../lib/compose';
import { BASE_URL, LINKS, SECRET, fixture, subscriber } from './helpers';

const signer = new LinkSigner(SECRET);
const FROM = 'Shop <news@shop.example.com>';

function tokenOf(url: string): string {
	return new URL(url).searchParams.get('t') as string;
}

function hrefs(html: string): string[] {
	return [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
}

describe('List-Unsubscribe (RFC 8058) and the unsubscribe merge fields', () => {
	const template = compileTemplate(
		{ subject: 's', html: fixture('newsletter.html'), from: FROM },
		LINKS,
	);
	const message = template.render(subscriber(), { campaignId: 'spring-2026' });

	test('headers carry an https one-click URL with a signed token', () => {
		const header = message.headers['List-Unsubscribe'];
		expect(header).toMatch(
			new RegExp(`^<${BASE_URL}/unsubscribe\\?t=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+>$`),
		);
		expect(message.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
		const verified = signer.verify('unsubscribe', tokenOf(header.slice(1, -1)));
		expect(verified).toEqual({
			ok: true,
			claims: { subscriberId: 'sub-1', campaignId: 'spring-2026' },
		});
	});

	test('the token holds ids only: no address or name in clear or in base64', () => {
		const token = tokenOf(message.headers['List-Unsubscribe'].slice(1, -1));
		const payload = Buffer.from(token.split('.')[0], 'base64url').toString('utf8');
		expect(payload).not.toMatch(/taro|example\.com|Yamada/i);
	});

	test('unsubscribe_url and preferences_url in the body are the signed links', () => {
		const links = hrefs(message.html);
		const unsubscribe = links.find((h) => h.includes('/unsubscribe?'));
		const preferences = links.find((h) => h.includes('/preferences?'));
		expect(unsubscribe).toBe(message.headers['List-Unsubscribe'].slice(1, -1));
		expect(signer.verify('preferences', tokenOf(preferences as string)).ok).toBe(true);
		// a preferences token is not an unsubscribe token
		expect(signer.verify('unsubscribe', tokenOf(preferences as string))).toEqual({
			ok: false,
			reason: 'bad-signature',
		});
	});

	test('the URL is what the shared URL layout gives for the token', () => {
		const url = message.headers['List-Unsubscribe'].slice(1, -1);
		expect(url).toBe(linkUrl(BASE_URL, 'unsubscribe', tokenOf(url)));
	});

	test('optional mailto is added after the https URL', () => {
		const withMailto = compileTemplate(
			{ subject: 's', text: 't', from: FROM },
			{ ...LINKS, unsubscribeMailto: 'unsubscribe@shop.example.com' },
		);
		const header = withMailto.render(subscriber()).headers['List-Unsubscribe'];
		expect(header).toMatch(
			/^<https:\/\/[^>]+>, <mailto:unsubscribe@shop\.example\.com\?subject=unsubscribe%20[A-Za-z0-9_.-]+>$/,
		);
	});

	test('each recipient gets its own token', () => {
		const other = template.render(subscriber({ id: 'sub-2', email: 'hanako@example.com' }), {
			campaignId: 'spring-2026',
		});
		expect(other.headers['List-Unsubscribe']).not.toBe(message.headers['List-Unsubscribe']);
	});

	test('correlation headers tie the message to campaign and subscriber', () => {
		expect(message.headers[CORRELATION_HEADERS.campaignId]).toBe('spring-2026');
		expect(message.headers[CORRELATION_HEADERS.subscriberId]).toBe('sub-1');
		expect(message.campaignId).toBe('spring-2026');
		expect(message.subscriberId).toBe('sub-1');
	});

	test('a recipient without a subscriber id cannot get signed links', () => {
		expect(() => template.render(subscriber({ id: null }))).toThrow(/has no subscriber id/);
		// …which is fine when nothing is signed (transactional mail, List-Unsubscribe off)
		const transactional = compileTemplate({ subject: 's', text: 'receipt', from: FROM }, { ...LINKS, listUnsubscribe: false });
		const receipt = transactional.render(subscriber({ id: null }), { campaignId: 'c' });
		expect(receipt.headers['List-Unsubscribe']).toBeUndefined();
		expect(receipt.subscriberId).toBeNull();
		expect(receipt.messageId).toMatch(/^<c\.[\w-]+@shop\.example\.com>$/);
	});

	test('without links configured, templates using unsubscribe_url are refused', () => {
		expect(() =>
			compileTemplate({ subject: 's', html: fixture('newsletter.html'), from: FROM }),
		).toThrow(/unsubscribe_url or preferences_url, which need the public base URL/);
		const plain = compileTemplate({ subject: 's', text: 'transactional', from: FROM }).render(
			subscriber({ id: null }),
		);
		expect(plain.headers['List-Unsubscribe']).toBeUndefined();
	});
});

describe('base URL', () => {
	test('must be https', () => {
		expect(() =>
			compileTemplate(
				{ subject: 's', text: 't', from: FROM },
				{ ...LINKS, baseUrl: 'http://n8n.local/webhook/x' },
			),
		).toThrow(
			expect.objectContaining({
				code: 'invalid-option',
				message: expect.stringMatching(/must use https/),
			}),
		);
	});

	test('plain http only with allowInsecureHttp, and then with a warning', () => {
		const template = compileTemplate(
			{ subject: 's', text: '{{ unsubscribe_url }}', from: FROM },
			{ ...LINKS, baseUrl: 'http://localhost:5678/webhook/x', allowInsecureHttp: true },
		);
		expect(template.warnings).toEqual([expect.stringMatching(/plain http.*local testing only/)]);
		expect(template.render(subscriber()).text).toMatch(
			/^http:\/\/localhost:5678\/webhook\/x\/unsubscribe\?t=/,
		);
	});

	test('a short secret is refused', () => {
		expect(() =>
			compileTemplate({ subject: 's', text: 't', from: FROM }, { ...LINKS, secret: 'short' }),
		).toThrow(ComposeError);
	});
});

describe('click tracking', () => {
	const template = compileTemplate(
		{ subject: 's', html: fixture('newsletter.html'), from: FROM },
		{ ...LINKS, trackClicks: true, trackOpens: true },
	);
	const message = template.render(subscriber(), {
		campaignId: 'spring-2026',
		item: { orderId: 'A-7' },
	});
	const links = hrefs(message.html);

	test('http(s) links become signed click links for the exact final URL', () => {
		const clicks = links.filter((h) => h.startsWith(`${BASE_URL}/click?t=`));
		const targets = clicks.map((h) => signer.verify('click', tokenOf(h)));
		expect(targets).toEqual([
			{
				ok: true,
				claims: {
					subscriberId: 'sub-1',
					campaignId: 'spring-2026',
					url: 'https://shop.example.com/deals?plan=pro&src=mail',
					// the link as the template wrote it, for the campaign report's per-link figures
					templateUrl: 'https://shop.example.com/deals?plan={{ fields.plan }}&src=mail',
				},
			},
			{
				ok: true,
				claims: {
					subscriberId: 'sub-1',
					campaignId: 'spring-2026',
					url: 'https://blog.example.com/posts/42',
				},
			},
		]);
	});

	test('mailto:, #anchors, data-no-track and the unsubscribe/preferences links are left alone', () => {
		expect(links).toContain('mailto:help@example.com');
		expect(links).toContain('#top');
		expect(links).toContain('https://shop.example.com/terms');
		expect(links.filter((h) => /\/(unsubscribe|preferences)\?t=/.test(h))).toHaveLength(2);
	});

	test('a click token for URL A cannot be used for URL B', () => {
		const token = tokenOf(links.find((h) => h.includes('/click?'))!);
		const [payload, mac] = token.split('.');
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
		const forgedPayload = Buffer.from(
			JSON.stringify({ ...claims, u: 'https://evil.example.net/' }),
		).toString('base64url');
		expect(signer.verify('click', `${forgedPayload}.${mac}`)).toEqual({
			ok: false,
			reason: 'bad-signature',
		});
		// nor as another purpose, nor with another secret
		expect(signer.verify('unsubscribe', token)).toEqual({ ok: false, reason: 'bad-signature' });
		expect(new LinkSigner('another-secret-0123456789').verify('click', token).ok).toBe(false);
		// one flipped signature character
		const flipped = `${payload}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
		expect(signer.verify('click', flipped).ok).toBe(false);
	});

	test('the open pixel sits right before </body> with a signed open token', () => {
		expect(message.html).toMatch(
			/<img src="https:\/\/[^"]+\/open\?t=[^"]+" width="1" height="1" alt=""><\/body>/,
		);
		const src = /<img src="([^"]+)" width="1"/.exec(message.html)![1];
		expect(signer.verify('open', tokenOf(src))).toEqual({
			ok: true,
			claims: { subscriberId: 'sub-1', campaignId: 'spring-2026' },
		});
	});

	test('the text part keeps the original links unless asked', () => {
		expect(message.text).toContain('https://blog.example.com/posts/42');
		expect(message.text).not.toContain('/click?t=');
		const textTracked = compileTemplate(
			{ subject: 's', html: fixture('newsletter.html'), from: FROM },
			{ ...LINKS, trackClicks: true, trackTextLinks: true },
		).render(subscriber());
		const textClicks = [
			...textTracked.text.matchAll(/https:\/\/\S+\/click\?t=([A-Za-z0-9_.-]+)/g),
		].map((m) => signer.verify('click', m[1]));
		expect(textClicks.map((r) => (r.ok ? r.claims.url : r.reason))).toEqual([
			'https://shop.example.com/deals?plan=pro&src=mail',
			'https://blog.example.com/posts/42',
		]);
		expect(textTracked.text).toContain('Terms [https://shop.example.com/terms]'); // data-no-track
		expect(textTracked.text).toMatch(/\/unsubscribe\?t=/);
	});

	test('links inside {% if %} and {% for %}, with merge fields in the URL, are tracked per iteration', () => {
		const loop = compileTemplate(
			{
				subject: 's',
				html: `{% for p in item.products %}<a href="https://shop.example.com/p/{{ p.id }}?u={{ fields.plan }}">{{ p.name }}</a>{% endfor %}{% if fields.vip %}<a href='https://vip.example.com'>vip</a>{% endif %}`,
				from: FROM,
			},
			{ ...LINKS, trackClicks: true },
		);
		const out = loop.render(subscriber(), {
			item: {
				products: [
					{ id: 1, name: 'A' },
					{ id: 'b&c', name: 'B' },
				],
			},
		});
		const urls = [...out.html.matchAll(/href=["']([^"']+)["']/g)].map((m) => {
			const result = signer.verify('click', tokenOf(m[1].replace(/&amp;/g, '&')));
			return result.ok ? result.claims.url : result.reason;
		});
		expect(urls).toEqual([
			'https://shop.example.com/p/1?u=pro',
			'https://shop.example.com/p/b&c?u=pro',
			'https://vip.example.com',
		]);
	});

	test('a merge field that is a whole URL is tracked when it is http(s), and only then', () => {
		const dynamic = compileTemplate(
			{ subject: 's', html: '<a href="{{ item.url }}">x</a>', from: FROM },
			{ ...LINKS, trackClicks: true },
		);
		const tracked = dynamic.render(subscriber(), {
			item: { url: 'https://a.example.com/?q="x"&r=1' },
		});
		const result = signer.verify('click', tokenOf(hrefs(tracked.html)[0]));
		expect(result.ok && result.claims.url).toBe('https://a.example.com/?q="x"&r=1');
		const notTracked = dynamic.render(subscriber(), { item: { url: 'javascript:alert(1)' } });
		expect(notTracked.html).toBe('<a href="javascript:alert(1)">x</a>');
	});

	test('links in HTML comments are not rewritten; a link with unclosed Liquid is reported', () => {
		const odd = compileTemplate(
			{
				subject: 's',
				html: '<!-- <a href="https://c.example.com">c</a> --><a href="https://x.example.com/{% if vip %}a">x</a>{% endif %}',
				from: FROM,
			},
			{ ...LINKS, trackClicks: true },
		);
		expect(odd.warnings).toEqual([
			expect.stringMatching(/line 1, column \d+ of the HTML body is not click-tracked/),
		]);
		expect(odd.render(subscriber()).html).toContain(
			'<!-- <a href="https://c.example.com">c</a> -->',
		);
	});

	test('tracking is off by default', () => {
		const plain = compileTemplate(
			{ subject: 's', html: fixture('newsletter.html'), from: FROM },
			LINKS,
		).render(subscriber());
		expect(plain.html).not.toMatch(/\/(click|open)\?t=/);
		expect(plain.html).toContain('href="https://blog.example.com/posts/42"');
	});

	test('tracking needs the base URL', () => {
		expect(() =>
			compileTemplate(
				{ subject: 's', text: 't', from: FROM },
				{ trackClicks: true, listUnsubscribe: false },
			),
		).toThrow(/need the public base URL/);
	});
});

describe('Message-ID', () => {
	const template = compileTemplate(
		{ subject: 's', text: 't', from: 'Shop <news@Shop.Example.com>' },
		LINKS,
	);

	const perRecipient = (campaignId: string) => ({ campaignId, messageIdFrom: 'recipient' as const });

	test('campaign runner: stable per (campaign, subscriber) on the From domain', () => {
		const first = template.render(subscriber(), perRecipient('c-1')).messageId;
		const again = template.render(subscriber(), perRecipient('c-1')).messageId;
		expect(first).toBe(again);
		expect(first).toMatch(/^<c-1\.sub-1\.[A-Za-z0-9_-]{20}@shop\.example\.com>$/);
		expect(template.render(subscriber({ id: 'sub-2' }), perRecipient('c-1')).messageId).not.toBe(
			first,
		);
		expect(template.render(subscriber(), perRecipient('c-2')).messageId).not.toBe(first);
	});

	test('item mode: every message its own id under a fixed campaign id, unless an idempotency key repeats it', () => {
		// Two order mails to one person under the same campaign id are two messages.
		const first = template.render(subscriber(), { campaignId: 'welcome' }).messageId;
		const second = template.render(subscriber(), { campaignId: 'welcome' }).messageId;
		expect(first).not.toBe(second);
		expect(first).toMatch(/^<welcome\.sub-1\.[A-Za-z0-9_-]{20}@shop\.example\.com>$/);
		expect(template.render(subscriber(), perRecipient('welcome')).messageId).not.toBe(first);
		// The same message composed again (a retried execution) keeps its id ...
		const order = (key: string) =>
			template.render(subscriber(), { campaignId: 'welcome', messageIdFrom: { key } }).messageId;
		expect(order('order-1001')).toBe(order('order-1001'));
		// ... another order, recipient or campaign gets another.
		expect(order('order-1002')).not.toBe(order('order-1001'));
		expect(
			template.render(subscriber({ id: 'sub-2' }), { campaignId: 'welcome', messageIdFrom: { key: 'order-1001' } })
				.messageId,
		).not.toBe(order('order-1001'));
		expect(template.render(subscriber(), { messageIdFrom: { key: 'order-1001' } }).messageId).not.toBe(
			order('order-1001'),
		);
		// An empty key is no key; an over-long one is refused.
		expect(template.render(subscriber(), { messageIdFrom: { key: ' ' } }).messageId).not.toBe(
			template.render(subscriber(), { messageIdFrom: { key: ' ' } }).messageId,
		);
		expect(() => template.render(subscriber(), { messageIdFrom: { key: 'k'.repeat(201) } })).toThrow(
			/longer than 200/,
		);
	});

	test('depends on the secret, so it cannot be predicted from the ids', () => {
		const other = compileTemplate(
			{ subject: 's', text: 't', from: 'news@shop.example.com' },
			{ ...LINKS, secret: 'another-secret-0123456789' },
		);
		expect(other.render(subscriber(), perRecipient('c-1')).messageId).not.toBe(
			template.render(subscriber(), perRecipient('c-1')).messageId,
		);
	});

	test('random without a campaign; odd ids are encoded; IDN domains become punycode', () => {
		const a = template.render(subscriber()).messageId;
		expect(a).not.toBe(template.render(subscriber()).messageId);
		const odd = template.render(subscriber({ id: 'a.b c@d' }), {
			campaignId: 'Spring 2026 <x>',
		}).messageId;
		expect(odd).toMatch(/^<[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+@shop\.example\.com>$/);
		const idn = compileTemplate({ subject: 's', text: 't', from: 'news@例え.jp' }).render(
			subscriber(),
			{ campaignId: 'c' },
		);
		expect(idn.messageId).toMatch(/@xn--r8jz45g\.jp>$/);
	});
});

describe('proof and preview', () => {
	const template = compileTemplate(
		{ subject: 'Deals for {{ name }}', html: fixture('newsletter.html'), from: FROM },
		{ ...LINKS, trackClicks: true, trackOpens: true },
	);

	test('proof: subject prefix, no tracking, no campaign or correlation headers, marked', () => {
		const proof = template.render(subscriber(), { campaignId: 'spring', proof: true });
		expect(proof.subject).toBe('[TEST] Deals for Taro Yamada');
		expect(proof.html).not.toMatch(/\/(click|open)\?t=/);
		expect(proof.headers[PROOF_HEADER]).toBe('1');
		expect(proof.headers[CORRELATION_HEADERS.campaignId]).toBeUndefined();
		expect(proof.headers[CORRELATION_HEADERS.subscriberId]).toBeUndefined();
		expect(proof.campaignId).toBeNull();
		expect(proof.subscriberId).toBeNull();
		expect(proof.messageId).not.toContain('spring');
	});

	test('proof links unsubscribe nobody (no subscriber in the token)', () => {
		const proof = template.render(subscriber(), { campaignId: 'spring', proof: true });
		const result = signer.verify(
			'unsubscribe',
			tokenOf(proof.headers['List-Unsubscribe'].slice(1, -1)),
		);
		expect(result).toEqual({ ok: true, claims: { subscriberId: '' } });
	});

	test('a custom proof prefix', () => {
		const custom = compileTemplate(
			{ subject: 'Hi', text: 't', from: FROM },
			{ ...LINKS, proofSubjectPrefix: '【テスト】' },
		);
		expect(custom.render(subscriber(), { proof: true }).subject).toBe('【テスト】 Hi');
	});

	test('preview: subject, html, text and headers for sample data, without tracking', () => {
		const shown = template.preview();
		expect(shown.subject).toBe('Deals for Sample Subscriber');
		expect(shown.html).toContain('Hello Sample Subscriber');
		expect(shown.html).not.toMatch(/\/(click|open)\?t=/);
		expect(shown.text).toContain('Hello Sample Subscriber');
		expect(shown.headers).toMatchObject({
			From: 'Shop <news@shop.example.com>',
			To: 'Sample Subscriber <subscriber@example.com>',
			Subject: 'Deals for Sample Subscriber',
			'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
			[PROOF_HEADER]: '1',
		});
		expect(template.preview(subscriber()).subject).toBe('Deals for Taro Yamada');
	});
});

describe('click tokens carry the template link for the campaign report (#18)', () => {
	const html =
		'<p><a href="https://shop.example.jp/item?id={{ subscriber.fields.plan }}&amp;src=mail">item</a> ' +
		'<a href="https://shop.example.jp/sale">sale</a></p>';
	const template = compileTemplate({ subject: 's', html, from: FROM }, { ...LINKS, trackClicks: true });

	test('a link with merge fields: the token has the personalised URL and the link as written', () => {
		const message = template.render(subscriber(), { campaignId: '7' });
		const [personal, plain] = hrefs(message.html).filter((h) => h.includes('/click?'));
		expect(signer.verify('click', tokenOf(personal))).toEqual({
			ok: true,
			claims: {
				subscriberId: 'sub-1',
				campaignId: '7',
				url: 'https://shop.example.jp/item?id=pro&src=mail',
				templateUrl: 'https://shop.example.jp/item?id={{ subscriber.fields.plan }}&src=mail',
			},
		});
		// a static link is its own template link: the token stays as short as before
		expect(signer.verify('click', tokenOf(plain))).toEqual({
			ok: true,
			claims: { subscriberId: 'sub-1', campaignId: '7', url: 'https://shop.example.jp/sale' },
		});
	});

	test('outside a campaign nothing is added', () => {
		const message = template.render(subscriber(), {});
		const [personal] = hrefs(message.html).filter((h) => h.includes('/click?'));
		const verified = signer.verify('click', tokenOf(personal));
		expect(verified.ok && verified.claims.templateUrl).toBe(undefined);
	});
});
