import {
	applySendBounces,
	deliveryRefusals,
	wallClockToUtc,
} from '../../../lib/campaign';
import type { ComposedMessage } from '../../../lib/compose';
import { reserveConfirmation, sealConfirmation } from '../../../lib/optin';
import { validateSendConfig, type SendResult } from '../../../lib/send';
import type { SqlSubscriberStore } from '../../../lib/store';
import { storeFixture, type StoreFixture } from '../../helpers/stores';
import { actor } from './helpers';

const SECRET = 'delivery-rules-secret-0123456789';

function message(to: string, subscriberId: string | null): ComposedMessage {
	return {
		from: { name: 'News', address: 'news@example.com' },
		to: { name: '', address: to },
		subject: 'Please confirm',
		html: '<p>confirm</p>',
		text: 'confirm',
		headers: {},
		messageId: '<m1@example.com>',
		campaignId: null,
		subscriberId,
	} as unknown as ComposedMessage;
}

function refused(ref: number, code: number, command: string, kind: 'permanent' | 'retryable', said = 'refused', status: string | null = null): SendResult {
	const response = `${code} ${status ? `${status} ` : ''}${said}`;
	return {
		ref,
		status: 'failed',
		messageId: null,
		accepted: [],
		rejected: [],
		response,
		attempts: 1,
		error: { kind, message: response, code: 'EENVELOPE', responseCode: code, enhancedStatus: status, command },
	};
}

describe('delivery rules (item mode and proofs)', () => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let listA: string;
	let listB: string;

	beforeEach(async () => {
		fixture = storeFixture('sqlite');
		store = await fixture.open();
		listA = (await store.createList({ name: 'A' }, actor)).id;
		listB = (await store.createList({ name: 'B' }, actor)).id;
	});

	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
	});

	async function add(listId: string, email: string, status: 'active' | 'pending' = 'active') {
		return (await store.upsertSubscriber(listId, { email, status }, {}, actor)).subscriber!;
	}

	test('suppressed, non-active and blocked addresses are refused; unknown and active ones pass', async () => {
		const active = await add(listA, 'ann@example.com');
		const stopped = await add(listA, 'bob@example.com');
		await store.setStatus(stopped.id, 'stopped', {}, actor);
		await add(listA, 'cat@example.com');
		const bounced = await add(listB, 'cat@example.com');
		await store.setStatus(bounced.id, 'bounced', {}, actor);
		await store.suppress('dan@example.com', 'manual', 'test', actor);

		const reasons = await deliveryRefusals(store, [
			{ email: 'ann@example.com', subscriberId: active.id },
			{ email: 'bob@example.com', subscriberId: stopped.id },
			{ email: 'BOB@example.com', subscriberId: null },
			{ email: 'cat@example.com', subscriberId: null },
			{ email: 'dan@example.com', subscriberId: null },
			{ email: 'eve@example.com', subscriberId: null },
		]);
		expect(reasons).toEqual([
			null,
			`subscriber ${stopped.id} is stopped`,
			"the address is stopped in list 'A' and active in no list",
			"the address is bounced in list 'B'",
			"the address is on the store's suppression list",
			null,
		]);
	});

	test('a pending subscriber gets only its sealed confirmation, once', async () => {
		const pending = await add(listA, 'pia@example.com', 'pending');
		const reserved = await reserveConfirmation(store, pending, {}, actor);
		if (!reserved.ok) throw new Error(reserved.reason);
		const confirmation = message('pia@example.com', pending.id);
		const fields = { subscriberId: pending.id, nonce: reserved.nonce, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
		const mark = { ...fields, seal: sealConfirmation(SECRET, confirmation, fields) };

		const plain = await deliveryRefusals(store, [{ email: 'pia@example.com', subscriberId: pending.id }], SECRET);
		expect(plain).toEqual([`subscriber ${pending.id} is pending`]);

		const altered = { ...confirmation, subject: 'Something else' };
		const forged = await deliveryRefusals(
			store,
			[{ email: 'pia@example.com', subscriberId: pending.id, confirmation: { message: altered, mark } }],
			SECRET,
		);
		expect(forged[0]).toMatch(/^subscriber \d+ is pending and the item is not its confirmation message/);

		const genuine = { email: 'pia@example.com', subscriberId: pending.id, confirmation: { message: confirmation, mark } };
		expect(await deliveryRefusals(store, [genuine], SECRET)).toEqual([null]);
		expect((await deliveryRefusals(store, [genuine], SECRET))[0]).toMatch(/was sent already/);
	});

	test('bounces of refused recipients go through the bounce policy', async () => {
		const hard = await add(listA, 'hard@example.com');
		await add(listA, 'soft@example.com');
		const outcomes = [
			{ result: refused(0, 550, 'RCPT TO', 'permanent', '<hard@example.com>: User unknown', '5.1.1'), to: 'hard@example.com', subscriberId: hard.id },
			{ result: refused(1, 451, 'RCPT TO', 'retryable'), to: 'soft@example.com', subscriberId: null },
			// refused for the content, not the recipient: recorded as the sender's, never held against the address
			{ result: refused(2, 554, 'DATA', 'permanent', 'Message rejected as spam', '5.7.1'), to: 'soft@example.com', subscriberId: null },
		];
		expect(await applySendBounces(store, outcomes, actor)).toEqual([]);
		expect((await store.getSubscriber({ id: hard.id }))?.status).toBe('bounced');
		const soft = await store.getSubscriber({ listId: listA, email: 'soft@example.com' });
		expect(soft).toMatchObject({ status: 'active', softBounces: 1, hardBounces: 0, lastBounce: { kind: 'sender', reason: 'spamdetected' } });
	});

	test('a bounce the store cannot record is returned with why', async () => {
		await store.close();
		const outcomes = [{ result: refused(0, 550, 'RCPT TO', 'permanent'), to: 'x@example.com', subscriberId: null }];
		const unrecorded = await applySendBounces(store, outcomes, actor);
		expect(unrecorded).toHaveLength(1);
		expect(unrecorded[0].outcome.to).toBe('x@example.com');
		expect(unrecorded[0].error).not.toBe('');
		store = await fixture.open();
	});
});

