import { bounceMessageIdOf, unreadableReason } from '../../../lib/mailbox';

const bounce = (headers: string, body = 'report') => Buffer.from(`${headers}\r\n\r\n${body}\r\n`);

describe('bounceMessageIdOf', () => {
	it('is the top-level Message-ID, also when folded onto the next line', () => {
		expect(bounceMessageIdOf(bounce('From: MAILER-DAEMON@mta.test\r\nMessage-ID: <20261206.ABC@mta.test>'))).toBe('20261206.ABC@mta.test');
		expect(bounceMessageIdOf(bounce('From: x@y.test\r\nMessage-Id:\r\n <folded@mta.test>'))).toBe('folded@mta.test');
		expect(bounceMessageIdOf(Buffer.from('From: x@y.test\nMessage-ID: <lf@mta.test>\n\nbody\n'))).toBe('lf@mta.test');
	});

	it("never takes the returned original's Message-ID from the body", () => {
		const source = bounce('From: MAILER-DAEMON@mta.test\r\nSubject: Undelivered', 'Message-ID: <original@club.test>');
		expect(bounceMessageIdOf(source)).toBeNull();
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
