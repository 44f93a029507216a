/**
 * Campaign → Create Follow-Up on both backends: the recipients of C whose send succeeded and who
 * did not open (or click), minus bounced, complained, unsubscribed and suppressed ones; frozen at
 * the follow-up's start; "human opens only" reads the reports work's open class.
 */
import { createCampaign, createFollowUp, getCampaign, recordCampaignEvent, runCampaign } from '../../../lib/campaign';
import { CLASS_CODES } from '../../../lib/store/reportCodes';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpServersClosedAfterEach, smtpSettingsFor, type TestSmtpServer } from '../../helpers/smtp';
import { BACKENDS, storePerTest } from '../../helpers/stores';
import { actor, addSubscribers, address, idOf, TEMPLATE } from './helpers';

jest.setTimeout(90_000);

const FOLLOW_UP = { subject: 'Did you miss this, {{ name }}?', html: '<p>Second chance</p>', from: 'News <news@sender.example>' };

describe.each(BACKENDS)('follow-up campaigns on %s', (backend) => {
	const server = smtpServersClosedAfterEach({ keepRaw: true });
	const opened = storePerTest(backend);
	let store: SqlSubscriberStore;
	beforeEach(() => {
		store = opened.store;
	});

	/** Campaign C to 14 readers: reader 6 refused (550), reader 7 suppressed before; then events. */
	async function sentCampaign(): Promise<{ listId: string; campaignId: string }> {
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		await addSubscribers(store, listId, 14);
		await store.suppress(address(7), 'manual', 'test', actor);
		const campaign = await createCampaign(store, { name: 'Newsletter', listId, template: TEMPLATE }, actor);
		const srv = await server({
			script: (ctx) => (ctx.stage === 'rcpt' && ctx.address === address(6) ? { reply: 550, message: '5.1.1 No such user' } : undefined),
		});
		const summary = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv), retry: { maxAttempts: 1 } });
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 12, failedThisRun: 1, skippedThisRun: 1 });
		const event = async (i: number, type: 'opened' | 'clicked' | 'bounced' | 'complained' | 'unsubscribed') =>
			recordCampaignEvent(store, { campaignId: campaign.id, subscriberId: await idOf(store, listId, address(i)), type });
		await event(0, 'opened');
		await event(1, 'opened');
		await event(1, 'clicked');
		await event(2, 'clicked'); // a click without a recorded open (images off)
		await event(3, 'bounced');
		await event(4, 'complained');
		await event(5, 'unsubscribed');
		await event(12, 'opened'); // an Apple Mail proxied open (class set below where it matters)
		// suppressed after C: the follow-up skips it
		await store.suppress(address(8), 'manual', 'test', actor);
		return { listId, campaignId: campaign.id };
	}

	const mailed = (srv: TestSmtpServer) => srv.messages.map((m) => m.to[0]).sort();
	const readers = (...ids: number[]) => ids.map((i) => address(i)).sort();

	it('mails who did not open (a click counts as an open), never the bounced, complained, unsubscribed, failed or suppressed', async () => {
		const { listId, campaignId } = await sentCampaign();
		const followUp = await createFollowUp(store, { campaignId, name: 'Newsletter, second try', template: FOLLOW_UP }, actor);
		expect(followUp).toMatchObject({ created: true, listId, status: 'draft' });
		expect(followUp.audience.followUp).toEqual({ campaignId, unless: 'opened', opens: 'any' });

		// started now; reader 9 opens C a minute later: the audience was frozen at the start
		const t0 = Date.now();
		expect((await store.campaignRuns.start(followUp.id, { now: t0, resume: false, actor })).run).toBe(true);
		await recordCampaignEvent(store, {
			campaignId,
			subscriberId: await idOf(store, listId, address(9)),
			type: 'opened',
			occurredAt: new Date(t0 + 60_000).toISOString(),
		});
		const srv = await server();
		const summary = await runCampaign(store, followUp.id, { smtp: smtpSettingsFor(srv) });
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 4, skippedThisRun: 1 });
		expect(mailed(srv)).toEqual(readers(9, 10, 11, 13));
		expect(srv.messages[0].raw.toString('utf8')).toMatch(/Subject: Did you miss this, Reader \d+\?/);
		expect((await getCampaign(store, followUp.id))!.totalRecipients).toBe(5);
	});

	it('"did not click" mails the openers who did not click; "human opens only" mails the proxied openers again', async () => {
		const { listId, campaignId } = await sentCampaign();
		const noClick = await createFollowUp(store, { campaignId, name: 'No click', template: FOLLOW_UP, unless: 'clicked' }, actor);
		const srv = await server();
		await runCampaign(store, noClick.id, { smtp: smtpSettingsFor(srv) });
		expect(mailed(srv)).toEqual(readers(0, 9, 10, 11, 12, 13));

		// the reports work's best open class: reader 0 a person, reader 12 Apple's proxy; clicks human
		const setClass = async (i: number, column: 'open_class' | 'click_class', cls: number) =>
			store.sql.run(`UPDATE send_log SET ${column} = ? WHERE campaign_id = ? AND subscriber_id = ?`, [cls, campaignId, await idOf(store, listId, address(i))]);
		await setClass(0, 'open_class', CLASS_CODES.human);
		await setClass(1, 'open_class', CLASS_CODES.human);
		await setClass(1, 'click_class', CLASS_CODES.human);
		await setClass(2, 'click_class', CLASS_CODES.human);
		await setClass(12, 'open_class', CLASS_CODES.machine);
		const human = await createFollowUp(store, { campaignId, name: 'Human', template: FOLLOW_UP, opens: 'human' }, actor);
		const srv2 = await server();
		await runCampaign(store, human.id, { smtp: smtpSettingsFor(srv2) });
		expect(mailed(srv2)).toEqual(readers(9, 10, 11, 12, 13));
		// by default any open counts: the proxied opener is not mailed again
		const anyOpen = await createFollowUp(store, { campaignId, name: 'Any', template: FOLLOW_UP }, actor);
		const srv3 = await server();
		await runCampaign(store, anyOpen.id, { smtp: smtpSettingsFor(srv3) });
		expect(mailed(srv3)).toEqual(readers(9, 10, 11, 13));
	});

	it('refuses a follow-up it cannot make, naming the problem', async () => {
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		const draft = await createCampaign(store, { name: 'Not yet', listId, template: TEMPLATE }, actor);
		await expect(createFollowUp(store, { campaignId: draft.id, name: 'F', template: FOLLOW_UP }, actor)).rejects.toThrow(
			/has not sent anything yet/,
		);
		await expect(createFollowUp(store, { campaignId: '999', name: 'F', template: FOLLOW_UP }, actor)).rejects.toThrow(
			"There is no campaign with id '999' to follow up",
		);
		await store.campaignRuns.start(draft.id, { now: Date.now(), resume: false, actor });
		await expect(
			createFollowUp(store, { campaignId: draft.id, name: 'F', template: FOLLOW_UP, unless: 'replied' as never }, actor),
		).rejects.toThrow("'replied' is not a follow-up unless option; use one of opened, clicked");
		await expect(createFollowUp(store, { campaignId: draft.id, name: '', template: FOLLOW_UP }, actor)).rejects.toThrow('The campaign name is empty');
	});
});
