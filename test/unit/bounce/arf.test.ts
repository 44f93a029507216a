/** Complaints: ARF feedback reports (RFC 5965), SES complaint notices, mailto unsubscribe requests. */
import { classifyBounce } from '../../../lib/bounce';
import { headers } from './samples';

function arf(report: string, original: string): string {
	return `${headers({
		From: 'Feedback Loop <fbl@isp.example>',
		To: 'abuse@sender.example',
		Subject: 'Email Feedback Report for IP 203.0.113.9',
		'MIME-Version': '1.0',
		'Content-Type': 'multipart/report; report-type=feedback-report; boundary="FBL"',
	})}

--FBL
Content-Type: text/plain

This is an email abuse report for an email message received from IP 203.0.113.9.

--FBL
Content-Type: message/feedback-report

${report}

--FBL
Content-Type: message/rfc822

${original}
--FBL--
`;
}

const ORIGINAL = `From: News <news@sender.example>\nTo: reader@example.org\nSubject: Our newsletter\nMessage-ID: <cmp-9.sub-4@sender.example>\nX-Bulk-Mail-Campaign: cmp_9\nX-Bulk-Mail-Subscriber: sub_4\n\nHello.\n`;

describe('complaints', () => {
	test('ARF: Original-Rcpt-To is the complained-about address, one recipient of kind complaint', () => {
		const result = classifyBounce(arf('Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\nOriginal-Rcpt-To: <Reader@Example.ORG>\nSource-IP: 203.0.113.9', ORIGINAL));
		expect(result).toMatchObject({ type: 'complaint', format: 'arf' });
		expect(result.recipients).toEqual([
			{ address: 'Reader@example.org', kind: 'complaint', reason: 'feedback', status: null, replyCode: null, diagnostic: 'feedback-type: abuse' },
		]);
		expect(result.original?.headers['x-bulk-mail-campaign']).toBe('cmp_9');
	});

	test('ARF without Original-Rcpt-To: the To of the returned message', () => {
		const result = classifyBounce(arf('Feedback-Type: abuse\nVersion: 1', ORIGINAL));
		expect(result.recipients[0]).toMatchObject({ address: 'reader@example.org', kind: 'complaint' });
	});

	test('a report that redacts the address is still a complaint, with nobody to suppress', () => {
		const result = classifyBounce(arf('Feedback-Type: abuse\nVersion: 1', ORIGINAL.replace('To: reader@example.org', 'To: "undisclosed"')));
		expect(result).toMatchObject({ type: 'complaint', recipients: [] });
	});

	test('an unsubscribe request mailed by the reader is read as a complaint about its sender', () => {
		const mail = `${headers({ From: 'reader@example.org', To: 'unsubscribe+x@sender.example', Subject: 'unsubscribe', 'Auto-Submitted': 'auto-replied', 'Content-Type': 'text/plain' })}\n\nMail sent this email to unsubscribe from the message "Our newsletter".\n`;
		expect(classifyBounce(mail)).toMatchObject({ type: 'complaint', recipients: [{ address: 'reader@example.org', kind: 'complaint', reason: 'feedback' }] });
	});
});
