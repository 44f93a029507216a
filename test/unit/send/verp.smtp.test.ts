import { parseVerpAddress, verpEnvelope } from '../../../lib/bounce';
import { createCampaign, runCampaign } from '../../../lib/campaign';
import { compileTemplate, toSendMailOptions } from '../../../lib/compose';
import { sendMessages, toWireMessage, type OutgoingMessage } from '../../../lib/send';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpServersClosedAfterAll, smtpSettingsFor } from '../../helpers/smtp';
import { storePerTest } from '../../helpers/stores';
import { actor, addSubscribers, TEMPLATE } from '../campaign/helpers';

jest.setTimeout(60_000);

const SECRET = 'verp-wire-secret-0123456789abcdef';
const DOMAIN = 'bounce.sender.example';
const server = smtpServersClosedAfterAll();

describe('VERP on the wire (a real SMTP server sees MAIL FROM)', () => {
	const opened = storePerTest('sqlite');
	let store: SqlSubscriberStore;
	beforeEach(() => {
		store = opened.store;
	});

	it('a campaign run sends each message with its own signed return path; the From header stays', async () => {
		const srv = await server();
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		await addSubscribers(store, listId, 3);
		const campaign = await createCampaign(store, { name: 'VERP', listId, template: TEMPLATE }, actor);
		const summary = await runCampaign(store, campaign.id, {
			smtp: smtpSettingsFor(srv),
			verp: { bounceDomain: DOMAIN, key: SECRET },
		});
		expect(summary).toMatchObject({ outcome: 'finished', sentThisRun: 3 });
		expect(srv.messages).toHaveLength(3);
		const subscribers = (await store.getSubscribers({ listId }, { limit: 10 })).items;
		for (const received of srv.messages) {
			expect(received.from).toMatch(/^bounces\+\d+-\d+-[a-z2-7]{16}@bounce\.sender\.example$/);
			const ids = parseVerpAddress(received.from, SECRET);
			const subscriber = subscribers.find((s) => s.id === ids?.subscriberId);
			expect(ids?.campaignId).toBe(campaign.id);
			expect(received.to).toEqual([subscriber?.email]);
			// the visible sender is unchanged; only the envelope carries the token
			expect(received.raw.toString('latin1')).toMatch(/^From: News <news@sender\.example>\r$/m);
		}
		expect(new Set(srv.messages.map((m) => m.from)).size).toBe(3);
	});

	it('item mode: an explicit VERP envelope goes out as MAIL FROM, on the prebuilt path too', async () => {
		const srv = await server();
		const template = compileTemplate(TEMPLATE, {});
		const options = toSendMailOptions(template.render({ id: '12', email: 'reader@example.org', name: 'R' }, {}));
		const message: OutgoingMessage = {
			...options,
			envelope: verpEnvelope({ bounceDomain: DOMAIN, key: SECRET }, { campaignId: null, subscriberId: '12' }, 'reader@example.org'),
			ref: 0,
		};
		const { ref: _ref, ...plain } = message;
		// the fast path builds it (one Buffer) with the VERP sender in its envelope
		expect(toWireMessage(plain).prebuilt?.envelope).toEqual(message.envelope);
		const report = await sendMessages([message], { smtp: smtpSettingsFor(srv) });
		expect(report.counts.sent).toBe(1);
		expect(parseVerpAddress(srv.messages[0].from, SECRET)).toEqual({ campaignId: null, subscriberId: '12' });
		expect(srv.messages[0].to).toEqual(['reader@example.org']);
	});

	it('a bad bounce domain stops the run before anything is sent, saying what to fix', async () => {
		const srv = await server();
		const listId = (await store.createList({ name: 'Readers' }, actor)).id;
		await addSubscribers(store, listId, 1);
		const campaign = await createCampaign(store, { name: 'VERP', listId, template: TEMPLATE }, actor);
		await expect(
			runCampaign(store, campaign.id, { smtp: smtpSettingsFor(srv), verp: { bounceDomain: 'bounces@x', key: SECRET } }),
		).rejects.toThrow(/not a bounce domain/);
		expect(srv.messages).toHaveLength(0);
	});
});
