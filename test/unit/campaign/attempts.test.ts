/**
 * `send_log.attempts` is the number of times the message was offered to the SMTP server: a
 * recipient deferred three times (421, which closes the connection) and delivered on the fourth
 * try shows 4 — no attempt is made behind the engine's back (nodemailer's pool would otherwise
 * re-queue a message whose connection closed, uncounted and outside the retry policy).
 */
import { createCampaign, runCampaign } from '../../../lib/campaign';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpSettingsFor, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor, addSubscribers, address, TEMPLATE } from './helpers';

jest.setTimeout(60_000);

describe.each(BACKENDS)('send_log.attempts on %s', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let srv: TestSmtpServer | undefined;

	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
	});
	afterEach(async () => {
		await srv?.close();
		await store.close();
		await fixture.cleanup();
	});

	it('an address deferred three times (421 to RCPT) and then delivered: attempts = 4', async () => {
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		await addSubscribers(store, listId, 2);
		let deferrals = 0;
		srv = await startSmtpServer({
			script: (ctx) => {
				if (ctx.stage !== 'rcpt' || ctx.address !== address(0) || deferrals >= 3) return undefined;
				deferrals++;
				return { reply: 421, message: '4.7.0 Try again later, closing connection' };
			},
		});
		const campaign = await createCampaign(store, { name: 'Retry', listId, template: TEMPLATE }, actor);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 1 } }),
			retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20 },
			batchSize: 10,
		});
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 2, failedThisRun: 0 });
		expect(deferrals).toBe(3);
		const rows = await store.sql.all(
			`SELECT s.email, l.state, l.attempts FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id
			 WHERE l.campaign_id = ? ORDER BY s.email`,
			[campaign.id],
		);
		expect(rows.map((r) => [r.email, r.state, Number(r.attempts)])).toEqual([
			[address(0), 'sent', 4],
			[address(1), 'sent', 1],
		]);
		expect(srv.messages).toHaveLength(2);
	});
});
