/** Directory mailers (Domino, IMail, McAfee) and their own "not in the directory" wording. */
import { classifyBounce } from '../../../lib/bounce';
import { dsn, plainBounce } from './samples';

describe('directory mailers', () => {
	test('Domino: "not listed in Domino Directory" is a dead address', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'Postmaster@corp.example',
				subject: 'DELIVERY FAILURE: User Reader (reader@corp.example) not listed in Domino Directory',
				text: 'Your message\n\n  Subject: Our newsletter\n\nwas not delivered to:\n\n  reader@corp.example\n\nbecause:\n\n  User Reader (reader@corp.example) not listed in Domino Directory\n',
			}),
		);
		expect(result.recipients[0]).toMatchObject({ address: 'reader@corp.example', reason: 'userunknown', kind: 'hard' });
	});

	test('IMail: "Unknown user:" line', () => {
		const result = classifyBounce(plainBounce({ from: '"Postmaster" <postmaster@mail.example.org>', subject: 'Undeliverable Mail', top: { 'X-Mailer': '<SMTP32 v8.22>' }, text: 'Unknown user: reader@example.org\n\nOriginal message follows.\n' }));
		expect(result.recipients[0]).toMatchObject({ address: 'reader@example.org', reason: 'userunknown', kind: 'hard' });
	});

	test('McAfee appliance DSN: its "550 Unknown user" is the directory answer at RCPT', () => {
		const result = classifyBounce(
			dsn({ top: { 'X-NAI-Header': 'Modified by McAfee Email and Web Security Appliance', Subject: 'Delivery Status' }, text: 'Delivery failed.', recipients: [{ address: 'reader@example.org', status: '5.0.0', diagnostic: '550 Unknown user reader@example.org' }] }),
		);
		expect(result.recipients[0]).toMatchObject({ reason: 'userunknown', kind: 'hard' });
	});
});
