/** Amazon SES: SNS notifications delivered by mail, and bounces from SES inbound receipt rules. */
import { classifyBounce } from '../../../lib/bounce';
import { dsn, headers } from './samples';

const sns = (notification: object) =>
	`${headers({ From: 'AWS Notifications <no-reply@sns.amazonaws.com>', To: 'ops@sender.example', Subject: 'AWS Notification Message', 'Content-Type': 'text/plain; charset=UTF-8' })}\n\n${JSON.stringify(notification).replace(/(.{76})/g, '$1\n')}\n\n--\nIf you wish to stop receiving notifications from this topic, please click the link below.\n`;

describe('Amazon SES', () => {
	test('a Bounce notice (JSON wrapped over lines) gives its recipients with status and diagnostic', () => {
		const result = classifyBounce(
			sns({ notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'gone@example.org', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] }, mail: { source: 'news@sender.example' } }),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'amazonses' });
		expect(result.recipients[0]).toMatchObject({ address: 'gone@example.org', reason: 'userunknown', kind: 'hard', status: '5.1.1', replyCode: '550' });
	});

	test('a Complaint notice is a complaint about the complained recipient', () => {
		const result = classifyBounce(sns({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'reader@example.org' }], complaintFeedbackType: 'abuse' } }));
		expect(result).toMatchObject({ type: 'complaint', recipients: [{ address: 'reader@example.org', kind: 'complaint', reason: 'feedback' }] });
	});

	test('SES inbound: a receipt rule refusal is a filter, even with 5.1.1', () => {
		const result = classifyBounce(
			dsn({ text: 'Delivery failed.', reportingMta: 'inbound-smtp.us-west-2.amazonaws.com', recipients: [{ address: 'reader@example.org', status: '5.1.1', diagnostic: '550 5.1.1 Mailbox does not exist' }] }),
		);
		expect(result).toMatchObject({ format: 'receivingses' });
		expect(result.recipients[0]).toMatchObject({ reason: 'filtered', kind: 'soft' });
	});
});
