/**
 * Campaign reports (issue #18), store side, on real SQLite and PostgreSQL: the event history and
 * its rollups give exactly the figures of a seeded campaign (unique vs total, human / machine /
 * unknown, per template link, per domain, buckets in a zone), bad input gets clear errors, pruning
 * keeps every figure, and migration 8 keeps a campaign sent before it.
 */
import { createCampaign } from '../../lib/campaign';
import { humanOpenSql, ReportError, recordSendsIn, type HistoryEvent, type SqlSubscriberStore } from '../../lib/store';
import { BACKENDS, rollBackToSchemaVersion7, storeFixture, storePerTest } from '../helpers/stores';

const actor = { type: 'test', id: 'reports' };
const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const human = { userAgent: BROWSER, ip: '203.0.113.7' };
const LINK1 = 'https://shop.example.jp/item?id={{ subscriber.id }}';
const LINK2 = 'https://shop.example.jp/sale';
const EMAILS = ['a@gmail.com', 'b@Gmail.com', 'c@yahoo.co.jp', 'd@docomo.ne.jp', 'e@icloud.com'];

async function seedCampaign(store: SqlSubscriberStore): Promise<{ campaignId: string; ids: string[] }> {
	const list = await store.createList({ name: 'News' }, actor);
	const ids: string[] = [];
	for (const email of EMAILS) ids.push((await store.upsertSubscriber(list.id, { email }, {}, actor)).subscriber!.id);
	const campaign = await createCampaign(
		store,
		{ name: 'Winter sale', listId: list.id, template: { subject: 'Hi', html: '<p>Hi</p>', from: 'news@sender.example' } },
		actor,
	);
	for (const id of ids) {
		await store.sql.run("INSERT INTO send_log (campaign_id, subscriber_id, state, updated_at) VALUES (?, ?, 'sent', ?)", [campaign.id, id, at(0)]);
	}
	await store.sql.run(
		"UPDATE campaigns SET status = 'finished', started_at = ?, finished_at = ?, total_recipients = 5, sent = 5, complained = 1, unsubscribed = 1 WHERE id = ?",
		[at(0), at(M), campaign.id],
	);
	await store.transaction((tx) => recordSendsIn(tx, campaign.id, EMAILS));
	return { campaignId: campaign.id, ids };
}

function events(campaignId: string, ids: string[]): HistoryEvent[] {
	const [a, b, c, d, e] = ids;
	const ev = (subscriberId: string, type: HistoryEvent['type'], ms: number, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
		campaignId,
		subscriberId,
		type,
		occurredAt: at(ms),
		...extra,
	});
	const click = (s: string, ms: number, link: string, evidence = human) =>
		ev(s, 'click', ms, { templateUrl: link, url: link.replace('{{ subscriber.id }}', s), evidence });
	return [
		ev(c, 'open', 2 * S, { evidence: human }), // 2 s after delivery: a scanner (fast-fetch)
		ev(d, 'bounce', 10 * M, { bounceKind: 'hard', reason: 'userunknown', smtpStatus: '5.1.1' }),
		ev(e, 'bounce', 20 * M, { bounceKind: 'soft', smtpStatus: '4.2.2' }),
		ev(a, 'open', H, { evidence: human }),
		click(a, H + 5 * M, LINK1),
		ev(b, 'open', H + 10 * M, { evidence: { userAgent: 'Mozilla/5.0', ip: '17.58.1.2' } }), // Apple's proxy
		ev(a, 'open', 2 * H, { evidence: human }),
		click(c, 3 * H, LINK1),
		click(d, 4 * H, LINK1, { userAgent: 'python-requests/2.31', ip: '198.51.100.1' }),
		click(e, 4 * H, LINK1),
		click(e, 4 * H + 2 * S, LINK2), // every link of the message within seconds
		click(a, 5 * H, LINK2),
		ev(b, 'unsubscribe', 6 * H),
		ev(e, 'bounce', 7 * H, { bounceKind: 'soft', reason: 'mailboxfull', smtpStatus: '4.2.2' }),
		ev(b, 'delivered', 30 * S),
	];
}

