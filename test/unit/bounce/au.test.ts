/** au by KDDI (ezweb.ne.jp): the carrier's explanation says more than the SMTP reply it quotes. */
import { classifyBounce } from '../../../lib/bounce';
import { dsn, plainBounce } from './samples';

describe('au / ezweb', () => {
	test('"account is disabled" makes a quoted "550 user unknown" a suspended line, not a dead one', () => {
		const result = classifyBounce(
			dsn({
				top: { From: 'Mail Administrator <Postmaster@ezweb.ne.jp>', Subject: 'Mail System Error - Returned Mail' },
				text: 'The user(s) account is disabled.\n\n<reader@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)',
				recipients: [{ address: 'reader@ezweb.ne.jp', status: '5.0.0' }],
			}),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'au' });
		expect(result.recipients[0]).toMatchObject({ address: 'reader@ezweb.ne.jp', reason: 'suspend', kind: 'soft' });
	});

	test('au one net plain notice in ISO-2022-JP: the English line names the full mailbox', () => {
		const japanese = Buffer.from('\x1b$B%a!<%k%\\%C%/%9$,0lGU$G$9\x1b(B', 'latin1').toString('latin1');
		const result = classifyBounce(
			plainBounce({
				from: 'no-reply@dion.ne.jp',
				subject: 'Mail Delivery Error',
				top: { 'Content-Type': 'text/plain; charset=iso-2022-jp' },
				text: `${japanese}\n\nYour mail sent on: Tue, 3 Nov 2026 09:00:00 +0900\n     Could not be delivered to: <reader@dion.ne.jp>\n     As their mailbox is full.\n`,
			}),
		);
		expect(result.recipients[0]).toMatchObject({ address: 'reader@dion.ne.jp', reason: 'mailboxfull', kind: 'soft' });
	});
});
