import { bounceOf, type SendResult } from '../../../lib/send';

function refused(
	responseCode: number,
	enhancedStatus: string | null,
	text: string,
	command = 'RCPT TO',
	kind: 'permanent' | 'retryable' | 'unknown' | 'fatal' = responseCode >= 500 ? 'permanent' : 'retryable',
): SendResult {
	const response = `${responseCode} ${enhancedStatus ? `${enhancedStatus} ` : ''}${text}`;
	return {
		ref: 0,
		status: 'failed',
		messageId: null,
		accepted: [],
		rejected: ['r@example.org'],
		response,
		attempts: 1,
		error: { kind, message: `Refused (${command}): "${response}"`, code: 'EENVELOPE', responseCode, enhancedStatus, command },
	};
}

describe('the send path reads refusals with the shared reason rules', () => {
	it('550 5.1.1 user unknown at RCPT is hard', () => {
		expect(bounceOf(refused(550, '5.1.1', 'No such user'))).toEqual({
			kind: 'hard',
			reason: 'userunknown',
			status: '5.1.1',
			replyCode: 550,
			diagnostic: '550 5.1.1 No such user',
		});
	});

	it('550 5.7.1 "blocked" at RCPT is the sender\'s problem, never hard', () => {
		const bounce = bounceOf(refused(550, '5.7.1', 'Service unavailable, client host blocked using Spamhaus'));
		expect(bounce).toMatchObject({ kind: 'sender', reason: 'blocked', status: '5.7.1' });
	});

	it('552 5.2.2 mailbox full is soft, at RCPT or after DATA', () => {
		expect(bounceOf(refused(552, '5.2.2', 'Mailbox full'))).toMatchObject({ kind: 'soft', reason: 'mailboxfull' });
		expect(bounceOf(refused(552, '5.2.2', 'Mailbox full', 'DATA'))).toMatchObject({ kind: 'soft', reason: 'mailboxfull' });
	});

	it('a deferral that outlived the retries is never hard', () => {
		const deferred = refused(450, '4.2.2', 'Mailbox full, try later');
		expect(bounceOf(deferred)).toMatchObject({ kind: 'soft', reason: 'mailboxfull', replyCode: 450 });
		expect(bounceOf(refused(451, null, 'Try again later'))?.kind).toBe('soft');
	});

	it('no bounce for a sent message, a lost connection or a fatal error of ours', () => {
		expect(bounceOf({ ...refused(550, '5.1.1', 'x'), status: 'sent', error: undefined })).toBeNull();
		expect(bounceOf(refused(550, '5.1.1', 'x', 'DATA', 'unknown'))).toBeNull();
		expect(bounceOf(refused(535, '5.7.8', 'Authentication failed', 'AUTH', 'fatal'))).toBeNull();
		const lost = refused(550, null, 'x');
		lost.error!.responseCode = null;
		expect(bounceOf(lost)).toBeNull();
	});
});
