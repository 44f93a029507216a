/** Exchange 2003-style NDRs: "did not reach the following recipient(s)". */
import { classifyBounce } from '../../../lib/bounce';
import { plainBounce } from './samples';

describe('Exchange 2003 NDR', () => {
	test('"The recipient name is not recognized" is a dead address; the summary "To:" line is not a recipient', () => {
		const result = classifyBounce(
			plainBounce({
				from: 'System Administrator <postmaster@corp.example>',
				subject: 'Undeliverable: Our newsletter',
				text: `Your message\n\n  To:      news@sender.example\n  Subject: Our newsletter\n  Sent:    Tue, 3 Nov 2026 09:00:00 +0000\n\ndid not reach the following recipient(s):\n\ngone@corp.example on Tue, 3 Nov 2026 09:00:05 +0000\n    The recipient name is not recognized\n    MSEXCH:IMS:CORP:MAIL01 0 (000C05A6) Unknown Recipient\n`,
			}),
		);
		expect(result).toMatchObject({ type: 'bounce', format: 'exchange2003' });
		expect(result.recipients).toEqual([expect.objectContaining({ address: 'gone@corp.example', reason: 'userunknown', kind: 'hard' })]);
	});
});
