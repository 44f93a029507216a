/**
 * The stored bounce record and policy by kind, on both backends: hard/soft/sender, the last bounce
 * kept with its reason and diagnostic, the migration of an existing store, and the audited
 * re-examination of subscribers bounced under the old rules.
 */
import { LATEST_SCHEMA_VERSION, reviewOldBounces } from '../../lib/store';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import type { Actor } from '../../lib/store/types';
import { BACKENDS, rollBackToSchemaVersion5, storePerTest } from '../helpers/stores';

jest.setTimeout(60_000);
const actor: Actor = { type: 'test', id: 'bounce-record' };

describe.each(BACKENDS)('bounce record on %s', (backend) => {
	const opened = storePerTest(backend);
	let store: SqlSubscriberStore;
	let listId: string;
	const add = async (email: string) => (await store.upsertSubscriber(listId, { email }, {}, actor)).subscriber!;
	beforeEach(async () => {
		store = opened.store;
		listId = (await store.createList({ name: 'L' }, actor)).id;
	});

	it('sender refusals never count against the subscriber; every bounce keeps kind, reason and diagnostic; the audit says why', async () => {
		const s = await add('reader@example.com');
		for (let i = 0; i < 5; i++) {
			const result = await store.applyDeliveryEvent(
				{ type: 'sender', reason: 'blocked', subscriberId: s.id, diagnostic: '550 5.7.1 blocked using Spamhaus', eventId: `blk-${i}` },
				actor,
			);
			expect(result.subscribers[0]).toMatchObject({ status: 'active', changed: false });
		}
		expect(await store.getSubscriber({ id: s.id })).toMatchObject({
			status: 'active',
			hardBounces: 0,
			softBounces: 0,
			lastBounce: { kind: 'sender', reason: 'blocked', diagnostic: '550 5.7.1 blocked using Spamhaus' },
		});
		await store.applyDeliveryEvent({ type: 'soft', reason: 'mailboxfull', subscriberId: s.id, diagnostic: '552 5.2.2 Mailbox full' }, actor);
		expect(await store.getSubscriber({ id: s.id })).toMatchObject({ status: 'active', softBounces: 1, lastBounce: { kind: 'soft', reason: 'mailboxfull' } });
		const said = '550 5.1.1 <reader@example.com>: Recipient address rejected: User unknown';
		await store.applyDeliveryEvent({ type: 'hard', reason: 'userunknown', subscriberId: s.id, diagnostic: said }, actor);
		const stopped = await store.getSubscriber({ id: s.id });
		expect(stopped).toMatchObject({
			status: 'bounced',
			hardBounces: 1,
			lastError: said,
			lastBounce: { kind: 'hard', reason: 'userunknown', diagnostic: said },
		});
		// why was this address stopped? the audit entry of the change says (without the address:
		// the audit log outlives an erasure)
		const audit = await store.getAuditLog({ entityId: s.id, action: 'delivery.hard' }, { limit: 10 });
		expect(audit.items[0].details).toMatchObject({
			from: 'active',
			to: 'bounced',
			reason: 'userunknown',
			diagnostic: '550 5.1.1 <address>: Recipient address rejected: User unknown',
		});
		const blocks = await store.getAuditLog({ entityId: s.id, action: 'delivery.sender' }, { limit: 10 });
		expect(blocks.items).toHaveLength(5);
		expect(blocks.items[0].details).toMatchObject({ reason: 'blocked' });
		expect(blocks.items[0].details).not.toHaveProperty('to');
	});

	it('an existing store migrates keeping its counts; old-rule bounces are re-examined and reactivated only when asked', async () => {
		const blocked = await add('blocked@example.com');
		const full = await add('full@example.com');
		const dead = await add('dead@example.com');
		const fine = await add('fine@example.com');
		// bounced under the old rules: hard on any 5xx at RCPT (no reason kept)
		for (const [s, diagnostic] of [
			[blocked, '550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus'],
			[full, '552 5.2.2 Mailbox full'],
			[dead, '550 5.1.1 <dead@example.com>: Recipient address rejected: User unknown'],
		] as const) {
			await store.applyDeliveryEvent({ type: 'hard', subscriberId: s.id, diagnostic }, actor);
		}
		await store.suppress('blocked@example.com', 'hard', 'delivery-event', actor);
		// back to schema 5: as a store written before this version looks
		await rollBackToSchemaVersion5(store);
		store = await opened.reopen();
		expect((await store.info()).schemaVersion).toBe(LATEST_SCHEMA_VERSION);
		expect(await store.getSubscriber({ id: blocked.id })).toMatchObject({ status: 'bounced', hardBounces: 1, lastBounce: null });
		expect(await store.getSubscriber({ id: dead.id })).toMatchObject({ status: 'bounced', hardBounces: 1 });

		const listed = await reviewOldBounces(store, {}, actor);
		expect(listed).toMatchObject({ examined: 3, reactivated: 0, more: false });
		expect(listed.listed.map((entry) => [entry.email, entry.kind])).toEqual([
			['blocked@example.com', 'sender'],
			['full@example.com', 'soft'],
		]);
		// listing changed nothing
		expect(await store.getSubscriber({ id: blocked.id })).toMatchObject({ status: 'bounced' });

		const done = await reviewOldBounces(store, { reactivate: true }, actor);
		expect(done.reactivated).toBe(2);
		expect(await store.getSubscriber({ id: blocked.id })).toMatchObject({
			status: 'active',
			hardBounces: 0,
			lastBounce: { kind: 'sender', reason: 'blocked' },
		});
		expect(await store.isSuppressed('blocked@example.com')).toBe(false);
		expect(await store.getSubscriber({ id: full.id })).toMatchObject({ status: 'active' });
		expect(await store.getSubscriber({ id: dead.id })).toMatchObject({ status: 'bounced', hardBounces: 1 });
		expect(await store.getSubscriber({ id: fine.id })).toMatchObject({ status: 'active' });
		const audit = await store.getAuditLog({ entityId: blocked.id, action: 'subscriber.bounce-reexamine' }, { limit: 10 });
		expect(audit.items[0].details).toMatchObject({ from: 'bounced', to: 'active', kind: 'sender', diagnostic: expect.stringMatching(/Spamhaus/) });
		// nothing left to re-examine
		expect((await reviewOldBounces(store, {}, actor)).listed).toEqual([]);
	});
});
