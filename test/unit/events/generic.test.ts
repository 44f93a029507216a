import {
	GENERIC_SIGNATURE_HEADER,
	signGenericPayload,
	verifyAndParse,
	verifyGenericRequest,
} from '../../../lib/events';
import { expectFailure, expectOk, nowSeconds, post } from './helpers';

const SECRET = 'generic-test-secret';

function signed(body: string | object, options: { secret?: string; time?: number } = {}) {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	const header = signGenericPayload(options.secret ?? SECRET, text, options.time ?? nowSeconds());
	return post(text, { [GENERIC_SIGNATURE_HEADER.toLowerCase()]: header });
}

const batch = {
	events: [
		{
			id: 'evt-1',
			type: 'hard',
			email: ' Someone@Example.COM ',
			messageId: '<m1@example.net>',
			campaignId: 'cmp_1',
			subscriberId: 'sub_1',
			status: '5.1.1',
			diagnostic: '550 5.1.1 user unknown',
			occurredAt: '2026-11-03T10:00:00+09:00',
		},
		{
			id: 'evt-2',
			kind: 'click',
			recipient: 'reader@example.com',
			url: 'https://example.net/x',
			occurredAt: 1793718000,
		},
		{ id: 'evt-3', type: 'bounce', email: 'later@example.com', status: '4.2.2' },
	],
};