describe.each(BACKENDS)('campaign reports from the event history (%s)', (backend) => {
	const handle = storePerTest(backend);

	it('gives exactly the seeded figures: unique vs total, classes, links, domains, reasons', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seedCampaign(store);
		const input = events(campaignId, ids);
		// two batches: the second half sees the marks the first half left
		const outcomes = [
			...(await store.transaction((tx) => store.recordCampaignHistoryIn(tx, input.slice(0, 7)))),
			...(await store.transaction((tx) => store.recordCampaignHistoryIn(tx, input.slice(7)))),
		];
		expect(outcomes.every((o) => o.recorded)).toBe(true);
		expect(outcomes[0]).toEqual({ recorded: true, class: 'machine', signal: 'fast-fetch' });
		expect(outcomes[5]).toEqual({ recorded: true, class: 'unknown', signal: 'apple-proxy' });
		expect(outcomes[8]).toEqual({ recorded: true, class: 'machine', signal: 'scanner-agent' });
		expect(outcomes[10]).toEqual({ recorded: true, class: 'machine', signal: 'all-links' });

		const report = await store.getCampaignReport(campaignId, { timeZone: 'Asia/Kolkata', bucket: 'hour', now: T0 + 8 * H });
		expect(report).toMatchObject({
			campaignId,
			campaignName: 'Winter sale',
			generatedAt: at(8 * H),
			recipients: 5,
			sent: 5,
			delivered: 3,
			failed: 0,
			complaints: 1,
			unsubscribes: 1,
			bounceReasonSource: 'classifier',
			uniqueOpens: { human: 1, unknown: 1, machine: 1 },
			totalOpens: { human: 2, unknown: 1, machine: 1 },
			uniqueClicks: { human: 3, unknown: 0, machine: 1 },
			totalClicks: { human: 4, unknown: 0, machine: 2 },
			clickToOpenRate: 1, // 3 human clickers / 2 possible openers, capped
			otherLinks: 0,
			otherDomains: 0,
		});
		expect(report.bounced).toEqual({
			total: 2,
			byKind: { hard: 1, soft: 1, sender: 0 },
			byReason: [
				{ reason: 'mailboxfull', kind: 'soft', recipients: 1 }, // e's last bounce decides (was 4xx)
				{ reason: 'userunknown', kind: 'hard', recipients: 1 },
			],
		});
		expect(report.links).toEqual([
			{ url: LINK1, uniqueClicks: { human: 3, unknown: 0, machine: 1 }, totalClicks: { human: 3, unknown: 0, machine: 1 } },
			{ url: LINK2, uniqueClicks: { human: 1, unknown: 0, machine: 1 }, totalClicks: { human: 1, unknown: 0, machine: 1 } },
		]);
		expect(report.domains).toEqual([
			{ domain: 'gmail.com', sent: 2, bounced: 0, opened: 2, clicked: 1 },
			{ domain: 'docomo.ne.jp', sent: 1, bounced: 1, opened: 0, clicked: 0 },
			{ domain: 'icloud.com', sent: 1, bounced: 1, opened: 0, clicked: 1 },
			{ domain: 'yahoo.co.jp', sent: 1, bounced: 0, opened: 0, clicked: 1 },
		]);
		// Asia/Kolkata is UTC+5:30: its hours begin at half past in UTC
		expect(report.timeSeries).toEqual({
			bucket: 'hour',
			timeZone: 'Asia/Kolkata',
			buckets: [
				{ start: '2026-11-30T23:30:00.000Z', opens: 0, clicks: 0, bounces: 2, unsubscribes: 0 },
				{ start: '2026-12-01T00:30:00.000Z', opens: 2, clicks: 1, bounces: 0, unsubscribes: 0 },
				{ start: '2026-12-01T01:30:00.000Z', opens: 1, clicks: 0, bounces: 0, unsubscribes: 0 },
				{ start: '2026-12-01T02:30:00.000Z', opens: 0, clicks: 1, bounces: 0, unsubscribes: 0 },
				{ start: '2026-12-01T03:30:00.000Z', opens: 0, clicks: 1, bounces: 0, unsubscribes: 0 },
				{ start: '2026-12-01T04:30:00.000Z', opens: 0, clicks: 1, bounces: 0, unsubscribes: 0 },
				{ start: '2026-12-01T05:30:00.000Z', opens: 0, clicks: 0, bounces: 0, unsubscribes: 1 },
				{ start: '2026-12-01T06:30:00.000Z', opens: 0, clicks: 0, bounces: 1, unsubscribes: 0 },
			],
		});
		const daily = await store.getCampaignReport(campaignId, { timeZone: 'Asia/Tokyo', bucket: 'auto', topDomains: 2 });
		expect(daily.timeSeries.bucket).toBe('hour'); // younger than three days
		const byDay = await store.getCampaignReport(campaignId, { timeZone: 'Asia/Tokyo', bucket: 'day', topDomains: 2 });
		expect(byDay.timeSeries.buckets).toEqual([{ start: '2026-11-30T15:00:00.000Z', opens: 3, clicks: 4, bounces: 3, unsubscribes: 1 }]);
		expect(byDay.domains.map((d) => d.domain)).toEqual(['gmail.com', 'docomo.ne.jp']);
		expect(byDay.otherDomains).toBe(2);

		// the audience work's helper: a human open (a), an Apple-proxy one (b), a scanner's (c)
		expect(await store.hadHumanOpen(campaignId, ids[0])).toBe(true);
		expect(await store.hadHumanOpen(campaignId, ids[1])).toBe(false);
		expect(await store.hadHumanOpen(campaignId, ids[2])).toBe(false);
		const humans = await store.sql.all(`SELECT s.id FROM subscribers s WHERE ${humanOpenSql('s.id')} ORDER BY s.id`, [campaignId]);
		expect(humans.map((row) => String(row.id))).toEqual([ids[0]]);
		expect(() => humanOpenSql('s.id; DROP TABLE x')).toThrow('is not a column reference');
		// no IP address or user agent is kept anywhere in the history
		const stored = JSON.stringify(await store.sql.all('SELECT * FROM campaign_events'));
		expect(stored).not.toMatch(/203\.0\.113|Mozilla|python/);
		expect(Number((await store.sql.get('SELECT COUNT(*) AS n FROM campaign_events'))!.n)).toBe(input.length);

		const [compared] = await store.compareCampaigns([campaignId]);
		expect(compared).toMatchObject({ campaignId, sent: 5, delivered: 3, uniqueOpens: 2, uniqueClicks: 3, bounced: 2, openRate: 2 / 3 });
	});

	it('does not record events of someone who is no recipient, nor of another campaign', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seedCampaign(store);
		const outsider = (await store.upsertSubscriber((await store.createList({ name: 'Other' }, actor)).id, { email: 'x@example.com' }, {}, actor)).subscriber!.id;
		const outcomes = await store.transaction((tx) =>
			store.recordCampaignHistoryIn(tx, [
				{ campaignId, subscriberId: outsider, type: 'open', occurredAt: at(H), evidence: human },
				{ campaignId: '999999', subscriberId: ids[0], type: 'open', occurredAt: at(H), evidence: human },
			]),
		);
		expect(outcomes).toEqual([{ recorded: false }, { recorded: false }]);
		const report = await store.getCampaignReport(campaignId);
		expect(report.totalOpens).toEqual({ human: 0, unknown: 0, machine: 0 });
	});

	it('gives a correct empty report, and clear errors for an unknown campaign or time zone', async () => {
		const store = handle.store;
		const list = await store.createList({ name: 'Empty' }, actor);
		const campaign = await createCampaign(
			store,
			{ name: 'Draft', listId: list.id, template: { subject: 'Hi', html: '<p>Hi</p>', from: 'news@sender.example' } },
			actor,
		);
		const report = await store.getCampaignReport(campaign.id, { timeZone: 'Asia/Tokyo' });
		expect(report).toMatchObject({
			sent: 0,
			delivered: 0,
			bounced: { total: 0, byKind: { hard: 0, soft: 0, sender: 0 }, byReason: [] },
			uniqueOpens: { human: 0, unknown: 0, machine: 0 },
			clickToOpenRate: null,
			links: [],
			domains: [],
			otherDomains: 0,
			timeSeries: { bucket: 'hour', timeZone: 'Asia/Tokyo', buckets: [] },
		});
		await expect(store.getCampaignReport('424242')).rejects.toThrow("Campaign '424242' does not exist in this store");
		await expect(store.getCampaignReport('not-an-id')).rejects.toBeInstanceOf(ReportError);
		await expect(store.getCampaignReport(campaign.id, { timeZone: 'Mars/Olympus_Mons' })).rejects.toThrow(
			"Unknown time zone 'Mars/Olympus_Mons'",
		);
		await expect(store.getCampaignReport(campaign.id, { topDomains: 0 })).rejects.toThrow('topDomains must be a whole number from 1 to 1000');
		await expect(store.compareCampaigns([campaign.id, '424242'])).rejects.toThrow("Campaign '424242' does not exist");
	});

	it('lists at most maxLinks of 10,000 distinct links and counts the rest', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seedCampaign(store);
		const clicks: HistoryEvent[] = [];
		for (let i = 0; i < 10_000; i++) {
			clicks.push({
				campaignId,
				subscriberId: ids[i % 5],
				type: 'click',
				occurredAt: at(H + i * M),
				url: `https://shop.example.jp/item/${i}`,
				evidence: human,
			});
		}
		await store.transaction((tx) => store.recordCampaignHistoryIn(tx, clicks));
		const report = await store.getCampaignReport(campaignId, { bucket: 'day' });
		expect(report.links).toHaveLength(100);
		expect(report.otherLinks).toBe(9_900);
		expect(report.totalClicks.human).toBe(10_000);
	});

	it('prunes old events by the retention setting and keeps every figure', async () => {
		const store = handle.store;
		const { campaignId, ids } = await seedCampaign(store);
		await store.transaction((tx) => store.recordCampaignHistoryIn(tx, events(campaignId, ids)));
		const before = await store.getCampaignReport(campaignId, { now: T0 });
		const counters = await store.sql.get('SELECT sent, opened, clicked, bounced FROM campaigns WHERE id = ?', [campaignId]);
		expect(await store.getEventRetention()).toEqual({ keepDays: null });
		expect(await store.pruneCampaignEvents({ now: T0 + 400 * 24 * H })).toBe(0); // default: keep all
		await expect(store.setEventRetention({ keepDays: 0 }, actor)).rejects.toThrow('keepDays must be empty');
		expect(await store.setEventRetention({ keepDays: 30 }, actor)).toEqual({ keepDays: 30 });
		expect(await store.pruneCampaignEvents({ now: T0 + 10 * 24 * H })).toBe(0); // not old enough yet
		expect(await store.pruneCampaignEvents({ now: T0 + 31 * 24 * H, limit: 4 })).toBe(4);
		expect(await store.pruneCampaignEvents({ now: T0 + 31 * 24 * H })).toBe(events(campaignId, ids).length - 4);
		expect(Number((await store.sql.get('SELECT COUNT(*) AS n FROM campaign_events'))!.n)).toBe(0);
		expect(await store.getCampaignReport(campaignId, { now: T0 })).toEqual(before);
		expect(await store.sql.get('SELECT sent, opened, clicked, bounced FROM campaigns WHERE id = ?', [campaignId])).toEqual(counters);
		expect(await store.hadHumanOpen(campaignId, ids[0])).toBe(true);
	});
});

