/** PowerMTA reports: X-PowerMTA-BounceCategory states the reason. */
import { classifyBounce } from '../../../lib/bounce';
import { dsn } from './samples';

describe('PowerMTA', () => {
	test('bad-mailbox and quota-issues categories', () => {
		const result = classifyBounce(
			dsn({
				text: 'Delivery failed.',
				recipients: [
					{ address: 'gone@example.org', status: '5.2.1', diagnostic: '550 5.2.1 <gone@example.org>... User Unknown', extra: 'X-PowerMTA-BounceCategory: bad-mailbox' },
					{ address: 'full@example.org', status: '5.0.0', diagnostic: '552 Requested action aborted', extra: 'X-PowerMTA-BounceCategory: quota-issues' },
				],
			}),
		);
		expect(result.format).toBe('powermta');
		expect(result.recipients.map((r) => [r.reason, r.kind])).toEqual([
			['userunknown', 'hard'],
			['mailboxfull', 'soft'],
		]);
	});
});
