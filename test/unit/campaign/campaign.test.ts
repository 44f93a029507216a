import {
	CampaignError,
	CampaignRunError,
	campaignStatus,
	cancelCampaign,
	createCampaign,
	getCampaign,
	getRecipients,
	listCampaigns,
	pauseCampaign,
	recordCampaignEvent,
	resumeCampaign,
	runCampaign,
	sendCampaignProof,
	type RecipientEntry,
} from '../../../lib/campaign';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpServersClosedAfterEach, smtpSettingsFor } from '../../helpers/smtp';
import type { ScriptAction, ScriptContext } from '../../helpers/smtp';
import { BACKENDS, storePerTest } from '../../helpers/stores';
import {
	actor,
	addSubscribers,
	address,
	expectCountersMatchLog,
	idOf,
	logStates,
	receivedCounts,
	seeded,
	TEMPLATE,
} from './helpers';

jest.setTimeout(60_000);

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe.each(BACKENDS)('campaign engine on %s', (backend) => {
	const server = smtpServersClosedAfterEach({ keepRaw: false });
	const opened = storePerTest(backend);
	let store: SqlSubscriberStore;
	beforeEach(() => {
		store = opened.store;
	});

	const newList = async (name = 'Readers') => (await store.createList({ name }, actor)).id;
	const newCampaign = async (listId: string, extra: Record<string, unknown> = {}) =>
		createCampaign(store, { name: 'Spring news', listId, template: TEMPLATE, ...extra }, actor);

	it('a unique key makes Create return the first campaign, even for creates that race; one run reports the finish', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 30);
		// Overlapping workflow runs creating "this week's" campaign at the same moment.
		const creates = await Promise.all(
			[1, 2, 3, 4].map(() => newCampaign(listId, { createKey: 'newsletter-2026-W49' })),
		);
		expect(new Set(creates.map((c) => c.id)).size).toBe(1);
		expect(creates.filter((c) => c.created)).toHaveLength(1);
		expect(creates[0].createKey).toBe('newsletter-2026-W49');
		const all = await listCampaigns(store, { listId });
		expect(all.items).toHaveLength(1);
		// Another key, or none, is another campaign; an over-long key is refused.
		const other = await newCampaign(listId, { createKey: 'newsletter-2026-W50' });
		expect(other).toMatchObject({ created: true });
		expect(other.id).not.toBe(creates[0].id);
		expect((await newCampaign(listId)).createKey).toBeNull();
		await expect(newCampaign(listId, { createKey: 'k'.repeat(201) })).rejects.toThrow(/longer than 200/);

		const srv = await server();
		const smtp = smtpSettingsFor(srv);
		const runs = await Promise.all(
			[1, 2, 3].map(() => runCampaign(store, creates[0].id, { smtp, batchSize: 5 })),
		);
		expect(runs.filter((run) => run.finishedThisRun)).toHaveLength(1);
		expect(runs.reduce((sum, run) => sum + run.sentThisRun, 0)).toBe(30);
		const again = await runCampaign(store, creates[0].id, { smtp });
		expect(again).toMatchObject({ outcome: 'finished', finishedThisRun: false, sentThisRun: 0 });
		const counts = receivedCounts(srv);
		expect(counts.size).toBe(30);
		for (const n of counts.values()) expect(n).toBe(1);
	});

	it('mails each active subscriber exactly once and never the others', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 120);
		await addSubscribers(store, listId, 3, { prefix: 'unsub', status: 'unsubscribed' });
		await addSubscribers(store, listId, 3, { prefix: 'pending', status: 'pending' });
		await addSubscribers(store, listId, 3, { prefix: 'bounced', status: 'bounced' });
		await addSubscribers(store, listId, 3, { prefix: 'complained', status: 'complained' });
		await addSubscribers(store, listId, 2, { prefix: 'trashed', status: 'trashed' });
		// active on the list but on the store-wide suppression list
		await addSubscribers(store, listId, 2, { prefix: 'suppressed' });
		await store.suppress(address(0, 'suppressed'), 'manual', 'test', actor);
		await store.suppress(address(1, 'suppressed'), 'manual', 'test', actor);
		// another list's subscribers are not members
		const otherList = await newList('Other');
		await addSubscribers(store, otherList, 5, { prefix: 'other' });

		const srv = await server({ keepRaw: true });
		const campaign = await newCampaign(listId);
		expect(campaign.status).toBe('draft');
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 3 } }),
			batchSize: 50,
		});

		expect(summary).toMatchObject({
			campaignId: campaign.id,
			status: 'finished',
			outcome: 'finished',
			sentThisRun: 120,
			failedThisRun: 0,
			unknownThisRun: 0,
			skippedThisRun: 2,
			remaining: 0,
			failures: [],
		});
		const counts = receivedCounts(srv);
		expect(counts.size).toBe(120);
		for (let i = 0; i < 120; i++) expect(counts.get(address(i))).toBe(1);
		for (const key of counts.keys()) expect(key).toMatch(/^reader\d+@example\.org$/);

		const status = await campaignStatus(store, campaign.id);
		expect(status.campaign.status).toBe('finished');
		expect(status.campaign.totalRecipients).toBe(122);
		expect(status.counters).toMatchObject({ sent: 120, failed: 0, unknown: 0, skipped: 2 });
		expect(status).toMatchObject({ handled: 122, remaining: 0, inFlight: 0, progressPct: 100 });
		expect(status.campaign.finishedAt).not.toBeNull();
		await expectCountersMatchLog(store, campaign.id);

		// the messages carry the correlation headers and the personalised content
		const first = srv.messages.find((m) => m.to[0] === address(7))!;
		const text = first.raw.toString('utf8');
		expect(text).toContain(`X-Bulk-Mail-Campaign: ${campaign.id}`);
		expect(text).toContain('Subject: News for Reader 7');

		// per-recipient states, paged by keyset, filterable by state
		const seen: RecipientEntry[] = [];
		let cursor: string | null = null;
		do {
			const page = await getRecipients(store, campaign.id, { limit: 40, cursor });
			seen.push(...page.items);
			cursor = page.next;
		} while (cursor);
		expect(seen).toHaveLength(122);
		expect(new Set(seen.map((r) => r.subscriberId)).size).toBe(122);
		const skipped = await getRecipients(store, campaign.id, { state: 'skipped', limit: 10 });
		expect(skipped.items.map((r) => r.email).sort()).toEqual([
			address(0, 'suppressed'),
			address(1, 'suppressed'),
		]);
		expect(skipped.items[0].error).toMatch(/suppression list/);
		const sent = seen.find((r) => r.email === address(7))!;
		expect(sent).toMatchObject({ state: 'sent', attempts: 1, error: null });
		expect(sent.messageId).toMatch(/^<.+@sender\.example>$/);
		expect(sent.response).toMatch(/^250 /);

		// a finished campaign's run does nothing
		const again = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) });
		expect(again).toMatchObject({ outcome: 'finished', sentThisRun: 0 });
		expect(srv.messages).toHaveLength(120);
	});

	it('honours a filter, and fixes membership when the campaign starts', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 60, {
			fields: (i) => ({ plan: i % 3 === 0 ? 'pro' : 'free' }),
		});
		const srv = await server({
			script: (ctx) => (ctx.stage === 'data' ? { delayMs: 5 } : undefined),
		});
		const campaign = await newCampaign(listId, {
			filter: { field: { name: 'plan', value: 'pro' } },
		});
		const first = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 1 } }),
			batchSize: 5,
			maxInFlight: 1,
			timeBudgetMs: 40,
		});
		expect(first.outcome).toBe('stopped');
		expect(first.remaining).toBeGreaterThan(0);
		// joins the list after the start: not a member, even with a matching plan
		await addSubscribers(store, listId, 5, { prefix: 'late', fields: () => ({ plan: 'pro' }) });
		const second = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) });
		expect(second.outcome).toBe('finished');
		const counts = receivedCounts(srv);
		expect(counts.size).toBe(20);
		for (let i = 0; i < 60; i += 3) expect(counts.get(address(i))).toBe(1);
		expect([...counts.keys()].some((k) => k.startsWith('late'))).toBe(false);
		expect((await getCampaign(store, campaign.id))!.totalRecipients).toBe(20);
	});

	it('does not mail someone who unsubscribes, is suppressed or deleted mid-campaign', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 40);
		const unsubscribeId = await idOf(store, listId, address(30));
		const deleteId = await idOf(store, listId, address(32));
		let changed: Promise<unknown> | null = null;
		const srv = await server({
			script: (ctx) => {
				if (ctx.stage === 'rcpt' && ctx.address === address(0)) {
					// the whole list is already claimed (one batch) when the first message arrives
					changed = Promise.all([
						store.setStatus(unsubscribeId, 'unsubscribed', { reason: 'clicked' }, actor),
						store.suppress(address(31), 'complaint elsewhere', 'test', actor),
						store.eraseSubscriber(deleteId, actor),
					]);
					return { delayMs: 300 };
				}
				return undefined;
			},
		});
		const campaign = await newCampaign(listId);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 1 } }),
			batchSize: 100,
			maxInFlight: 2,
			inFlightWindow: 4,
		});
		await changed;
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 37, skippedThisRun: 3 });
		const counts = receivedCounts(srv);
		expect(counts.has(address(30))).toBe(false);
		expect(counts.has(address(31))).toBe(false);
		expect([...counts.keys()].some((k) => k.startsWith('erased'))).toBe(false);
		for (let i = 0; i < 30; i++) expect(counts.get(address(i))).toBe(1);
		const skipped = await getRecipients(store, campaign.id, { state: 'skipped', limit: 10 });
		expect(skipped.items.map((r) => r.subscriberId).sort()).toEqual(
			[unsubscribeId, deleteId, await idOf(store, listId, address(31))].sort(),
		);
		expect(skipped.items.find((r) => r.subscriberId === unsubscribeId)!.error).toMatch(
			/unsubscribed/,
		);
		await expectCountersMatchLog(store, campaign.id);
	});

	it('records 550s as failures with a hard bounce, retries 4xx and delivers the rest exactly once', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 150);
		const permanent = new Set([3, 40, 77, 110, 149].map((i) => address(i)));
		const deferredForever = address(60);
		// a random 10% deferred at RCPT and 5% after the data, on the first attempt (and a few on
		// the second too), chosen up front so the outcome does not depend on the sending order
		const random = seeded(515);
		const deferAtRcpt = new Map<string, number>();
		const deferAtData = new Set<string>();
		for (let i = 0; i < 150; i++) {
			if (random() < 0.1) deferAtRcpt.set(address(i), random() < 0.3 ? 2 : 1);
			if (random() < 0.05) deferAtData.add(address(i));
		}
		const script = (ctx: ScriptContext): ScriptAction | undefined => {
			if (ctx.stage === 'rcpt' && permanent.has(ctx.address))
				return { reply: 550, message: '5.1.1 No such user' };
			if (ctx.stage === 'rcpt' && ctx.address === deferredForever)
				return { reply: 451, message: '4.2.0 Mailbox busy' };
			if (ctx.stage === 'rcpt' && ctx.seen <= (deferAtRcpt.get(ctx.address) ?? 0)) {
				return { reply: 451, message: '4.3.0 Try again later' };
			}
			if (ctx.stage === 'data' && ctx.seen === 1 && deferAtData.has(ctx.address)) {
				return { reply: 421, message: '4.7.0 Slow down' };
			}
			return undefined;
		};
		const srv = await server({ script });
		const campaign = await newCampaign(listId);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 3 } }),
			retry: FAST_RETRY,
			batchSize: 40,
		});
		expect(summary).toMatchObject({
			outcome: 'finished',
			sentThisRun: 144,
			failedThisRun: 6,
			unknownThisRun: 0,
		});
		const deferrals = srv.events.filter(
			(e) => e.reply && e.reply < 500 && e.address !== deferredForever,
		);
		expect(deferrals.length).toBeGreaterThan(10);

		const counts = receivedCounts(srv);
		for (let i = 0; i < 150; i++) {
			const expected = permanent.has(address(i)) || address(i) === deferredForever ? undefined : 1;
			expect(counts.get(address(i))).toBe(expected);
		}
		// a 550 is tried once; a deferral is tried up to the limit, never forever
		for (const rcpt of permanent) {
			expect(srv.events.filter((e) => e.address === rcpt)).toHaveLength(1);
		}
		expect(srv.events.filter((e) => e.address === deferredForever)).toHaveLength(
			FAST_RETRY.maxAttempts,
		);

		const hard = summary.failures.filter((f) => f.bounce === 'hard');
		expect(hard.map((f) => f.email).sort()).toEqual([...permanent].sort());
		for (const failure of hard) {
			expect(failure).toMatchObject({
				state: 'failed',
				attempts: 1,
				responseCode: 550,
				enhancedStatus: '5.1.1',
			});
			expect(failure.message).toMatch(/No such user/);
			const subscriber = await store.getSubscriber({ listId, email: failure.email });
			expect(subscriber).toMatchObject({ status: 'bounced', hardBounces: 1 });
		}
		const soft = summary.failures.find((f) => f.email === deferredForever)!;
		expect(soft).toMatchObject({ state: 'failed', bounce: 'soft', attempts: 3, responseCode: 451 });
		expect(await store.getSubscriber({ listId, email: deferredForever })).toMatchObject({
			status: 'active',
			softBounces: 1,
		});

		const status = await campaignStatus(store, campaign.id);
		expect(status.counters).toMatchObject({ sent: 144, failed: 6, bounced: 5 });
		await expectCountersMatchLog(store, campaign.id);
		const audit = await store.getAuditLog({ action: 'delivery.hard' }, { limit: 20 });
		expect(audit.items).toHaveLength(5);
	});

	it('runs in time-budget slices that resume without duplicates', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 150);
		const srv = await server({
			script: (ctx) => (ctx.stage === 'data' ? { delayMs: 8 } : undefined),
		});
		const campaign = await newCampaign(listId);
		const remainingSeen: number[] = [];
		let slices = 0;
		for (;;) {
			slices++;
			expect(slices).toBeLessThan(60);
			const summary = await runCampaign(store, campaign.id, {
				smtp: smtpSettingsFor(srv, { pool: { maxConnections: 2 } }),
				batchSize: 25,
				timeBudgetMs: 150,
			});
			// nothing is left claimed or half-sent between slices
			const states = await logStates(store, campaign.id);
			expect(states.claimed ?? 0).toBe(0);
			expect(states.sending ?? 0).toBe(0);
			remainingSeen.push(summary.remaining);
			if (summary.outcome === 'finished') break;
			expect(summary.outcome).toBe('stopped');
			expect(summary.status).toBe('running');
			expect(summary.remaining).toBeGreaterThan(0);
			// the budget is kept: in-flight messages finish, nothing new starts
			expect(summary.durationMs).toBeLessThan(5000);
		}
		expect(slices).toBeGreaterThan(2);
		// (a slice on a busy machine may spend its whole budget connecting)
		for (let i = 1; i < remainingSeen.length; i++)
			expect(remainingSeen[i]).toBeLessThanOrEqual(remainingSeen[i - 1]);
		const counts = receivedCounts(srv);
		expect(counts.size).toBe(150);
		for (const count of counts.values()) expect(count).toBe(1);
		await expectCountersMatchLog(store, campaign.id);
	});

	it('keeps a rate limit and ends a limited run on time', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 200);
		const srv = await server();
		const campaign = await newCampaign(listId);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv),
			limiter: { perSecond: 20 },
			timeBudgetMs: 1000,
		});
		expect(summary).toMatchObject({ outcome: 'stopped', limits: '20/s' });
		expect(summary.sentThisRun).toBeGreaterThanOrEqual(5);
		expect(summary.sentThisRun).toBeLessThanOrEqual(21);
		expect(summary.remaining).toBe(200 - summary.sentThisRun);
		// messages queued in the limiter are put back, not waited for
		expect(summary.durationMs).toBeLessThan(3000);
		const times = srv.messages.map((m) => m.receivedAt).sort((a, b) => a - b);
		for (let i = 0, j = 0; i < times.length; i++) {
			while (times[i] - times[j] >= 1000) j++;
			expect(i - j + 1).toBeLessThanOrEqual(21);
		}
		const states = await logStates(store, campaign.id);
		expect(states).toEqual({ sent: summary.sentThisRun, queued: expect.any(Number) });
	});

	it('shares a daily cap between the runs of a day (no Redis)', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 30);
		const srv = await server();
		const first = await newCampaign(listId);
		const run = (id: string) =>
			runCampaign(store, id, { smtp: smtpSettingsFor(srv), limiter: { perDay: 12 } });
		const morning = await run(first.id);
		expect(morning).toMatchObject({ outcome: 'daily-cap', status: 'running', sentThisRun: 12 });
		expect(morning.message).toMatch(/daily sending limit of 12/);
		// a later slice, and another campaign, the same day: the budget is spent
		const later = await run(first.id);
		expect(later).toMatchObject({ outcome: 'daily-cap', sentThisRun: 0, remaining: 18 });
		const other = await newCampaign(listId);
		expect(await run(other.id)).toMatchObject({ outcome: 'daily-cap', sentThisRun: 0 });
		expect(srv.messages).toHaveLength(12);
		const states = await logStates(store, first.id);
		expect(states).toEqual({ sent: 12, queued: 18 });
	});

	it('sends nothing before its send-at time, then sends once due', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 10);
		const srv = await server();
		const sendAt = new Date(Date.now() + 3_600_000).toISOString();
		const campaign = await newCampaign(listId, { sendAt });
		expect(campaign).toMatchObject({ status: 'scheduled', sendAt });
		const early = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) });
		expect(early).toMatchObject({
			outcome: 'not-due',
			status: 'scheduled',
			sentThisRun: 0,
			remaining: 10,
		});
		expect(early.message).toContain(sendAt);
		expect(srv.messages).toHaveLength(0);
		expect(await logStates(store, campaign.id)).toEqual({});
		const due = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv),
			now: () => Date.now() + 2 * 3_600_000,
		});
		expect(due).toMatchObject({ outcome: 'finished', sentThisRun: 10 });
		expect(srv.messages).toHaveLength(10);
	});

	it('stops when paused mid-run, does nothing while paused, and resumes to the end', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 80);
		let paused: Promise<unknown> | null = null;
		let campaignId = '';
		const srv = await server({
			script: (ctx) => {
				if (ctx.stage === 'data' && ctx.address === address(10)) {
					paused = pauseCampaign(store, campaignId, actor, 'Checking a complaint');
				}
				return ctx.stage === 'data' ? { delayMs: 3 } : undefined;
			},
		});
		campaignId = (await newCampaign(listId)).id;
		const smtp = smtpSettingsFor(srv, { pool: { maxConnections: 2 } });
		const first = await runCampaign(store, campaignId, { smtp, batchSize: 20 });
		await paused;
		expect(first).toMatchObject({ outcome: 'interrupted', status: 'paused' });
		expect(first.sentThisRun).toBeLessThan(80);
		expect((await getCampaign(store, campaignId))!.pauseReason).toBe('Checking a complaint');
		const states = await logStates(store, campaignId);
		expect(states.claimed ?? 0).toBe(0);
		expect(states.sending ?? 0).toBe(0);

		const whilePaused = await runCampaign(store, campaignId, { smtp });
		expect(whilePaused).toMatchObject({
			outcome: 'not-runnable',
			sentThisRun: 0,
			status: 'paused',
		});
		expect(whilePaused.message).toMatch(/paused \(Checking a complaint\)/);

		expect((await resumeCampaign(store, campaignId, actor)).status).toBe('running');
		const rest = await runCampaign(store, campaignId, { smtp });
		expect(rest.outcome).toBe('finished');
		expect(first.sentThisRun + rest.sentThisRun).toBe(80);
		const counts = receivedCounts(srv);
		expect(counts.size).toBe(80);
		for (const count of counts.values()) expect(count).toBe(1);
		await expectCountersMatchLog(store, campaignId);
	});

	it('a cancelled campaign sends nothing and cannot be resumed', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 5);
		const srv = await server();
		const campaign = await newCampaign(listId);
		expect((await cancelCampaign(store, campaign.id, actor)).status).toBe('cancelled');
		const summary = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) });
		expect(summary).toMatchObject({
			status: 'cancelled',
			outcome: 'not-runnable',
			sentThisRun: 0,
			remaining: 0,
		});
		expect(summary.message).toBe(`Campaign ${campaign.id} is cancelled; nothing was sent.`);
		expect(srv.messages).toHaveLength(0);
		await expect(resumeCampaign(store, campaign.id, actor)).rejects.toThrow(
			/cancelled and cannot be resumed/,
		);
		await expect(pauseCampaign(store, campaign.id, actor)).rejects.toThrow(CampaignError);
	});

	it('pauses itself when the failure rate passes the breaker threshold', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 100);
		const srv = await server({
			script: (ctx) =>
				ctx.stage === 'rcpt' ? { reply: 550, message: '5.7.1 Blocked by policy' } : undefined,
		});
		const campaign = await newCampaign(listId);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 2 } }),
			breaker: { windowSize: 20, thresholdPct: 50, minSamples: 10 },
		});
		expect(summary).toMatchObject({ outcome: 'paused', status: 'paused', sentThisRun: 0 });
		expect(summary.failedThisRun).toBeGreaterThanOrEqual(10);
		expect(summary.failedThisRun).toBeLessThan(50);
		expect(summary.remaining).toBe(100 - summary.failedThisRun);
		const stored = await getCampaign(store, campaign.id);
		expect(stored!.pauseReason).toMatch(/of the last \d+ sends failed/);
		// a policy block at RCPT is the sender's problem: never held against the subscriber
		expect(summary.failures[0]).toMatchObject({ bounce: 'sender', reason: 'blocked', enhancedStatus: '5.7.1' });
		const refused = await store.getSubscriber({ listId, email: summary.failures[0].email });
		expect(refused).toMatchObject({ status: 'active', hardBounces: 0, softBounces: 0 });
		const states = await logStates(store, campaign.id);
		expect(states.claimed ?? 0).toBe(0);
		expect(states.sending ?? 0).toBe(0);
		await expectCountersMatchLog(store, campaign.id);
	});

	it('stops with a clear error on an SMTP authentication failure and continues once fixed', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 30);
		const srv = await server({ auth: { user: 'sender', pass: 'right-password' } });
		const campaign = await newCampaign(listId);
		const wrong = smtpSettingsFor(srv, { user: 'sender', password: 'wrong-password' });
		const error = await runCampaign(store, campaign.id, { smtp: wrong }).catch((e) => e);
		expect(error).toBeInstanceOf(CampaignRunError);
		expect(error.message).toMatch(/Authentication failed for user "sender"/);
		expect(error.message).not.toContain('wrong-password');
		expect(error.summary).toMatchObject({ sentThisRun: 0, status: 'running', remaining: 30 });
		expect(srv.messages).toHaveLength(0);
		const states = await logStates(store, campaign.id);
		expect(states.claimed ?? 0).toBe(0);
		expect(states.sending ?? 0).toBe(0);
		expect((await getCampaign(store, campaign.id))!.lastError).toMatch(/Authentication failed/);

		const fixed = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { user: 'sender', password: 'right-password' }),
		});
		expect(fixed).toMatchObject({ outcome: 'finished', sentThisRun: 30 });
		expect((await getCampaign(store, campaign.id))!.lastError).toBeNull();
		expect(receivedCounts(srv).size).toBe(30);
	});

	it('records a connection lost after the data as unknown and never retries it', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 12);
		const srv = await server({
			script: (ctx) =>
				ctx.stage === 'data' && ctx.address === address(5) ? { hang: true } : undefined,
		});
		const campaign = await newCampaign(listId);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, {
				timeouts: { connectionMs: 2000, greetingMs: 2000, socketMs: 400 },
			}),
			retry: FAST_RETRY,
		});
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 11, unknownThisRun: 1 });
		expect(summary.failures).toEqual([
			expect.objectContaining({ email: address(5), state: 'unknown', attempts: 1, bounce: null }),
		]);
		expect(srv.events.filter((e) => e.address === address(5))).toHaveLength(1);
		const unknown = await getRecipients(store, campaign.id, { state: 'unknown', limit: 5 });
		expect(unknown.items.map((r) => r.email)).toEqual([address(5)]);
		expect(unknown.items[0].error).toMatch(/may have been delivered/);
		await expectCountersMatchLog(store, campaign.id);
	});

	it('turns recipients left in sending by a dead run into unknown; retryUnknown sends them', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 30);
		const srv = await server({
			script: (ctx) => (ctx.stage === 'data' ? { delayMs: 5 } : undefined),
		});
		const campaign = await newCampaign(listId);
		const smtp = smtpSettingsFor(srv, { pool: { maxConnections: 1 } });
		const first = await runCampaign(store, campaign.id, {
			smtp,
			batchSize: 5,
			maxInFlight: 1,
			timeBudgetMs: 60,
		});
		expect(first.outcome).toBe('stopped');
		// what a process killed mid-send leaves behind: rows in `sending` with a lease that ran out
		const dead = await store.sql.all(
			"SELECT subscriber_id FROM send_log WHERE campaign_id = ? AND state = 'queued' ORDER BY subscriber_id LIMIT 3",
			[campaign.id],
		);
		expect(dead).toHaveLength(3);
		for (const row of dead) {
			await store.sql.run(
				"UPDATE send_log SET state = 'sending', owner = 'dead-host:1:x', lease_until = '2000-01-01T00:00:00.000Z' WHERE campaign_id = ? AND subscriber_id = ?",
				[campaign.id, row.subscriber_id],
			);
		}
		const deadIds = dead.map((row) => String(row.subscriber_id));
		const second = await runCampaign(store, campaign.id, {
			smtp,
			batchSize: 5,
			maxInFlight: 1,
			timeBudgetMs: 60,
		});
		expect(second.recoveredUnknown).toBe(3);
		const afterSecond = await getRecipients(store, campaign.id, { state: 'unknown', limit: 10 });
		expect(afterSecond.items.map((r) => r.subscriberId)).toEqual(deadIds);
		await expectCountersMatchLog(store, campaign.id);

		// default: never mailed again; with retryUnknown: sent once more
		const byDefault = await runCampaign(store, campaign.id, { smtp });
		expect(byDefault.outcome).toBe('finished');
		expect(receivedCounts(srv).size).toBe(27);
		const deadEmails = afterSecond.items.map((r) => r.email);
		for (const email of deadEmails) expect(receivedCounts(srv).has(email!)).toBe(false);

		const other = await newCampaign(listId);
		await runCampaign(store, other.id, { smtp, batchSize: 5, maxInFlight: 1, timeBudgetMs: 40 });
		await store.sql.run(
			"UPDATE send_log SET state = 'sending', owner = 'dead-host:1:x', lease_until = '2000-01-01T00:00:00.000Z' WHERE campaign_id = ? AND state = 'queued'",
			[other.id],
		);
		const retried = await runCampaign(store, other.id, { smtp, retryUnknown: true });
		expect(retried.outcome).toBe('finished');
		expect(retried.recoveredUnknown).toBeGreaterThan(0);
		expect((await campaignStatus(store, other.id)).counters).toMatchObject({
			sent: 30,
			unknown: 0,
		});
		await expectCountersMatchLog(store, other.id);
	});

	it('counts opens, clicks and other events once per recipient', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 3);
		const srv = await server();
		const campaign = await newCampaign(listId);
		await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) });
		const id = await idOf(store, listId, address(1));
		const other = await idOf(store, listId, address(2));
		expect(
			await recordCampaignEvent(store, {
				campaignId: campaign.id,
				subscriberId: id,
				type: 'opened',
			}),
		).toBe(true);
		expect(
			await recordCampaignEvent(store, {
				campaignId: campaign.id,
				subscriberId: id,
				type: 'opened',
			}),
		).toBe(false);
		expect(
			await recordCampaignEvent(store, {
				campaignId: campaign.id,
				subscriberId: other,
				type: 'opened',
			}),
		).toBe(true);
		expect(
			await recordCampaignEvent(store, {
				campaignId: campaign.id,
				subscriberId: id,
				type: 'clicked',
			}),
		).toBe(true);
		expect(
			await recordCampaignEvent(store, {
				campaignId: campaign.id,
				subscriberId: id,
				type: 'unsubscribed',
			}),
		).toBe(true);
		expect(
			await recordCampaignEvent(store, {
				campaignId: campaign.id,
				subscriberId: '999999',
				type: 'opened',
			}),
		).toBe(false);
		expect(
			await recordCampaignEvent(store, { campaignId: '999999', subscriberId: id, type: 'opened' }),
		).toBe(false);
		const { counters } = await campaignStatus(store, campaign.id);
		expect(counters).toMatchObject({
			sent: 3,
			opened: 2,
			clicked: 1,
			unsubscribed: 1,
			complained: 0,
		});
		const entry = (await getRecipients(store, campaign.id, { limit: 10 })).items.find(
			(r) => r.subscriberId === id,
		)!;
		expect(entry.openedAt).not.toBeNull();
		expect(entry.clickedAt).not.toBeNull();
	});

	it('sends a proof to a few addresses outside the campaign', async () => {
		const listId = await newList();
		await addSubscribers(store, listId, 3, { fields: () => ({ plan: 'pro' }) });
		const srv = await server({ keepRaw: true });
		const campaign = await newCampaign(listId);
		const report = await sendCampaignProof(store, campaign.id, {
			to: ['editor@example.net', 'boss@example.net'],
			smtp: smtpSettingsFor(srv),
			asSubscriberId: await idOf(store, listId, address(1)),
		});
		expect(report).toMatchObject({ sent: 2, failed: 0 });
		expect(report.results.map((r) => [r.to, r.status])).toEqual([
			['editor@example.net', 'sent'],
			['boss@example.net', 'sent'],
		]);
		expect(srv.messages.map((m) => m.to[0]).sort()).toEqual([
			'boss@example.net',
			'editor@example.net',
		]);
		const raw = srv.messages[0].raw.toString('utf8');
		expect(raw).toContain('Subject: [TEST] News for Reader 1');
		expect(raw).toContain('X-Bulk-Mail-Proof: 1');
		expect(raw).toContain('your plan is pro');
		expect(raw).not.toContain('X-Bulk-Mail-Campaign');
		expect(await logStates(store, campaign.id)).toEqual({});
		expect((await getCampaign(store, campaign.id))!.status).toBe('draft');
		await expect(
			sendCampaignProof(store, campaign.id, { to: ['not an address'], smtp: smtpSettingsFor(srv) }),
		).rejects.toThrow("Proof address 1 ('not an address') is not a valid e-mail address");
		await expect(
			sendCampaignProof(store, campaign.id, { to: [], smtp: smtpSettingsFor(srv) }),
		).rejects.toThrow('Give at least one address');
	});

	it('rejects bad campaign input with specific errors and stores no secrets', async () => {
		const listId = await newList();
		const attempt = (input: Record<string, unknown>) =>
			createCampaign(store, { name: 'X', listId, template: TEMPLATE, ...input } as never, actor);
		await expect(attempt({ name: '  ' })).rejects.toThrow('The campaign name is empty');
		await expect(attempt({ listId: '424242' })).rejects.toThrow("There is no list '424242'");
		await expect(attempt({ filter: { status: 'active' } })).rejects.toThrow(
			/unknown keys \(status\)/,
		);
		await expect(attempt({ filter: { field: { name: 'plan' } } })).rejects.toThrow(
			/filter field 'plan' needs a value/,
		);
		await expect(attempt({ template: { ...TEMPLATE, html: '<p>{% if %}</p>' } })).rejects.toThrow(
			/The campaign template is not valid: Syntax error in the HTML body template at line 1, column 9/,
		);
		await expect(
			attempt({ composeOptions: { baseUrl: 'https://mail.example.com', secret: 'x'.repeat(32) } }),
		).rejects.toThrow(/secret is not stored with a campaign/);
		await expect(attempt({ sendAt: 'next tuesday' })).rejects.toThrow(
			/'next tuesday' is not a date/,
		);

		const campaign = await createCampaign(
			store,
			{
				name: 'With sender',
				listId,
				template: TEMPLATE,
				composeOptions: { baseUrl: 'https://mail.example.com', trackOpens: true },
				sender: {
					smtp: {
						host: 'smtp.example.com',
						port: 587,
						security: 'starttls',
						user: 'u',
						password: 'super-secret-password',
						dkim: {
							domainName: 'example.com',
							keySelector: 's1',
							privateKey: '-----BEGIN PRIVATE KEY-----\nabc',
						},
					},
					limiter: {
						perSecond: 10,
						redis: { id: 'acct', url: 'redis://:redis-pass@127.0.0.1:6379' },
					},
				},
			},
			actor,
		);
		const row = await store.sql.get('SELECT * FROM campaigns WHERE id = ?', [campaign.id]);
		const stored = JSON.stringify(row);
		for (const secret of ['super-secret-password', 'BEGIN PRIVATE KEY', 'redis-pass'])
			expect(stored).not.toContain(secret);
		expect(campaign.sender).toEqual({
			smtp: {
				host: 'smtp.example.com',
				port: 587,
				security: 'starttls',
				user: 'u',
				dkim: { domainName: 'example.com', keySelector: 's1' },
			},
			limiter: { perSecond: 10, redisId: 'acct' },
		});
		// signed links need the secret at run time
		const srv = await server();
		await expect(runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv) })).rejects.toThrow(
			/cannot be composed: .*secret/,
		);
		expect((await getCampaign(store, campaign.id))!.status).toBe('draft');
		await expect(runCampaign(store, '31337', { smtp: smtpSettingsFor(srv) })).rejects.toThrow(
			"There is no campaign with id '31337'",
		);
		await expect(runCampaign(store, 'abc', { smtp: smtpSettingsFor(srv) })).rejects.toThrow(
			/not a campaign id/,
		);
		await expect(
			runCampaign(store, campaign.id, {
				smtp: smtpSettingsFor(srv),
				batchSize: 0,
				composeSecret: 'x'.repeat(32),
			}),
		).rejects.toThrow(/batchSize must be a whole number/);

		const listed = await listCampaigns(store, { status: 'draft', limit: 1 });
		expect(listed.items).toHaveLength(1);
		expect(listed.next).toBeNull();
		await expect(listCampaigns(store, { status: 'sending' as never })).rejects.toThrow(
			/'sending' is not a campaign status/,
		);
		await expect(getRecipients(store, campaign.id, { state: 'done' as never })).rejects.toThrow(
			/not a recipient state/,
		);
	});
});
