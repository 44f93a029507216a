import { verpAddress, type Classification, type ClassifiedRecipient } from '../../../lib/bounce';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { recordReturnedMail } from '../../../lib/webhook';
import { BACKENDS, storePerTest } from '../../helpers/stores';
import { actor, LINK_SECRET } from './helpers';

jest.setTimeout(60_000);

const DOMAIN = 'bounce.sender.example';

function recipient(address: string, fields: Partial<ClassifiedRecipient> = {}): ClassifiedRecipient {
	return {
		address,
		kind: 'hard',
		reason: 'userunknown',
		status: '5.1.1',
		replyCode: '550',
		diagnostic: '550 5.1.1 <x>: Recipient address rejected: User unknown',
		...fields,
	};
}

function bounce(recipients: ClassifiedRecipient[], extra: Partial<Classification> = {}): Classification {
	return { type: 'bounce', recipients, format: 'rfc3464', returnPath: null, original: null, ...extra };
}

describe.each(BACKENDS)('recordReturnedMail on %s', (backend) => {
	const opened = storePerTest(backend);
	let store: SqlSubscriberStore;
	let listId: string;
	const add = async (email: string) => (await store.upsertSubscriber(listId, { email }, {}, actor)).subscriber!;
	beforeEach(async () => {
		store = opened.store;
		listId = (await store.createList({ name: 'Readers' }, actor)).id;
	});

	it('a VERP return path names the subscriber exactly, even when the bounce names a rewritten address; once', async () => {
		const dead = await add('dead@example.org');
		const bystander = await add('forwarded@example.net');
		const returnPath = verpAddress(LINK_SECRET, DOMAIN, { campaignId: null, subscriberId: dead.id });
		// the bouncing MTA names the address the mail was forwarded to, not the one we sent to
		const message = bounce([recipient('forwarded@example.net')], { returnPath: returnPath.toUpperCase() });
		const first = await recordReturnedMail(store, message, { verpSecret: LINK_SECRET, bounceMessageId: '<b1@mx.example>', actor });
		expect(first).toMatchObject({ outcome: 'recorded', matchedBy: 'verp' });
		expect(first.events[0]).toMatchObject({ kind: 'hard', reason: 'userunknown', statusAfter: 'bounced' });
		expect(await store.getSubscriber({ id: dead.id })).toMatchObject({ status: 'bounced', hardBounces: 1 });
		expect(await store.getSubscriber({ id: bystander.id })).toMatchObject({ status: 'active', hardBounces: 0 });
		const again = await recordReturnedMail(store, message, { verpSecret: LINK_SECRET, bounceMessageId: '<b1@mx.example>', actor });
		expect(again.events[0].duplicate).toBe(true);
		expect(await store.getSubscriber({ id: dead.id })).toMatchObject({ hardBounces: 1 });
	});

	it('a forged VERP token changes nothing and says why', async () => {
		const reader = await add('reader@example.org');
		const forged = verpAddress('someone-elses-secret-0123456789', DOMAIN, { campaignId: null, subscriberId: reader.id });
		const result = await recordReturnedMail(store, bounce([recipient('reader@example.org')], { returnPath: forged }), { verpSecret: LINK_SECRET, actor });
		expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/looks like ours but the VERP token is not signed/) });
		expect(await store.getSubscriber({ id: reader.id })).toMatchObject({ status: 'active', hardBounces: 0 });
	});

	it('quoted ids count only for their own address; a full mailbox is soft; an unknown address is reported', async () => {
		const victim = await add('victim@example.org');
		const full = await add('full@example.org');
		const quoting = bounce(
			[recipient('full@example.org', { kind: 'soft', reason: 'mailboxfull', status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' })],
			{ original: { messageId: 'm1@sender.example', headers: { 'x-bulk-mail-subscriber': victim.id } } },
		);
		const result = await recordReturnedMail(store, quoting, { bounceMessageId: 'b2@mx.example', actor });
		expect(result.matchedBy).toBe('address');
		expect(await store.getSubscriber({ id: full.id })).toMatchObject({ status: 'active', softBounces: 1 });
		expect(await store.getSubscriber({ id: victim.id })).toMatchObject({ status: 'active', softBounces: 0, hardBounces: 0 });
		const stranger = await recordReturnedMail(store, bounce([recipient('nobody@example.org')]), { bounceMessageId: 'b3@mx.example', actor });
		expect(stranger.reason).toMatch(/no subscriber of this store/);
	});

	it('auto-replies, delays and delivery reports never count; a complaint suppresses', async () => {
		const reader = await add('reader@example.org');
		for (const type of ['auto-reply', 'delayed', 'delivered', 'not-bounce'] as const) {
			const result = await recordReturnedMail(store, { ...bounce([recipient('reader@example.org')]), type }, { actor });
			expect(result).toMatchObject({ outcome: 'ignored', events: [] });
		}
		expect(await store.getSubscriber({ id: reader.id })).toMatchObject({ status: 'active', hardBounces: 0 });
		const complaint = await recordReturnedMail(
			store,
			{ ...bounce([recipient('reader@example.org', { kind: 'complaint', reason: 'feedback', status: null, replyCode: null, diagnostic: 'abuse' })]), type: 'complaint', format: 'arf' },
			{ bounceMessageId: 'arf1@isp.example', actor },
		);
		expect(complaint.events[0]).toMatchObject({ kind: 'complaint', statusAfter: 'complained', suppressed: true });
		expect(await store.isSuppressed('reader@example.org')).toBe(true);
	});

	it('a sender-side refusal never counts against the subscriber', async () => {
		const reader = await add('reader@example.org');
		const blocked = recipient('reader@example.org', {
			kind: 'sender',
			reason: 'blocked',
			status: '5.7.1',
			diagnostic: '550 5.7.1 Client host [192.0.2.1] blocked using Spamhaus',
		});
		await recordReturnedMail(store, bounce([blocked]), { bounceMessageId: 'b4@mx.example', actor });
		expect(await store.getSubscriber({ id: reader.id })).toMatchObject({ status: 'active', hardBounces: 0, softBounces: 0 });
	});
});
