/**
 * The event history fed by the real recording paths (issue #18), on SQLite and PostgreSQL: the
 * open pixel and click redirect classify with the request's user agent and address (Apple's
 * proxy → unknown, a scanner → machine) and group clicks by the template link in the token; a
 * provider batch classifies with SendGrid's sg_machine_open; a send run's flush counts sent mail
 * per domain; proof tokens (no subscriber, no campaign) record nothing; the hidden trap link of a
 * composed message records a machine's click and nothing else; webhook batches and pixel hits of
 * one campaign at once count each opener once (the history lock).
 */
import { LinkSigner, type SqlSubscriberStore } from '../../lib/store';
import type { NormalisedEvent } from '../../lib/events';
import { handleClick, handleOpen, recordEvents } from '../../lib/webhook';
import { createCampaign } from '../../lib/campaign';
import { compileTemplate } from '../../lib/compose';
import { BACKENDS, storePerTest } from '../helpers/stores';

const actor = { type: 'test', id: 'report-recording' };
const signer = new LinkSigner('link-signing-secret-of-32-chars!');
const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const T0 = Date.now() - 3_600_000;

async function seed(store: SqlSubscriberStore): Promise<{ campaignId: string; ids: string[] }> {
	const list = await store.createList({ name: 'News' }, actor);
	const ids: string[] = [];
	for (const email of ['a@gmail.com', 'b@icloud.com', 'c@yahoo.co.jp']) {
		ids.push((await store.upsertSubscriber(list.id, { email }, {}, actor)).subscriber!.id);
	}
	const campaign = await createCampaign(
		store,
		{ name: 'Spring', listId: list.id, template: { subject: 'Hi', html: '<p>Hi</p>', from: 'news@sender.example' } },
		actor,
	);
	for (const id of ids) {
		await store.sql.run("INSERT INTO send_log (campaign_id, subscriber_id, state, updated_at) VALUES (?, ?, 'sent', ?)", [
			campaign.id,
			id,
			new Date(T0).toISOString(),
		]);
	}
	await store.sql.run("UPDATE campaigns SET status = 'running', started_at = ?, sent = 3 WHERE id = ?", [new Date(T0).toISOString(), campaign.id]);
	return { campaignId: campaign.id, ids };
}

const request = (token: string, userAgent: string, remoteAddress: string) => ({
	method: 'GET',
	headers: { 'User-Agent': userAgent },
	query: { t: token },
	remoteAddress,
});

const sendgridOpen = (campaignId: string, id: string, subscriberId: string, raw: Record<string, unknown>): NormalisedEvent => ({
	provider: 'sendgrid',
	eventId: id,
	messageId: null,
	recipient: '',
	kind: 'open',
	smtpStatus: null,
	diagnostic: null,
	occurredAt: new Date().toISOString(),
	campaignId,
	subscriberId,
	raw,
});

