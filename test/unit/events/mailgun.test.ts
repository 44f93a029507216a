import { createHmac, randomBytes } from 'node:crypto';

import { MemoryReplayCache, type ReplayCache, verifyMailgunRequest } from '../../../lib/events';
import { expectFailure, expectOk, fixtureJson, nowSeconds, post } from './helpers';

const SIGNING_KEY = 'key-mailgun-test-signing';
const failedPermanent = fixtureJson('mailgun-failed-permanent.json');

function signedBody(
	eventData: Record<string, unknown>,
	options: { key?: string; timestamp?: string; token?: string } = {},
) {
	const timestamp = options.timestamp ?? String(nowSeconds());
	const token = options.token ?? randomBytes(25).toString('hex');
	const signature = createHmac('sha256', options.key ?? SIGNING_KEY)
		.update(timestamp + token)
		.digest('hex');
	return { signature: { timestamp, token, signature }, 'event-data': eventData };
}

function config(replayCache: ReplayCache = new MemoryReplayCache()) {
	return { signingKey: SIGNING_KEY, replayCache };
}

describe('Mailgun webhook', () => {
	test.each([
		['a 5.7.1 policy refusal', { reason: 'bounce', 'delivery-status': { code: 550, 'enhanced-code': '5.7.1', message: '5.7.1 Rejected by local policy' } }, 'sender', 'policyviolation'],
		['an ESP block', { reason: 'espblock', 'delivery-status': { code: 605, message: 'Blocked by the receiving provider' } }, 'sender', 'blocked'],
		['its own suppression list', { reason: 'suppress-bounce', 'delivery-status': { code: 605, message: 'Not delivering to previously bounced address' } }, 'soft', 'onhold'],
		['a full mailbox', { reason: 'bounce', 'delivery-status': { code: 552, 'enhanced-code': '5.2.2', message: 'Mailbox full' } }, 'soft', 'mailboxfull'],
	])('a permanent failure for %s is %s (%s)', async (_label, fields, kind, reason) => {
		const result = expectOk(
			await verifyMailgunRequest(post(signedBody({ ...failedPermanent, ...fields })), config()),
		);
		expect(result.events[0]).toMatchObject({ kind, reason });
	});

	test('accepts a signed permanent failure as a hard bounce with correlation ids', async () => {
		const result = expectOk(
			await verifyMailgunRequest(post(signedBody(failedPermanent)), config()),
		);
		expect(result.events).toEqual([
			{
				provider: 'mailgun',
				eventId: 'G9Bn5sl1TC6nu79C8C0bwg',
				messageId: '20261103.cmp42@mg.example.net',
				recipient: 'Alice@example.com',
				kind: 'hard',
				reason: 'userunknown',
				smtpStatus: '5.1.1',
				diagnostic: 'The email account that you tried to reach does not exist.',
				occurredAt: '2026-11-03T15:00:00.123Z',
				campaignId: 'cmp_42',
				subscriberId: 'sub_9',
			},
		]);
	});

	test.each([
		[{ event: 'failed', severity: 'temporary' }, 'soft'],
		[{ event: 'complained' }, 'complaint'],
		[{ event: 'unsubscribed' }, 'unsubscribe'],
		[{ event: 'delivered' }, 'delivered'],
		[{ event: 'opened' }, 'open'],
		[{ event: 'clicked', url: 'https://example.net/c' }, 'click'],
	])('maps %j to %s', async (change, kind) => {
		const eventData = { ...failedPermanent, 'delivery-status': undefined, ...change };
		const result = expectOk(await verifyMailgunRequest(post(signedBody(eventData)), config()));
		expect(result.events[0].kind).toBe(kind);
		if (kind === 'click') expect(result.events[0].url).toBe('https://example.net/c');
	});

	test('accepted/stored events are verified but ignored', async () => {
		const eventData = { ...failedPermanent, event: 'accepted' };
		const result = expectOk(await verifyMailgunRequest(post(signedBody(eventData)), config()));
		expect(result.events).toEqual([]);
		expect(result.ignored[0].type).toBe('accepted');
	});

	test('a replayed token is rejected, a fresh one is accepted', async () => {
		const cache = new MemoryReplayCache();
		const body = signedBody(failedPermanent);
		expectOk(await verifyMailgunRequest(post(body), config(cache)));
		expectFailure(await verifyMailgunRequest(post(body), config(cache)), 401, /already used/);
		expectOk(await verifyMailgunRequest(post(signedBody(failedPermanent)), config(cache)));
	});

	test('the replay cache may be asynchronous (e.g. Redis)', async () => {
		const tokens = new Set<string>();
		const asyncCache: ReplayCache = {
			seen: async (token) => {
				const was = tokens.has(token);
				tokens.add(token);
				return was;
			},
		};
		const body = signedBody(failedPermanent);
		expectOk(await verifyMailgunRequest(post(body), config(asyncCache)));
		expectFailure(await verifyMailgunRequest(post(body), config(asyncCache)), 401, /replay/);
	});

	test('forged requests do not consume tokens', async () => {
		const cache = new MemoryReplayCache();
		const token = 'a'.repeat(50);
		const forged = signedBody(failedPermanent, { key: 'wrong-key', token });
		expectFailure(await verifyMailgunRequest(post(forged), config(cache)), 401, /does not match/);
		expect(cache.size).toBe(0);
		expectOk(
			await verifyMailgunRequest(post(signedBody(failedPermanent, { token })), config(cache)),
		);
	});

	test('rejects an expired timestamp even with a valid signature', async () => {
		const old = signedBody(failedPermanent, { timestamp: String(nowSeconds() - 301) });
		expectFailure(await verifyMailgunRequest(post(old), config()), 401, /outside the 300 s window/);
	});

	test('rejects a tampered signature block and missing fields', async () => {
		const body = signedBody(failedPermanent);
		const moved = {
			...body,
			signature: { ...body.signature, timestamp: String(Number(body.signature.timestamp) + 1) },
		};
		expectFailure(await verifyMailgunRequest(post(moved), config()), 401, /does not match/);
		const noSignature = { 'event-data': failedPermanent };
		expectFailure(
			await verifyMailgunRequest(post(noSignature), config()),
			401,
			/Missing "signature"/,
		);
		const noToken = { ...body, signature: { ...body.signature, token: undefined } };
		expectFailure(await verifyMailgunRequest(post(noToken), config()), 401, /missing/);
	});

	test('the event data is not covered by the signature, but must be well formed', async () => {
		const noRecipient = signedBody({ ...failedPermanent, recipient: undefined });
		expectFailure(await verifyMailgunRequest(post(noRecipient), config()), 400, /"recipient"/);
		const noId = signedBody({ ...failedPermanent, id: undefined });
		expectFailure(await verifyMailgunRequest(post(noId), config()), 400, /"id" is missing/);
		expectFailure(await verifyMailgunRequest(post('not json'), config()), 400, /not valid JSON/);
		expectFailure(await verifyMailgunRequest(post('[1,2]'), config()), 400, /JSON object/);
	});

	test('oversize bodies get 413', async () => {
		const body = signedBody({ ...failedPermanent, padding: 'x'.repeat(5000) });
		expectFailure(await verifyMailgunRequest(post(body), { ...config(), maxBodyBytes: 4096 }), 413);
	});
});

describe('MemoryReplayCache', () => {
	test('stays bounded, dropping the oldest tokens first', () => {
		const cache = new MemoryReplayCache({ maxEntries: 3 });
		for (const token of ['a', 'b', 'c', 'd']) expect(cache.seen(token)).toBe(false);
		expect(cache.size).toBe(3);
		expect(cache.seen('d')).toBe(true);
		expect(cache.seen('a')).toBe(false);
	});

	test('forgets tokens after the TTL', () => {
		let now = 1_000_000;
		const cache = new MemoryReplayCache({ ttlMs: 1000, now: () => now });
		expect(cache.seen('t')).toBe(false);
		now += 999;
		expect(cache.seen('t')).toBe(true);
		now += 1001;
		expect(cache.seen('u')).toBe(false);
		expect(cache.size).toBe(1);
		expect(cache.seen('t')).toBe(false);
	});
});
