/**
 * classifyFailure: the one set of reason rules every path uses (the classifier, synchronous SMTP
 * refusals in Bulk Send, ESP webhooks), and the reason → kind table.
 */
import { classifyFailure, kindOfReason } from '../../../lib/bounce';

describe('classifyFailure', () => {
	test('a reason the source states wins', () => {
		expect(classifyFailure({ status: '5.1.1', statedReason: 'suspend' })).toEqual({ reason: 'suspend', kind: 'soft' });
	});

	test('SMTP refusals at RCPT, as the send path sees them', () => {
		expect(classifyFailure({ replyCode: 550, status: '5.1.1', diagnostic: '550 5.1.1 <a@example.org>: User unknown', command: 'RCPT' })).toEqual({ reason: 'userunknown', kind: 'hard' });
		expect(classifyFailure({ replyCode: '550', status: '5.7.1', diagnostic: '550 5.7.1 Message rejected due to IP reputation', command: 'RCPT' })).toEqual({ reason: 'badreputation', kind: 'sender' });
		expect(classifyFailure({ replyCode: '550', diagnostic: '550 Requested action not taken: mailbox unavailable (blocked using spamhaus)', command: 'RCPT' }).kind).toBe('sender');
		// 5.2.2 is a full mailbox, not a dead one (the old send path called every 5.2.x hard).
		expect(classifyFailure({ replyCode: '552', status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full', command: 'RCPT' })).toEqual({ reason: 'mailboxfull', kind: 'soft' });
		expect(classifyFailure({ replyCode: '550', diagnostic: '550 No such user here', command: 'RCPT' })).toEqual({ reason: 'userunknown', kind: 'hard' });
	});

	test('the same words mean different things at different commands', () => {
		expect(classifyFailure({ replyCode: '550', diagnostic: '550 Unknown user', command: 'DATA' })).toEqual({ reason: 'filtered', kind: 'soft' });
		expect(classifyFailure({ replyCode: '553', status: '5.1.0', diagnostic: '553 5.1.0 Sender address rejected', command: 'MAIL' })).toEqual({ reason: 'rejected', kind: 'sender' });
		// No command, no addressing status: words alone never make a hard bounce.
		expect(classifyFailure({ replyCode: '550', diagnostic: '550 user unknown' }).kind).toBe('soft');
	});

	test('the final delivery agent finding no such user, and a per-recipient access reject at RCPT, are dead addresses', () => {
		expect(classifyFailure({ status: '5.5.0', diagnostic: 'mail.local: unknown user: reader 554 <reader@example.org>... Service unavailable' })).toEqual({ reason: 'userunknown', kind: 'hard' });
		expect(classifyFailure({ replyCode: '554', status: '5.7.1', diagnostic: '554 5.7.1 <reader@example.org>: Recipient address rejected: Access denied', command: 'RCPT' })).toEqual({ reason: 'userunknown', kind: 'hard' });
		// The same words without the command are not enough.
		expect(classifyFailure({ replyCode: '554', status: '5.7.1', diagnostic: '554 5.7.1 <reader@example.org>: Recipient address rejected: Access denied' }).kind).not.toBe('hard');
	});

	test('ESP-style evidence: status and diagnostic only', () => {
		expect(classifyFailure({ status: '5.7.26', diagnostic: 'Unauthenticated email from sender.example is not accepted due to domain\'s DMARC policy' })).toEqual({ reason: 'authfailure', kind: 'sender' });
		expect(classifyFailure({ status: '5.4.7', diagnostic: 'delivery expired (message too old)' }).kind).toBe('soft');
		expect(classifyFailure({ status: '4.2.2', diagnostic: 'over quota' })).toEqual({ reason: 'mailboxfull', kind: 'soft' });
		expect(classifyFailure({ status: '5.3.4', diagnostic: 'Message too big' })).toEqual({ reason: 'mesgtoobig', kind: 'sender' });
		expect(classifyFailure({ status: '5.1.2', diagnostic: 'Host unknown' })).toEqual({ reason: 'hostunknown', kind: 'hard' });
	});

	test('"host not found" about our HELO name or sender domain is not a dead recipient domain', () => {
		expect(classifyFailure({ replyCode: '450', status: '4.7.1', diagnostic: '450 4.7.1 <mta.sender.example>: Helo command rejected: Host not found', command: 'RCPT' }).kind).toBe('sender');
		expect(classifyFailure({ replyCode: '550', diagnostic: '550 <news@sender.example>: Sender address rejected: Domain not found', command: 'RCPT' })).toEqual({ reason: 'rejected', kind: 'sender' });
		expect(classifyFailure({ diagnostic: 'Host or domain name not found. Name service error for name=example.invalid' })).toEqual({ reason: 'hostunknown', kind: 'hard' });
	});

	test('an address inside the diagnostic says nothing about the reason', () => {
		expect(classifyFailure({ replyCode: '550', diagnostic: '550 <spam-policy@example.org>: Relay access denied', command: 'RCPT' }).reason).toBe('norelaying');
	});

	test('nothing to go by: undefined (soft); words but no rule: onhold (soft)', () => {
		expect(classifyFailure({})).toEqual({ reason: 'undefined', kind: 'soft' });
		expect(classifyFailure({ diagnostic: 'something odd happened' })).toEqual({ reason: 'onhold', kind: 'soft' });
	});
});

describe('kindOfReason', () => {
	test('the README table', () => {
		expect(['userunknown', 'hostunknown', 'hasmoved', 'notaccept'].map((r) => kindOfReason(r as never))).toEqual(['hard', 'hard', 'hard', 'hard']);
		expect(kindOfReason('blocked')).toBe('sender');
		expect(kindOfReason('mailboxfull')).toBe('soft');
		expect(kindOfReason('feedback')).toBe('complaint');
		expect(kindOfReason('vacation')).toBeNull();
		expect(kindOfReason('delivered')).toBeNull();
	});
});