describe.each(BACKENDS)('migration 8 on a store made before it (%s)', (backend) => {
	it('keeps a campaign sent before it: counters unchanged, its first opens and bounces in the report', async () => {
		const fixture = storeFixture(backend);
		let store = await fixture.open();
		try {
			const { campaignId, ids } = await seedCampaign(store);
			await rollBackToSchemaVersion7(store);
			// what a version-7 store recorded: first open / click / bounce times on the send log and the counters
			await store.sql.run('UPDATE send_log SET opened_at = ? WHERE campaign_id = ? AND subscriber_id IN (?, ?)', [at(H), campaignId, ids[0], ids[1]]);
			await store.sql.run('UPDATE send_log SET clicked_at = ? WHERE campaign_id = ? AND subscriber_id = ?', [at(2 * H), campaignId, ids[0]]);
			await store.sql.run('UPDATE send_log SET bounced_at = ? WHERE campaign_id = ? AND subscriber_id = ?', [at(10 * M), campaignId, ids[3]]);
			await store.sql.run('UPDATE campaigns SET opened = 2, clicked = 1, bounced = 1 WHERE id = ?', [campaignId]);
			const counters = await store.sql.get('SELECT sent, opened, clicked, bounced, complained, unsubscribed FROM campaigns WHERE id = ?', [campaignId]);
			await store.close();
			store = await fixture.open();
			expect((await store.info()).schemaVersion).toBeGreaterThanOrEqual(8);
			expect(await store.sql.get('SELECT sent, opened, clicked, bounced, complained, unsubscribed FROM campaigns WHERE id = ?', [campaignId])).toEqual(counters);
			const report = await store.getCampaignReport(campaignId, { timeZone: 'UTC', bucket: 'hour' });
			expect(report).toMatchObject({
				sent: 5,
				delivered: 4,
				uniqueOpens: { human: 0, unknown: 2, machine: 0 },
				totalOpens: { human: 0, unknown: 2, machine: 0 },
				uniqueClicks: { human: 0, unknown: 1, machine: 0 },
				bounced: { total: 1, byKind: { hard: 1, soft: 0, sender: 0 }, byReason: [{ reason: '5xx', kind: 'hard', recipients: 1 }] },
				bounceReasonSource: 'smtp-status-class',
			});
			expect(report.domains[0]).toEqual({ domain: 'gmail.com', sent: 2, bounced: 0, opened: 2, clicked: 0 });
			expect(report.timeSeries.buckets.map((b) => [b.start, b.opens, b.bounces])).toEqual([
				['2026-12-01T00:00:00.000Z', 0, 1],
				['2026-12-01T01:00:00.000Z', 2, 0],
			]);
			// new events after the migration build on the migrated marks: a's open stays one unique opener, now human
			await store.transaction((tx) =>
				store.recordCampaignHistoryIn(tx, [{ campaignId, subscriberId: ids[0], type: 'open', occurredAt: at(3 * H), evidence: human }]),
			);
			const after = await store.getCampaignReport(campaignId);
			expect(after.uniqueOpens).toEqual({ human: 1, unknown: 1, machine: 0 });
			expect(after.totalOpens).toEqual({ human: 1, unknown: 2, machine: 0 });
		} finally {
			await store.close();
			await fixture.cleanup();
		}
	});
});
