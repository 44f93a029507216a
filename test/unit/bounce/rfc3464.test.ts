/** Standard delivery status notifications (RFC 3464), read by lib/bounce's rfc3464 module. */
import { classifyBounce } from '../../../lib/bounce';
import { dsn } from './samples';

const POSTFIX_TEXT = (address: string, reply: string, command = 'RCPT TO') =>
	`This is the mail system at host mx.sender.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<${address}>: host mx.example.org[192.0.2.10] said:\n    ${reply} (in reply to ${command}\n    command)`;

describe('RFC 3464 reports', () => {
	test('a 5.1.1 refusal at RCPT is a hard userunknown, matched by the returned headers and the VERP return path', () => {
		const result = classifyBounce(
			dsn({
				text: POSTFIX_TEXT('gone@example.org', '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in local recipient table'),
				recipients: [{ address: 'gone@example.org', status: '5.1.1', diagnostic: '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in local recipient table' }],
			}),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'rfc3464', returnPath: 'bounces+token@bounce.sender.example' });
		expect(result.recipients).toEqual([
			{
				address: 'gone@example.org',
				kind: 'hard',
				reason: 'userunknown',
				status: '5.1.1',
				replyCode: '550',
				diagnostic: '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in local recipient table',
			},
		]);
		expect(result.original).toEqual({
			messageId: 'cmp-1.sub-1@sender.example',
			headers: expect.objectContaining({ 'x-bulk-mail-campaign': 'cmp_1', 'x-bulk-mail-subscriber': 'sub_1' }),
		});
		expect(result.messageId).toBe('report-1@mx.sender.example');
	});

	test('a 550 5.7.1 block at RCPT is about the sender, never hard', () => {
		const reply = '550 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org';
		const result = classifyBounce(dsn({ text: POSTFIX_TEXT('reader@example.org', reply), recipients: [{ address: 'reader@example.org', status: '5.7.1', diagnostic: reply }] }));
		expect(result.recipients[0]).toMatchObject({ kind: 'sender', reason: 'blocked', status: '5.7.1' });
	});

	test('full mailbox, SPF failure and size limit each get their own reason and kind', () => {
		const result = classifyBounce(
			dsn({
				text: 'Delivery failed for three recipients.',
				recipients: [
					{ address: 'full@example.org', status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' },
					{ address: 'spf@example.org', status: '5.7.23', diagnostic: '550 5.7.23 SPF validation failed for sender.example' },
					{ address: 'big@example.org', status: '5.3.4', diagnostic: '552 5.3.4 Message size exceeds fixed maximum message size' },
				],
			}),
		);
		expect(result.recipients.map((r) => [r.address, r.reason, r.kind])).toEqual([
			['full@example.org', 'mailboxfull', 'soft'],
			['spf@example.org', 'authfailure', 'sender'],
			['big@example.org', 'mesgtoobig', 'sender'],
		]);
	});

	test('"user unknown" after DATA was a filter, not a dead address', () => {
		const reply = '550 Unknown user reader@example.org';
		const result = classifyBounce(dsn({ text: POSTFIX_TEXT('reader@example.org', reply, 'end of DATA'), recipients: [{ address: 'reader@example.org', diagnostic: reply }] }));
		expect(result.recipients[0]).toMatchObject({ kind: 'soft', reason: 'filtered' });
	});

	test('a refusal at MAIL FROM is about our envelope sender', () => {
		const reply = '553 5.1.0 <bounces@sender.example>: Sender address rejected: not owned by user';
		const result = classifyBounce(dsn({ text: POSTFIX_TEXT('reader@example.org', reply, 'MAIL FROM'), recipients: [{ address: 'reader@example.org', status: '5.1.0', diagnostic: reply }] }));
		expect(result.recipients[0]).toMatchObject({ kind: 'sender', reason: 'rejected' });
	});

	test('a delay notice is `delayed`, a success notice `delivered`; mixed reports list the failures', () => {
		const delayed = classifyBounce(dsn({ text: 'Delayed.', recipients: [{ address: 'slow@example.org', action: 'delayed', status: '4.4.1', diagnostic: '421 4.4.1 Connection timed out' }] }));
		expect(delayed.type).toBe('delayed');
		expect(delayed.recipients[0]).toMatchObject({ address: 'slow@example.org', kind: 'soft' });
		const delivered = classifyBounce(dsn({ text: 'Delivered.', recipients: [{ address: 'ok@example.org', action: 'delivered', status: '2.0.0', diagnostic: '250 2.0.0 Ok' }] }));
		expect(delivered).toMatchObject({ type: 'delivered', recipients: [] });
		const mixed = classifyBounce(
			dsn({
				text: 'Mixed.',
				recipients: [
					{ address: 'slow@example.org', action: 'delayed', status: '4.4.1' },
					{ address: 'gone@example.org', status: '5.1.1', diagnostic: '550 5.1.1 No such user' },
					{ address: 'list@example.org', action: 'expanded', status: '2.0.0' },
				],
			}),
		);
		expect(mixed.type).toBe('bounce');
		expect(mixed.recipients.map((r) => r.address)).toEqual(['gone@example.org']);
		expect(mixed.outcomes?.map((o) => [o.address, o.action])).toEqual([
			['slow@example.org', 'delayed'],
			['list@example.org', 'expanded'],
		]);
	});

	test('a local delivery program failing (X-Unix diagnostic) is a mailer error', () => {
		const mail = dsn({ text: 'Local delivery failed.', recipients: [{ address: 'local@example.org', status: '5.3.0' }] }).replace(
			'Status: 5.3.0',
			'Status: 5.3.0\nDiagnostic-Code: X-Unix; 77',
		);
		expect(classifyBounce(mail).recipients[0]).toMatchObject({ reason: 'mailererror', kind: 'soft' });
	});

	test('a report whose MIME boundary was lost is still read from its inline fields', () => {
		const mail = dsn({ text: 'The following address failed.', recipients: [{ address: 'gone@example.org', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' }] }).replace(
			'boundary="SAMPLE-BOUNDARY-1"',
			'boundary="NOT-THE-ONE"',
		).replace(/--SAMPLE-BOUNDARY-1(--)?\n/g, '');
		const result = classifyBounce(mail);
		expect(result.type).toBe('bounce');
		expect(result.recipients[0]).toMatchObject({ address: 'gone@example.org', reason: 'userunknown' });
	});
});
