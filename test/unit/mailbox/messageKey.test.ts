import { messageKeyOf, unreadableReason } from '../../../lib/mailbox/messageKey';

const bounce = (headers: string, body = 'report') => Buffer.from(`${headers}\r\n\r\n${body}\r\n`);

describe('messageKeyOf', () => {
	it('is the top-level Message-ID, also when folded onto the next line', () => {
		expect(messageKeyOf(bounce('From: MAILER-DAEMON@mta.test\r\nMessage-ID: <20261206.ABC@mta.test>'))).toBe('mailbox:<20261206.ABC@mta.test>');
		expect(messageKeyOf(bounce('From: x@y.test\r\nMessage-Id:\r\n <folded@mta.test>'))).toBe('mailbox:<folded@mta.test>');
		expect(messageKeyOf(Buffer.from('From: x@y.test\nMessage-ID: <lf@mta.test>\n\nbody\n'))).toBe('mailbox:<lf@mta.test>');
	});

	it("never takes the returned original's Message-ID from the body", () => {
		const source = bounce('From: MAILER-DAEMON@mta.test\r\nSubject: Undelivered', 'Message-ID: <original@club.test>');
		const key = messageKeyOf(source);
		expect(key).toMatch(/^mailbox:sha256:[0-9a-f]{64}$/);
		// the same bytes give the same key; one byte more gives another
		expect(messageKeyOf(Buffer.from(source))).toBe(key);
		expect(messageKeyOf(Buffer.concat([source, Buffer.from('x')]))).not.toBe(key);
	});
});

describe('unreadableReason', () => {
	it('accepts anything that starts with a header field', () => {
		expect(unreadableReason(bounce('Return-Path: <>'))).toBeNull();
		expect(unreadableReason(Buffer.from('X-Odd-Header:value\n\n'))).toBeNull();
	});

	it('names what is wrong with what is not mail', () => {
		expect(unreadableReason(Buffer.alloc(0))).toBe('the message is empty');
		expect(unreadableReason(Buffer.from('garbage that is no e-mail message\r\n'))).toBe(
			'not an e-mail message: it does not start with header fields',
		);
		expect(unreadableReason(Buffer.from('\r\nSubject: starts with a blank line'))).not.toBeNull();
	});
});
