import { campaignStatus, createCampaign, getRecipients, runCampaign } from '../../../lib/campaign';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpServersClosedAfterAll, smtpSettingsFor } from '../../helpers/smtp';
import { BACKENDS, storePerTest } from '../../helpers/stores';
import { actor, addSubscribers, TEMPLATE } from './helpers';

jest.setTimeout(90_000);

const server = smtpServersClosedAfterAll();
const MICROSOFT = /@(outlook|hotmail)\.com$/;

describe.each(BACKENDS)('per-provider pause on %s', (backend) => {
	const opened = storePerTest(backend);
	let store: SqlSubscriberStore;
	beforeEach(() => {
		store = opened.store;
	});

	it('a provider refusing our mail is paused while the rest goes on; subscribers untouched; resume sends to it', async () => {
		let blocking = true;
		const srv = await server({
			keepRaw: false,
			script: (ctx) =>
				blocking && ctx.stage === 'rcpt' && MICROSOFT.test(ctx.address)
					? { reply: 550, message: '5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus' }
					: undefined,
		});
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		await addSubscribers(store, listId, 40, { prefix: 'ms' });
		// spread over outlook.com and hotmail.com: one provider, counted together
		await store.sql.run(
			"UPDATE subscribers SET email = REPLACE(email, '@example.org', CASE WHEN id % 2 = 0 THEN '@outlook.com' ELSE '@hotmail.com' END), email_lower = REPLACE(email_lower, '@example.org', CASE WHEN id % 2 = 0 THEN '@outlook.com' ELSE '@hotmail.com' END) WHERE list_id = ?",
			[listId],
		);
		await addSubscribers(store, listId, 20, { prefix: 'other' });
		const campaign = await createCampaign(store, { name: 'Pause', listId, template: TEMPLATE }, actor);
		const settings = { smtp: smtpSettingsFor(srv, { pool: { maxConnections: 1 } }), maxInFlight: 1, batchSize: 5, providerPause: { minRefusals: 5 } };

		const first = await runCampaign(store, campaign.id, settings);
		expect(first.outcome).toBe('providers-paused');
		expect(first.status).toBe('running');
		expect(first.providerPauses).toEqual([
			expect.objectContaining({
				provider: 'microsoft',
				name: 'Microsoft (outlook.com, hotmail.com, live.com, …)',
				reason: expect.stringMatching(
					/^Microsoft \(outlook\.com, hotmail\.com, live\.com, …\) is refusing our mail: 550 5\.7\.1 .*blocked.* \(\d+ of \d+ attempts in the last 5 minutes\) — check your sending IP’s reputation/,
				),
			}),
		]);
		// everyone at other providers got the message
		const others = [...srv.byRecipient().keys()].filter((address) => address.startsWith('other'));
		expect(others).toHaveLength(20);
		// the refusals are the sender's: no subscriber was bounced or counted against
		const ms = (await store.getSubscribers({ listId, search: 'ms' }, { limit: 100 })).items;
		expect(ms).toHaveLength(40);
		expect(ms.every((s) => s.status === 'active' && s.hardBounces === 0 && s.softBounces === 0)).toBe(true);
		const status = await campaignStatus(store, campaign.id);
		expect(status.campaign.counters.senderRefused).toBe(first.failedThisRun);
		expect(first.failedThisRun).toBeGreaterThanOrEqual(5);
		expect(first.failedThisRun).toBeLessThan(15);
		expect(status.held).toBe(40 - first.failedThisRun);
		expect(status.message).toMatch(/Not sending to Microsoft .* \(\d+ recipients held\): Microsoft .* is refusing our mail/);
		const held = await getRecipients(store, campaign.id, { state: 'held', limit: 100 });
		expect(held.items.every((r) => MICROSOFT.test(r.email ?? ''))).toBe(true);
		const audit = await store.getAuditLog({ entityId: campaign.id, action: 'campaign.provider-pause' }, { limit: 10 });
		expect(audit.items).toHaveLength(1);

		// a plain Start (a Schedule trigger) does not undo the pause
		const again = await runCampaign(store, campaign.id, settings);
		expect(again.sentThisRun).toBe(0);
		expect(again.outcome).toBe('providers-paused');

		// Start with Resume Paused Providers: the held recipients go out
		blocking = false;
		const resumed = await runCampaign(store, campaign.id, { ...settings, resumeProviders: true });
		expect(resumed).toMatchObject({ outcome: 'finished', status: 'finished', sentThisRun: 40 - first.failedThisRun, providerPauses: [] });
		const resumeAudit = await store.getAuditLog({ entityId: campaign.id, action: 'campaign.provider-resume' }, { limit: 10 });
		expect(resumeAudit.items[0].details).toMatchObject({ providers: ['microsoft'], requeued: 40 - first.failedThisRun });
	});
});
