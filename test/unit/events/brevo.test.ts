import { verifyBrevoRequest } from '../../../lib/events';
import { basic, expectFailure, expectOk, fixtureJson, post } from './helpers';

const TOKEN = 'brevo-bearer-token';
const hardBounce = fixtureJson('brevo-hard-bounce.json');
const withBearer = (body: unknown) => post(body as object, { Authorization: `Bearer ${TOKEN}` });

describe('Brevo webhook', () => {
	test('a hard bounce with a bearer token, time from ts_epoch, ids from X-Mailin-custom', async () => {
		const result = expectOk(
			await verifyBrevoRequest(withBearer(hardBounce), { bearerToken: TOKEN }),
		);
		expect(result.events).toEqual([
			{
				provider: 'brevo',
				eventId:
					'202611031100.12345@smtp-relay.mailin.fr:hard_bounce:1793718000321:Bob@example.com',
				messageId: '202611031100.12345@smtp-relay.mailin.fr',
				recipient: 'Bob@example.com',
				kind: 'hard',
				reason: 'userunknown',
				smtpStatus: '5.1.1',
				diagnostic: '550 5.1.1 user unknown',
				occurredAt: '2026-11-03T15:00:00.321Z',
				campaignId: 'cmp_3',
				subscriberId: 'sub_3',
			},
		]);
	});

	test('a hard bounce that is a block is the sender\'s; invalid_email hard; Brevo\'s own block list soft', async () => {
		const parse = async (fields: Record<string, unknown>) =>
			expectOk(await verifyBrevoRequest(withBearer({ ...hardBounce, ...fields }), { bearerToken: TOKEN })).events[0];
		expect(await parse({ reason: '550 5.7.1 Message rejected: sending IP on a blocklist' })).toMatchObject({ kind: 'sender', reason: 'blocked' });
		expect(await parse({ event: 'invalid_email', reason: 'Invalid email address' })).toMatchObject({ kind: 'hard', reason: 'userunknown' });
		expect(await parse({ event: 'blocked', reason: 'Contact is blacklisted' })).toMatchObject({ kind: 'soft', reason: 'onhold' });
		expect(await parse({ event: 'soft_bounce', reason: '452 4.2.2 Mailbox full' })).toMatchObject({ kind: 'soft', reason: 'mailboxfull' });
	});

	test('maps snake_case and n8n camelCase names; batches are arrays', async () => {
		const names = {
			soft_bounce: 'soft',
			softBounce: 'soft',
			hardBounce: 'hard',
			blocked: 'soft',
			invalid_email: 'hard',
			invalid: 'hard',
			deferred: 'deferred',
			spam: 'complaint',
			unsubscribe: 'unsubscribe',
			unsubscribed: 'unsubscribe',
			delivered: 'delivered',
			opened: 'open',
			unique_opened: 'open',
			uniqueOpened: 'open',
			click: 'click',
			request: null,
		};
		const batch = Object.keys(names).map((event, index) => ({
			...hardBounce,
			event,
			ts_epoch: 1793718000000 + index,
			link: event === 'click' ? 'https://example.net/l' : undefined,
		}));
		const result = expectOk(await verifyBrevoRequest(withBearer(batch), { bearerToken: TOKEN }));
		expect(result.events.map((event) => event.kind)).toEqual(Object.values(names).filter(Boolean));
		expect(result.ignored).toEqual([
			{ index: 15, type: 'request', reason: 'not a delivery outcome' },
		]);
		expect(new Set(result.events.map((event) => event.eventId)).size).toBe(result.events.length);
		expect(result.events.find((event) => event.kind === 'click')?.url).toBe(
			'https://example.net/l',
		);
	});

	test('marketing events without message-id get an id from camp_id', async () => {
		const marketing = {
			event: 'unsubscribe',
			email: 'm@example.com',
			id: 9,
			camp_id: 123,
			ts_event: 1793718000,
		};
		const result = expectOk(
			await verifyBrevoRequest(withBearer(marketing), { bearerToken: TOKEN }),
		);
		expect(result.events[0]).toMatchObject({
			eventId: 'camp:123:unsubscribe:1793718000:m@example.com',
			occurredAt: '2026-11-03T15:00:00.000Z',
		});
	});

	test('basic credentials work when configured, constant-time compared', async () => {
		const config = { username: 'brevo', password: 'pw-123' };
		expectOk(
			await verifyBrevoRequest(
				post(hardBounce, { authorization: basic('brevo', 'pw-123') }),
				config,
			),
		);
		expectFailure(
			await verifyBrevoRequest(
				post(hardBounce, { authorization: basic('brevo', 'pw-124') }),
				config,
			),
			401,
			/Wrong HTTP Basic/,
		);
		// A bearer token is no use when only basic auth is configured.
		expectFailure(
			await verifyBrevoRequest(withBearer(hardBounce), config),
			401,
			/Missing HTTP Basic/,
		);
	});

	test('wrong or missing token gets 401', async () => {
		const wrong = post(hardBounce, { authorization: 'Bearer not-the-token' });
		expectFailure(
			await verifyBrevoRequest(wrong, { bearerToken: TOKEN }),
			401,
			/Wrong bearer token/,
		);
		expectFailure(
			await verifyBrevoRequest(post(hardBounce), { bearerToken: TOKEN }),
			401,
			/Missing bearer token/,
		);
	});

	test('malformed payloads get 400, oversize 413, no auth configured throws', async () => {
		expectFailure(
			await verifyBrevoRequest(withBearer('{{'), { bearerToken: TOKEN }),
			400,
			/not valid JSON/,
		);
		const noTime = { event: 'hard_bounce', email: 'a@b.example' };
		expectFailure(
			await verifyBrevoRequest(withBearer(noTime), { bearerToken: TOKEN }),
			400,
			/ts_epoch/,
		);
		expectFailure(
			await verifyBrevoRequest(withBearer([1]), { bearerToken: TOKEN }),
			400,
			/events\[0\] is not an object/,
		);
		expectFailure(
			await verifyBrevoRequest(withBearer(hardBounce), { bearerToken: TOKEN, maxBodyBytes: 64 }),
			413,
		);
		await expect(verifyBrevoRequest(withBearer(hardBounce), {})).rejects.toThrow(
			/needs a bearer token/,
		);
	});
});
