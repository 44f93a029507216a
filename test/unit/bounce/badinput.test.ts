/** Bad input gets a clear outcome, never a crash: not mail, huge mail, many recipients, nesting. */
import { classifyBounce, MAX_RECIPIENTS } from '../../../lib/bounce';
import { dsn, plainBounce, RETURNED } from './samples';

describe('bad input', () => {
	test('not mail: empty, binary, JSON, a wrong type — not-bounce with a note', () => {
		expect(classifyBounce('')).toMatchObject({ type: 'not-bounce', recipients: [], note: expect.stringMatching(/empty/) });
		expect(classifyBounce(Buffer.from([0, 1, 2, 255, 254, 10, 10, 0]))).toMatchObject({ type: 'not-bounce', note: expect.stringMatching(/no header fields/) });
		expect(classifyBounce('{"hello": "world"}')).toMatchObject({ type: 'not-bounce' });
		expect(classifyBounce(42 as unknown as string)).toMatchObject({ type: 'not-bounce', note: expect.stringMatching(/expected the raw message/) });
	});

	test('a 50 MB bounce (a huge returned attachment) is read from its first part only', () => {
		const mail = dsn({ text: 'Delivery failed.', recipients: [{ address: 'gone@example.org', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' }] });
		const huge = Buffer.concat([Buffer.from(mail.replace('--SAMPLE-BOUNDARY-1--\n', '')), Buffer.from('--SAMPLE-BOUNDARY-1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'), Buffer.alloc(50 * 1024 * 1024, 'QUFB\n')]);
		const result = classifyBounce(huge);
		expect(result).toMatchObject({ type: 'bounce', truncated: true, recipients: [{ address: 'gone@example.org', kind: 'hard' }] });
	});

	test('a bounce for 1,000 recipients lists each once; more than the cap are left out, not crashed on', () => {
		const recipients = Array.from({ length: 1000 }, (_, i) => ({ address: `r${i}@example.org`, status: '5.1.1', diagnostic: '550 5.1.1 User unknown' }));
		const result = classifyBounce(dsn({ text: 'Delivery failed.', recipients: [...recipients, recipients[0]] }));
		expect(result.recipients).toHaveLength(1000);
		expect(new Set(result.recipients.map((r) => r.address)).size).toBe(1000);
		expect(result.truncated).toBeUndefined();
		// A report too long to read whole: what was read is reported, and marked as partial.
		const many = Array.from({ length: MAX_RECIPIENTS + 5 }, (_, i) => ({ address: `m${i}@example.org`, status: '5.2.2' }));
		const capped = classifyBounce(dsn({ text: 'Delivery failed.', recipients: many }));
		expect(capped).toMatchObject({ type: 'bounce', truncated: true });
		expect(capped.recipients.length).toBeGreaterThan(1000);
		expect(capped.recipients.length).toBeLessThanOrEqual(MAX_RECIPIENTS);
	});

	test('a bounce quoted inside a bounce: the outer one is read', () => {
		const inner = dsn({ text: 'Inner failure.', recipients: [{ address: 'inner@example.org', status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' }] });
		const outer = plainBounce({
			from: 'MAILER-DAEMON@relay.example.net',
			subject: 'failure notice',
			text: `Hi. This is the qmail-send program at relay.example.net.\n\n<outer@example.net>:\nRemote host said: 550 5.1.1 <outer@example.net>: No such user (in reply to RCPT TO command)\n\n--- Below this line is a copy of the message.\n\n`,
			original: inner,
		});
		const result = classifyBounce(outer);
		expect(result.recipients.map((r) => [r.address, r.reason])).toEqual([['outer@example.net', 'userunknown']]);
	});

	test('an address the store does not know is still reported as read; matching is the caller\'s', () => {
		const result = classifyBounce(plainBounce({ from: 'MAILER-DAEMON@mx.example.net', subject: 'failure notice', text: '<stranger@elsewhere.example>:\nRemote host said: 550 5.1.1 No such user (#5.1.1)\n', original: `\n--- Below this line is a copy of the message.\n\n${RETURNED}` }));
		expect(result.recipients[0].address).toBe('stranger@elsewhere.example');
		expect(result.original?.headers['x-bulk-mail-subscriber']).toBe('sub_1');
	});
});
