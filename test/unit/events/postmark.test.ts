import { verifyAndParse, verifyPostmarkRequest } from '../../../lib/events';
import { basic, expectFailure, expectOk, fixtureJson, post } from './helpers';

const auth = { username: 'postmark-hook', password: 's3cret-pass' };
const bounce = fixtureJson('postmark-bounce.json');
const authorised = (body: unknown) =>
	post(body as object, { authorization: basic(auth.username, auth.password) });

describe('Postmark webhook', () => {
	test('a hard bounce with Basic auth becomes a hard event with metadata ids', async () => {
		const result = expectOk(await verifyPostmarkRequest(authorised(bounce), auth));
		expect(result.events).toEqual([
			{
				provider: 'postmark',
				eventId: 'Bounce:4323372036',
				messageId: '883953f4-6105-42a2-a16a-77a8eac79483',
				recipient: 'John@example.com',
				kind: 'hard',
				reason: 'userunknown',
				smtpStatus: '5.1.1',
				diagnostic: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
				occurredAt: '2026-11-03T15:05:12.888Z',
				campaignId: 'cmp_5',
				subscriberId: 'sub_11',
			},
		]);
	});

	test.each([
		['BadEmailAddress', 'hard', 'userunknown', undefined],
		// Postmark's own hold, not the receiver's verdict
		['ManuallyDeactivated', 'soft', 'onhold', undefined],
		['SoftBounce', 'soft', 'mailboxfull', '452 4.2.2 Mailbox full'],
		['Transient', 'soft', 'expired', 'Message delayed'],
		['DnsError', 'soft', 'networkerror', 'DNS lookup failed'],
		// refusals of our mail: never held against the address, whatever the status says
		['Blocked', 'sender', 'blocked', 'smtp;550 5.7.1 Message rejected due to local policy'],
		['SpamNotification', 'sender', 'spamdetected', '550 5.7.1 spam'],
		['DMARCPolicy', 'sender', 'authfailure', '550 5.7.26 unauthenticated mail'],
		['SpamComplaint', 'complaint', 'feedback', undefined],
	])('bounce Type %s → %s (%s)', async (type, kind, reason, details) => {
		const result = expectOk(
			await verifyPostmarkRequest(authorised({ ...bounce, Type: type, ...(details ? { Details: details } : {}) }), auth),
		);
		expect(result.events[0]).toMatchObject({ kind, reason });
	});

	test('a HardBounce whose diagnostic is a policy block is the sender\'s, a user unknown stays hard', async () => {
		const blocked = { ...bounce, Details: 'smtp;550 5.7.1 Service unavailable; client host [203.0.113.9] blocked' };
		const result = expectOk(await verifyPostmarkRequest(authorised(blocked), auth));
		expect(result.events[0]).toMatchObject({ kind: 'sender', reason: 'blocked', smtpStatus: '5.7.1' });
	});

	test('bounce types that say nothing about the address are ignored', async () => {
		const result = expectOk(
			await verifyPostmarkRequest(authorised({ ...bounce, Type: 'AutoResponder' }), auth),
		);
		expect(result.events).toEqual([]);
		expect(result.ignored[0].type).toBe('Bounce/AutoResponder');
	});

	test('other record types map by RecordType', async () => {
		const records = [
			{
				RecordType: 'SpamComplaint',
				ID: 77,
				Type: 'SpamComplaint',
				Email: 'c@example.com',
				BouncedAt: '2026-11-03T10:00:00Z',
				MessageID: 'm1',
			},
			{
				RecordType: 'Delivery',
				Recipient: 'd@example.com',
				DeliveredAt: '2026-11-03T10:00:01Z',
				MessageID: 'm2',
				Details: 'Test delivery webhook details',
			},
			{
				RecordType: 'Open',
				Recipient: 'o@example.com',
				ReceivedAt: '2026-11-03T10:00:02Z',
				MessageID: 'm3',
			},
			{
				RecordType: 'Click',
				Recipient: 'k@example.com',
				ReceivedAt: '2026-11-03T10:00:03Z',
				MessageID: 'm4',
				OriginalLink: 'https://example.net/p',
			},
			{
				RecordType: 'SubscriptionChange',
				Recipient: 'u@example.com',
				ChangedAt: '2026-11-03T10:00:04Z',
				MessageID: 'm5',
				SuppressSending: true,
				SuppressionReason: 'ManualSuppression',
			},
		];
		const kinds = [];
		for (const record of records) {
			const result = expectOk(await verifyPostmarkRequest(authorised(record), auth));
			kinds.push(result.events[0]);
		}
		expect(kinds.map((event) => event.kind)).toEqual([
			'complaint',
			'delivered',
			'open',
			'click',
			'unsubscribe',
		]);
		expect(kinds[0].eventId).toBe('SpamComplaint:77');
		expect(kinds[2].eventId).toBe('m3:Open:o@example.com:2026-11-03T10:00:02Z');
		expect(kinds[3].url).toBe('https://example.net/p');
		expect(kinds[4].diagnostic).toBe('ManualSuppression');
		const reactivation = { ...records[4], SuppressSending: false };
		expect(expectOk(await verifyPostmarkRequest(authorised(reactivation), auth)).events).toEqual(
			[],
		);
	});

	test('wrong or missing credentials get 401', async () => {
		const wrongPassword = post(bounce, { authorization: basic(auth.username, 'nope') });
		expectFailure(await verifyPostmarkRequest(wrongPassword, auth), 401, /Wrong HTTP Basic/);
		const wrongUser = post(bounce, { authorization: basic('someone', auth.password) });
		expectFailure(await verifyPostmarkRequest(wrongUser, auth), 401, /Wrong HTTP Basic/);
		expectFailure(await verifyPostmarkRequest(post(bounce), auth), 401, /Missing HTTP Basic/);
		const bearer = post(bounce, { authorization: 'Bearer s3cret-pass' });
		expectFailure(await verifyPostmarkRequest(bearer, auth), 401, /Missing HTTP Basic/);
	});

	test('malformed records get 400, oversize 413', async () => {
		expectFailure(
			await verifyPostmarkRequest(authorised('{"RecordType":'), auth),
			400,
			/not valid JSON/,
		);
		const noEmail = { ...bounce, Email: undefined };
		expectFailure(await verifyPostmarkRequest(authorised(noEmail), auth), 400, /record: "Email"/);
		const noDate = { ...bounce, BouncedAt: 'soon' };
		expectFailure(await verifyPostmarkRequest(authorised(noDate), auth), 400, /BouncedAt/);
		expectFailure(
			await verifyAndParse('postmark', authorised(bounce), { ...auth, maxBodyBytes: 200 }),
			413,
		);
	});

	test('an unconfigured password is a configuration error', async () => {
		await expect(
			verifyPostmarkRequest(authorised(bounce), { username: 'u', password: '' }),
		).rejects.toThrow(/password is not configured/);
	});
});
