/** Plain-text bounces without a report part: qmail, Exim, Sendmail transcripts, Postfix notices. */
import { classifyBounce } from '../../../lib/bounce';
import { plainBounce, RETURNED } from './samples';

describe('plain-text bounces', () => {
	test('qmail: "<address>:" then the remote reply; RCPT TO response makes it hard', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'MAILER-DAEMON@mail.sender.example',
				subject: 'failure notice',
				text: `Hi. This is the qmail-send program at mail.sender.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<gone@example.org>:\n192.0.2.5 does not like recipient.\nRemote host said: 550 5.1.1 <gone@example.org>: No such user here\nGiving up on 192.0.2.5.\n\n--- Below this line is a copy of the message.\n`,
				original: RETURNED,
			}),
		);
		expect(result.type).toBe('bounce');
		expect(result.recipients[0]).toMatchObject({ address: 'gone@example.org', reason: 'userunknown', kind: 'hard', status: '5.1.1', replyCode: '550' });
		// The returned copy is read for matching, and its addresses are not taken for recipients.
		expect(result.original?.headers['x-bulk-mail-subscriber']).toBe('sub_1');
		expect(result.recipients).toHaveLength(1);
	});

	test('qmail: a full mailbox is soft', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'MAILER-DAEMON@mail.sender.example',
				subject: 'failure notice',
				text: `Hi. This is the qmail-send program at mail.sender.example.\n\n<full@example.org>:\n192.0.2.5 does not like recipient.\nRemote host said: 552 Error: disk quota exceeded\n`,
			}),
		);
		expect(result.recipients[0]).toMatchObject({ address: 'full@example.org', reason: 'mailboxfull', kind: 'soft' });
	});

	test('Exim: X-Failed-Recipients names the address; a reverse-DNS refusal is the sender side', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'Mail Delivery System <Mailer-Daemon@mx.sender.example>',
				subject: 'Mail delivery failed: returning message to sender',
				top: { 'X-Failed-Recipients': 'reader@example.org', 'Auto-Submitted': 'auto-replied' },
				text: `This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  reader@example.org\n    host mx.example.org [192.0.2.7]\n    SMTP error from remote mail server after RCPT TO:<reader@example.org>:\n    550 5.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.9]\n\n------ This is a copy of the message, including all the headers. ------\n`,
				original: RETURNED,
			}),
		);
		expect(result.type).toBe('bounce');
		expect(result.recipients[0]).toMatchObject({ address: 'reader@example.org', reason: 'requireptr', kind: 'sender' });
	});

	test('Exim: "ultimately generated from" and a sender quoted in the reply are not recipients', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'Mail Delivery System <Mailer-Daemon@mx.sender.example>',
				subject: 'Mail delivery failed: returning message to sender',
				text: `The following address(es) failed:\n\n  reader@example.org\n    (ultimately generated from alias@sender.example)\n    SMTP error from remote mail server after end of data:\n    550 5.7.0 <news@sender.example> From: Domain is invalid. Please provide a valid From:\n`,
			}),
		);
		expect(result.recipients.map((r) => r.address)).toEqual(['reader@example.org']);
		expect(result.recipients[0].kind).not.toBe('hard');
	});

	test('Sendmail transcript: each summary line is a recipient; the reply above it belongs to it', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>',
				subject: 'Returned mail: see transcript for details',
				text: `   ----- Transcript of session follows -----\nWhile talking to mx.example.org:\n>>> MAIL From:<news@sender.example>\n<<< 554 5.7.1 Your IP 203.0.113.9 is blacklisted\n554 <first@example.org>... Service unavailable\nWhile talking to mx.example.net:\n>>> RCPT To:<second@example.net>\n<<< 550 5.1.1 <second@example.net>... User unknown\n550 <second@example.net>... User unknown\n\n   ----- Unsent message follows -----\n`,
				original: RETURNED,
			}),
		);
		expect(result.recipients.map((r) => [r.address, r.reason, r.kind])).toEqual([
			['first@example.org', 'blocked', 'sender'],
			['second@example.net', 'userunknown', 'hard'],
		]);
	});

	test('Postfix "errors from" session transcript: the RCPT line names the recipient', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'MAILER-DAEMON@mx.sender.example (Mail Delivery System)',
				subject: 'Postfix SMTP server: errors from localhost[127.0.0.1]',
				text: `Transcript of session follows.\n\n Out: 220 mx.sender.example ESMTP\n In:  MAIL FROM:<news@sender.example>\n Out: 250 2.1.0 Ok\n In:  RCPT TO:<reader@example.org>\n Out: 250 2.1.5 Ok\n In:  DATA\n Out: 451 4.3.0 Error: queue file write error\n`,
			}),
		);
		expect(result.recipients[0]).toMatchObject({ address: 'reader@example.org', reason: 'systemerror', kind: 'soft' });
	});

	test('a plain message from a person is not a bounce, even with an address in it', () => {
		const result = classifyBounce(plainBounce({ from: 'Reader <reader@example.org>', subject: 'Re: Our newsletter', text: 'Please write to friend@example.net instead.\n', top: { 'Return-Path': '<reader@example.org>' } }));
		expect(result).toMatchObject({ type: 'not-bounce', recipients: [] });
		expect(result.note).toMatch(/not a bounce/);
	});
});