describe('generic webhook', () => {
	test('signGenericPayload makes a t=…,v1=<64 hex> header', () => {
		expect(signGenericPayload('k', '{}', 1700000000)).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
		expect(signGenericPayload('k', '{}', 1700000000)).not.toBe(
			signGenericPayload('k2', '{}', 1700000000),
		);
	});

	test('accepts a signed batch and normalises every event', async () => {
		const result = expectOk(await verifyGenericRequest(signed(batch), { secret: SECRET }));
		expect(result.events).toHaveLength(3);
		expect(result.events[0]).toEqual({
			provider: 'generic',
			eventId: 'evt-1',
			messageId: 'm1@example.net',
			recipient: 'Someone@example.com',
			kind: 'hard',
			reason: 'userunknown',
			smtpStatus: '5.1.1',
			diagnostic: '550 5.1.1 user unknown',
			occurredAt: '2026-11-03T01:00:00.000Z',
			campaignId: 'cmp_1',
			subscriberId: 'sub_1',
		});
		expect(result.events[1]).toMatchObject({
			kind: 'click',
			url: 'https://example.net/x',
			occurredAt: new Date(1793718000 * 1000).toISOString(),
		});
		// A plain "bounce" is classified by its status class.
		expect(result.events[2]).toMatchObject({ kind: 'soft', smtpStatus: '4.2.2' });
		expect(result.events[2].raw).toBeUndefined();
	});

	test('bounces go through the shared reason rules; a stated reason must be one of the names', async () => {
		const events = [
			{ id: 'b1', type: 'bounce', email: 'a@example.com', status: '5.7.1', diagnostic: '550 5.7.1 Client host [192.0.2.1] blocked using Spamhaus' },
			{ id: 'b2', type: 'hard', email: 'b@example.com', status: '5.2.2', diagnostic: '552 5.2.2 mailbox full' },
			{ id: 'b3', type: 'soft', email: 'c@example.com', reason: 'blocked' },
			{ id: 'b4', type: 'hard', email: 'd@example.com' },
			{ id: 'b5', type: 'sender', email: 'e@example.com' },
		];
		const result = expectOk(await verifyGenericRequest(signed({ events }), { secret: SECRET }));
		expect(result.events.map((event) => [event.kind, event.reason])).toEqual([
			['sender', 'blocked'],
			['soft', 'mailboxfull'],
			['sender', 'blocked'],
			// nothing but the poster's word: taken as said
			['hard', 'undefined'],
			['sender', 'undefined'],
		]);
		const bad = expectFailure(
			await verifyGenericRequest(signed({ events: [{ ...events[0], reason: 'nosuchreason' }] }), { secret: SECRET }),
			400,
		);
		expect(bad.reason).toMatch(/events\[0\]: "reason" must be one of the reason names/);
	});

	test('accepts a single event object and includes raw only when asked', async () => {
		const event = { id: 'one', type: 'complaint', email: 'a@b.example' };
		const result = expectOk(
			await verifyGenericRequest(signed(event), { secret: SECRET, includeRaw: true }),
		);
		expect(result.events).toHaveLength(1);
		expect(result.events[0].raw).toEqual(event);
	});

	test('any secret of a rotation list verifies', async () => {
		const request = signed(batch, { secret: 'new-secret' });
		expectOk(await verifyGenericRequest(request, { secret: ['old-secret', 'new-secret'] }));
	});

	test('rejects a wrong secret, a tampered body and a missing header with 401', async () => {
		expectFailure(
			await verifyGenericRequest(signed(batch, { secret: 'other' }), { secret: SECRET }),
			401,
			/does not match/,
		);
		const tampered = signed(batch);
		tampered.rawBody = Buffer.from(tampered.rawBody.toString().replace('evt-1', 'evt-X'));
		expectFailure(await verifyGenericRequest(tampered, { secret: SECRET }), 401, /does not match/);
		expectFailure(
			await verifyGenericRequest(post(batch), { secret: SECRET }),
			401,
			/Missing X-Bulk-Mail-Signature/,
		);
		const garbled = post(batch, { 'x-bulk-mail-signature': 'v1=abc' });
		expectFailure(
			await verifyGenericRequest(garbled, { secret: SECRET }),
			401,
			/t=<unix>,v1=<hex>/,
		);
	});

	test('rejects an expired and a future timestamp, honouring the tolerance', async () => {
		const old = signed(batch, { time: nowSeconds() - 301 });
		expectFailure(
			await verifyGenericRequest(old, { secret: SECRET }),
			401,
			/outside the 300 s window/,
		);
		const future = signed(batch, { time: nowSeconds() + 400 });
		expectFailure(await verifyGenericRequest(future, { secret: SECRET }), 401, /window/);
		expectOk(await verifyGenericRequest(old, { secret: SECRET, toleranceSeconds: 600 }));
	});

	test('reasons never contain the secret or the signature', async () => {
		const request = signed(batch, { secret: 'other' });
		const result = expectFailure(await verifyGenericRequest(request, { secret: SECRET }), 401);
		expect(result.reason).not.toContain(SECRET);
		expect(result.reason).not.toContain(String(request.headers['x-bulk-mail-signature']).slice(15));
	});

	test('rejects malformed but signed payloads with 400 naming the item', async () => {
		expectFailure(
			await verifyGenericRequest(signed('{not json'), { secret: SECRET }),
			400,
			/not valid JSON/,
		);
		expectFailure(
			await verifyGenericRequest(signed({ events: {} }), { secret: SECRET }),
			400,
			/"events" must be an array/,
		);
		const noId = {
			events: [
				{ id: 'a', type: 'hard', email: 'a@b.example' },
				{ type: 'hard', email: 'a@b.example' },
			],
		};
		expectFailure(
			await verifyGenericRequest(signed(noId), { secret: SECRET }),
			400,
			/events\[1\]: "id" is required/,
		);
		const badType = { id: 'a', type: 'exploded', email: 'a@b.example' };
		expectFailure(
			await verifyGenericRequest(signed(badType), { secret: SECRET }),
			400,
			/unknown type "exploded"/,
		);
		const badEmail = { id: 'a', type: 'hard', email: 'not-an-address' };
		expectFailure(
			await verifyGenericRequest(signed(badEmail), { secret: SECRET }),
			400,
			/"email" is missing or not an e-mail/,
		);
		const badDate = { id: 'a', type: 'hard', email: 'a@b.example', occurredAt: 'yesterday' };
		expectFailure(
			await verifyGenericRequest(signed(badDate), { secret: SECRET }),
			400,
			/occurredAt/,
		);
		const bareBounce = { id: 'a', type: 'bounce', email: 'a@b.example' };
		expectFailure(
			await verifyGenericRequest(signed(bareBounce), { secret: SECRET }),
			400,
			/needs a 4.x.x or 5.x.x/,
		);
	});

	test('oversize bodies get 413 before any verification, non-POST gets 405', async () => {
		const big = signed({
			events: [{ id: 'x', type: 'hard', email: 'a@b.example', diagnostic: 'x'.repeat(2048) }],
		});
		expectFailure(
			await verifyGenericRequest(big, { secret: SECRET, maxBodyBytes: 1024 }),
			413,
			/over the 1024-byte limit/,
		);
		const get = { ...signed(batch), method: 'GET' };
		expectFailure(await verifyGenericRequest(get, { secret: SECRET }), 405);
	});

	test('a missing secret is a configuration error, not a client error', async () => {
		await expect(verifyGenericRequest(signed(batch), { secret: '' })).rejects.toThrow(
			/secret is not configured/,
		);
	});

	test('the registry dispatches to the generic verifier', async () => {
		const result = expectOk(await verifyAndParse('generic', signed(batch), { secret: SECRET }));
		expect(result.events.map((event) => event.eventId)).toEqual(['evt-1', 'evt-2', 'evt-3']);
	});
});
