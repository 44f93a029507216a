/** Apache James notices (and the carrier gateways built on it). */
import { classifyBounce } from '../../../lib/bounce';
import { plainBounce } from './samples';

describe('Apache James', () => {
	test('the envelope RCPT TO names the recipient; the error section is the diagnostic', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'post_master@gw.example.com',
				subject: 'Re: Our newsletter',
				text: 'Error: Invalid user address\n\nError message below:\n550 - Requested action not taken: no such user here\n\nMessage details:\n  Subject: Our newsletter\n  MAIL FROM: news@sender.example\n  RCPT TO: 5550100@gw.example.com\n  From: news@sender.example\n',
			}),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'apachejames' });
		expect(result.recipients[0]).toMatchObject({ address: '5550100@gw.example.com', replyCode: '550' });
		// No status and no command: the words alone are not proof the address is dead.
		expect(result.recipients[0].kind).toBe('soft');
	});
});