describe('wallClockToUtc', () => {
	test('a zone-less picker value is read in the workflow time zone; an explicit offset is kept', () => {
		expect(wallClockToUtc('2026-06-01T09:00:00', 'Asia/Tokyo')).toBe('2026-06-01T00:00:00.000Z');
		expect(wallClockToUtc('2026-07-01T09:00', 'Europe/Berlin')).toBe('2026-07-01T07:00:00.000Z');
		expect(wallClockToUtc('2026-03-29T03:30:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
		expect(wallClockToUtc('2026-06-01T09:00:00+02:00', 'Asia/Tokyo')).toBe('2026-06-01T09:00:00+02:00');
		expect(wallClockToUtc('', 'Asia/Tokyo')).toBeNull();
	});

	test('the same zone arithmetic as segment dates: early years stay themselves, an unknown zone is refused', () => {
		expect(wallClockToUtc('0050-01-01T09:00:00', 'UTC')).toBe('0050-01-01T09:00:00.000Z');
		// before 1888 Tokyo kept local mean time, +09:18:59
		expect(wallClockToUtc('0050-01-01T09:00:00', 'Asia/Tokyo')).toBe('0049-12-31T23:41:01.000Z');
		expect(() => wallClockToUtc('2026-06-01T09:00', 'Mars/Base')).toThrow(RangeError);
	});
});

describe('validateSendConfig', () => {
	const smtp = { host: 'smtp.example.com', port: 465, security: 'tls' as const };

	test('checks SMTP, limiter, retry and breaker settings at once', () => {
		expect(validateSendConfig({ smtp })).toEqual([]);
		expect(validateSendConfig({ smtp: { ...smtp, security: 'none', port: 25 } })).not.toEqual([]);
		expect(() => validateSendConfig({ smtp: { ...smtp, host: 'smtp://x' } })).toThrow(/not a host name/);
		expect(() => validateSendConfig({ smtp, limiter: { preset: 'nope' as never } })).toThrow(/Unknown provider preset/);
		expect(() => validateSendConfig({ smtp, retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
		expect(() => validateSendConfig({ smtp, breaker: { thresholdPct: 120 } })).toThrow(/thresholdPct/);
		expect(() => validateSendConfig({ smtp, breaker: false })).not.toThrow();
	});
});
