/** Automatic replies (RFC 3834 and vacation forms) are never bounces. */
import { classifyBounce } from '../../../lib/bounce';
import { headers } from './samples';

const reply = (fields: Record<string, string>, body = 'I am away until Monday.') =>
	`${headers({ From: 'Reader <reader@example.org>', To: 'news@sender.example', 'Content-Type': 'text/plain; charset=utf-8', ...fields })}\n\n${body}\n`;

describe('auto-replies', () => {
	test('Auto-Submitted: auto-replied from a person is an auto-reply with no recipients', () => {
		expect(classifyBounce(reply({ Subject: 'Re: Our newsletter', 'Auto-Submitted': 'auto-replied' }))).toMatchObject({ type: 'auto-reply', recipients: [], format: 'rfc3834' });
	});

	test('X-Autoreply and vacation subjects in several languages, Japanese encoded words too', () => {
		expect(classifyBounce(reply({ Subject: 'Hello', 'X-Autoreply': 'yes' })).type).toBe('auto-reply');
		expect(classifyBounce(reply({ Subject: 'Out of Office: Our newsletter' })).type).toBe('auto-reply');
		expect(classifyBounce(reply({ Subject: 'Abwesenheitsnotiz: Newsletter' })).type).toBe('auto-reply');
		expect(classifyBounce(reply({ Subject: 'Réponse automatique : Newsletter' })).type).toBe('auto-reply');
		// "自動応答" (automatic reply) as an RFC 2047 encoded word.
		const japanese = `=?UTF-8?B?${Buffer.from('自動応答: ニュースレター').toString('base64')}?=`;
		expect(classifyBounce(reply({ Subject: japanese })).type).toBe('auto-reply');
	});

	test('a bounce carrying Auto-Submitted: auto-replied (as Postfix and Exim send them) is still a bounce', () => {
		const mail = `${headers({ From: 'Mail Delivery System <MAILER-DAEMON@mx.sender.example>', To: 'news@sender.example', Subject: 'Mail delivery failed: returning message to sender', 'Auto-Submitted': 'auto-replied', 'X-Failed-Recipients': 'gone@example.org' })}\n\nThe following address(es) failed:\n\n  gone@example.org\n    SMTP error from remote mail server after RCPT TO:<gone@example.org>:\n    550 5.1.1 User unknown\n`;
		expect(classifyBounce(mail)).toMatchObject({ type: 'bounce', recipients: [{ address: 'gone@example.org', kind: 'hard' }] });
	});
});
