import {
	GENERIC_SIGNATURE_HEADER,
	parseDeliveryStatus,
	parseFieldBlock,
	signGenericPayload,
	verifyAndParse,
	verifyDsnRequest,
} from '../../../lib/events';
import { expectFailure, expectOk, fixtureText, nowSeconds, post } from './helpers';

const SECRET = 'dsn-signing-secret';
const TOKEN = 'mailbox-poller-token';
const config = { secret: SECRET, bearerToken: TOKEN };

const signed = (mail: string) =>
	post(mail, { [GENERIC_SIGNATURE_HEADER]: signGenericPayload(SECRET, mail, nowSeconds()) });
const withToken = (mail: string) => post(mail, { authorization: `Bearer ${TOKEN}` });

describe('RFC 3464 DSN', () => {
	test('a failed 5.1.1 report becomes a hard event with ids from the returned message', async () => {
		const result = expectOk(await verifyDsnRequest(signed(fixtureText('dsn-hard.eml')), config));
		expect(result.events).toEqual([
			{
				provider: 'dsn',
				eventId: '20261103100005.ABC123@mx.example.net:Missing.User@example.org',
				messageId: 'campaign-42.sub-7@example.com',
				recipient: 'Missing.User@example.org',
				kind: 'hard',
				reason: 'userunknown',
				smtpStatus: '5.1.1',
				diagnostic:
					'550 5.1.1 <missing.user@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
				occurredAt: '2026-11-03T10:00:04.000Z',
				campaignId: 'cmp_42',
				subscriberId: 'sub_7',
			},
		]);
	});

	test('delayed → deferred, failed 4.x.x → soft, expanded ignored; rfc822-headers part read', async () => {
		const result = expectOk(
			await verifyDsnRequest(withToken(fixtureText('dsn-delayed-multi.eml')), config),
		);
		expect(result.events.map((event) => [event.recipient, event.kind, event.smtpStatus])).toEqual([
			['slow@example.jp', 'deferred', '4.4.1'],
			['quota@example.jp', 'soft', '4.2.2'],
		]);
		expect(result.ignored).toEqual([
			{ index: 2, type: 'expanded', reason: 'not a delivery outcome' },
		]);
		expect(result.events[0]).toMatchObject({
			campaignId: 'cmp_7',
			subscriberId: null,
			messageId: 'cmp7.batch@example.com',
			// No Last-Attempt-Date: falls back to the report's Arrival-Date.
			occurredAt: '2026-11-03T22:00:00.000Z',
		});
		expect(result.events[1].occurredAt).toBe('2026-11-03T23:29:00.000Z');
		// No Message-ID on this DSN: the id comes from a hash of the body, still stable.
		expect(result.events[0].eventId).toMatch(/^sha256:[0-9a-f]{64}:slow@example\.jp$/);
		const again = expectOk(
			await verifyDsnRequest(withToken(fixtureText('dsn-delayed-multi.eml')), config),
		);
		expect(again.events[0].eventId).toBe(result.events[0].eventId);
	});

	test('a failed 5.7.1 block is the sender\'s, a failed 5.2.2 is soft: the shared reason rules', async () => {
		const hard = fixtureText('dsn-hard.eml');
		const blocked = hard
			.replace(/Status: 5\.1\.1/, 'Status: 5.7.1')
			.replace(/Diagnostic-Code: .*(\r?\n[ \t].*)*/, 'Diagnostic-Code: smtp; 550 5.7.1 Service unavailable; client host [192.0.2.1] blocked using Spamhaus');
		expect(expectOk(await verifyDsnRequest(signed(blocked), config)).events[0]).toMatchObject({
			kind: 'sender',
			reason: 'blocked',
			smtpStatus: '5.7.1',
		});
		const full = hard
			.replace(/Status: 5\.1\.1/, 'Status: 5.2.2')
			.replace(/Diagnostic-Code: .*(\r?\n[ \t].*)*/, 'Diagnostic-Code: smtp; 552 5.2.2 Mailbox full');
		expect(expectOk(await verifyDsnRequest(signed(full), config)).events[0]).toMatchObject({ kind: 'soft', reason: 'mailboxfull' });
	});

	test('raw carries the parsed field blocks when asked', async () => {
		const result = expectOk(
			await verifyDsnRequest(signed(fixtureText('dsn-hard.eml')), { ...config, includeRaw: true }),
		);
		expect(result.events[0].raw).toMatchObject({
			message: { 'reporting-mta': 'dns; mx.example.net' },
			recipient: { action: 'failed', status: '5.1.1' },
			original: { 'x-bulk-mail-campaign': 'cmp_42' },
		});
	});

	test('mail that is not a DSN is rejected with 400', async () => {
		expectFailure(
			await verifyDsnRequest(signed(fixtureText('not-a-dsn.eml')), config),
			400,
			/no message\/delivery-status part/,
		);
	});

	test('a report without recipient blocks is rejected with 400', async () => {
		const mail = fixtureText('dsn-hard.eml')
			.replace(/Final-Recipient:.*\n/, '')
			.replace(/Original-Recipient:.*\n/, '');
		expectFailure(await verifyDsnRequest(signed(mail), config), 400, /no per-recipient block/);
	});

	test('unsigned, wrongly signed, tampered or wrong-token posts get 401', async () => {
		const mail = fixtureText('dsn-hard.eml');
		expectFailure(
			await verifyDsnRequest(post(mail), config),
			401,
			/Missing X-Bulk-Mail-Signature header or bearer token/,
		);
		const wrongKey = post(mail, { [GENERIC_SIGNATURE_HEADER]: signGenericPayload('other', mail) });
		expectFailure(await verifyDsnRequest(wrongKey, config), 401, /does not match/);
		const tampered = signed(mail);
		tampered.rawBody = Buffer.from(mail.replace('Status: 5.1.1', 'Status: 4.1.1'));
		expectFailure(await verifyDsnRequest(tampered, config), 401, /does not match/);
		const stale = post(mail, {
			[GENERIC_SIGNATURE_HEADER]: signGenericPayload(SECRET, mail, nowSeconds() - 900),
		});
		expectFailure(await verifyDsnRequest(stale, config), 401, /window/);
		const wrongToken = post(mail, { authorization: 'Bearer guess' });
		expectFailure(await verifyDsnRequest(wrongToken, config), 401, /Wrong bearer token/);
		expectFailure(
			await verifyDsnRequest(withToken(mail), { secret: SECRET }),
			401,
			/Missing X-Bulk-Mail-Signature header$/,
		);
	});

	test('oversize mail gets 413 through the registry', async () => {
		const mail = fixtureText('dsn-hard.eml');
		expectFailure(
			await verifyAndParse('dsn', withToken(mail), { ...config, maxBodyBytes: 512 }),
			413,
		);
	});

	test('field blocks unfold continuation lines; repeated fields keep the first value', () => {
		expect(
			parseFieldBlock(
				'Status: 5.1.1\nDiagnostic-Code: smtp; 550\n  user unknown\nStatus: 4.0.0\n  more',
			),
		).toEqual({
			status: '5.1.1',
			'diagnostic-code': 'smtp; 550 user unknown',
		});
		const report = parseDeliveryStatus(
			'Reporting-MTA: dns; a\r\n\r\nFinal-Recipient: rfc822; x@y.z\r\nAction: failed\r\n \r\n',
		);
		expect(report.recipients).toEqual([{ 'final-recipient': 'rfc822; x@y.z', action: 'failed' }]);
	});
});