describe.each(BACKENDS)('the event history from the recording paths (%s)', (backend) => {
	const handle = storePerTest(backend);

	it('classifies link hits by their request and groups clicks by the template link', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seed(store);
		const open = (s: string) => signer.sign('open', { subscriberId: s, campaignId });
		const click = (s: string, url: string) =>
			signer.sign('click', { subscriberId: s, campaignId, url, templateUrl: 'https://shop.example/item?id={{ subscriber.id }}' });
		await handleOpen(store, signer, request(open(ids[0]), BROWSER, '203.0.113.5'));
		await handleOpen(store, signer, request(open(ids[1]), 'Mozilla/5.0', '17.58.0.1')); // Apple's proxy
		await handleOpen(store, signer, request(open(ids[2]), 'Barracuda Sentinel (EE)', '198.51.100.2'));
		await handleClick(store, signer, request(click(ids[0], `https://shop.example/item?id=${ids[0]}`), BROWSER, '203.0.113.5'));
		await handleClick(store, signer, request(click(ids[1], `https://shop.example/item?id=${ids[1]}`), BROWSER, '203.0.113.6'));
		// a proof mail's tokens: no subscriber, no campaign — never counted
		await handleOpen(store, signer, request(signer.sign('open', { subscriberId: '' }), BROWSER, '203.0.113.5'));

		const report = await store.getCampaignReport(campaignId);
		expect(report.uniqueOpens).toEqual({ human: 1, unknown: 1, machine: 1 });
		expect(report.totalOpens).toEqual({ human: 1, unknown: 1, machine: 1 });
		expect(report.links).toEqual([
			{
				url: 'https://shop.example/item?id={{ subscriber.id }}',
				uniqueClicks: { human: 2, unknown: 0, machine: 0 },
				totalClicks: { human: 2, unknown: 0, machine: 0 },
			},
		]);
		const signals = await store.sql.all('SELECT type, class, signal FROM campaign_events ORDER BY type, class');
		expect(signals.map((r) => [Number(r.type), Number(r.class), Number(r.signal)])).toEqual([
			[1, 1, 9], // open, human, default
			[1, 2, 3], // open, unknown, apple-proxy
			[1, 3, 5], // open, machine, scanner-agent
			[2, 1, 9],
			[2, 1, 9],
		]);
	});

	it('puts a hidden trap link into composed mail; a fetch of it is a machine click (trap-link) that counts nowhere else', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seed(store);
		const template = compileTemplate(
			{ subject: 'Hi', html: '<html><body><p><a href="https://shop.example/sale">Sale</a></p></body></html>', from: 'news@sender.example' },
			{ baseUrl: 'https://hooks.example/bulk-mail', secret: 'link-signing-secret-of-32-chars!', trackClicks: true, trapLink: true },
		);
		const html = template.render({ id: ids[2], email: 'c@yahoo.co.jp', name: '', fields: {} }, { campaignId }).html!;
		// before </body>, after the reader's content: empty, hidden, out of the tab order and of screen readers
		const trap = /<a href="https:\/\/hooks\.example\/bulk-mail\/click\?t=([^"]+)" style="display:none;mso-hide:all" aria-hidden="true" tabindex="-1"><\/a><\/body>/.exec(html);
		expect(trap).not.toBeNull();
		expect(signer.verify('click', trap![1])).toEqual({ ok: true, claims: { subscriberId: ids[2], campaignId, trap: true } });
		// no campaign (a one-off message) or no click tracking: no trap link
		expect(template.render({ id: ids[2], email: 'c@yahoo.co.jp', name: '', fields: {} }).html).not.toContain('tabindex="-1"');

		// a scanner fetches every link of the message, the trap too
		const scanner = await handleClick(store, signer, request(trap![1], BROWSER, '198.51.100.7'));
		expect(scanner.response.status).toBe(200);
		expect(scanner.events).toEqual([]);
		const report = await store.getCampaignReport(campaignId);
		expect(report.totalClicks).toEqual({ human: 0, unknown: 0, machine: 1 });
		// listed apart from the message's own links, under its own name
		expect(report.links).toEqual([{ url: '(hidden trap link)', uniqueClicks: { human: 0, unknown: 0, machine: 1 }, totalClicks: { human: 0, unknown: 0, machine: 1 } }]);
		const [event] = await store.sql.all('SELECT type, class, signal FROM campaign_events WHERE subscriber_id = ?', [ids[2]]);
		expect([Number(event.type), Number(event.class), Number(event.signal)]).toEqual([2, 3, 1]); // click, machine, trap-link
		// not a reader's click: the campaign's counter and the recipient's first click stay as they were
		const campaign = await store.sql.get('SELECT clicked FROM campaigns WHERE id = ?', [campaignId]);
		expect(Number(campaign!.clicked)).toBe(0);
		const log = await store.sql.get('SELECT clicked_at FROM send_log WHERE campaign_id = ? AND subscriber_id = ?', [campaignId, ids[2]]);
		expect(log!.clicked_at).toBeNull();
	});

	it('classifies provider opens with SendGrid sg_machine_open and de-duplicates retries', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seed(store);
		const batch = [
			sendgridOpen(campaignId, 'sg-1', ids[0], { sg_machine_open: true, useragent: BROWSER, ip: '203.0.113.5' }),
			sendgridOpen(campaignId, 'sg-2', ids[1], { sg_machine_open: false, useragent: BROWSER, ip: '203.0.113.6' }),
		];
		await recordEvents(store, batch, { actor });
		await recordEvents(store, batch, { actor }); // the provider retries: nothing more
		const report = await store.getCampaignReport(campaignId);
		expect(report.totalOpens).toEqual({ human: 1, unknown: 0, machine: 1 });
		expect(report.uniqueOpens).toEqual({ human: 1, unknown: 0, machine: 1 });
		expect(report.domains.find((d) => d.domain === 'icloud.com')).toMatchObject({ opened: 1 });
		expect(report.domains.find((d) => d.domain === 'gmail.com')).toBeUndefined(); // a machine open is no opener
	});

	it('counts each recipient once when webhook batches and pixel hits of one campaign arrive at once', async () => {
		// The webhook records a batch's history in a transaction of its own, under the history lock
		// only; the pixel records it under the campaign lock and then the history lock. Both read a
		// recipient's marks and write them back: without that one lock, two would count one opener.
		const store = handle.store;
		const { campaignId, ids } = await seed(store);
		const batches = Array.from({ length: 6 }, (_, b) => ids.map((s, i) => sendgridOpen(campaignId, `race-${b}-${i}`, s, { useragent: BROWSER, ip: '203.0.113.7' })));
		const open = (s: string) => signer.sign('open', { subscriberId: s, campaignId });
		await Promise.all([
			...batches.map((batch) => recordEvents(store, batch, { actor })),
			...ids.map((s) => handleOpen(store, signer, request(open(s), BROWSER, '203.0.113.8'))),
		]);
		const report = await store.getCampaignReport(campaignId);
		expect(report.totalOpens).toEqual({ human: 21, unknown: 0, machine: 0 });
		expect(report.uniqueOpens).toEqual({ human: 3, unknown: 0, machine: 0 });
		const events = await store.sql.get('SELECT COUNT(*) AS n FROM campaign_events WHERE campaign_id = ?', [campaignId]);
		expect(Number(events?.n)).toBe(21);
		const counters = await store.sql.get('SELECT opened FROM campaigns WHERE id = ?', [campaignId]);
		expect(Number(counters?.opened)).toBe(3);
	});
});
