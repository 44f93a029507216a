/** Gmail's own plain-text bounces and Google Groups refusals. */
import { classifyBounce } from '../../../lib/bounce';
import { plainBounce } from './samples';

const gmail = (text: string, subject = 'Delivery Status Notification (Failure)') =>
	plainBounce({ from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>', subject, text });

describe('Gmail', () => {
	test('the remote server\'s words after "The error that the other server returned was" decide', () => {
		const result = classifyBounce(
			gmail(`Delivery to the following recipient failed permanently:\n\n     reader@example.org\n\nTechnical details of permanent failure:\nGoogle tried to deliver your message, but it was rejected by the server for the recipient domain example.org.\n\nThe error that the other server returned was:\n550 5.7.1 Service unavailable; client [209.85.0.1] blocked using bl.example\n\n----- Original message -----\n`),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'gmail' });
		expect(result.recipients[0]).toMatchObject({ address: 'reader@example.org', reason: 'blocked', kind: 'sender', status: '5.7.1' });
	});

	test('no remote reply: Google\'s explanation (could not connect) is expired; a retry notice is a delay', () => {
		const failed = classifyBounce(gmail(`Delivery to the following recipient failed permanently:\n\n     reader@example.org\n\nTechnical details of permanent failure:\nThe recipient server did not accept our requests to connect.\n`));
		expect(failed.recipients[0]).toMatchObject({ reason: 'expired', kind: 'soft' });
		const delayed = classifyBounce(
			gmail(`Delivery to the following recipient has been delayed:\n\n     reader@example.org\n\nMessage will be retried for 2 more day(s)\n\nTechnical details of temporary failure:\nThe recipient server did not accept our requests to connect.\n`, 'Delivery Status Notification (Delay)'),
		);
		expect(delayed.type).toBe('delayed');
	});
});

describe('Google Groups', () => {
	test('a refused post names the group and is about the sender\'s permission (rejected), in any language', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
				subject: 'Address not found',
				top: { 'X-Failed-Recipients': 'readers@googlegroups.com' },
				text: 'Hallo news@sender.example, die Gruppe (readers) ist möglicherweise nicht vorhanden oder Sie haben keine Berechtigung, Beiträge zu posten.\n',
			}),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'googlegroups', recipients: [{ address: 'readers@googlegroups.com', reason: 'rejected', kind: 'sender' }] });
	});
});
