/** fml mailing-list notices (X-MLServer: fml). */
import { classifyBounce } from '../../../lib/bounce';
import { plainBounce } from './samples';

describe('fml', () => {
	test('a loop alert names the list and is a system error; a non-member post is rejected', () => {
		const loop = classifyBounce(plainBounce({ from: 'readers-admin@lists.example.jp', subject: 'Loop Alert: Duplicated Message-ID (readers ML)', top: { 'X-MLServer': 'fml [fml 4.0.3 release]' }, text: 'Duplicated Message-ID in <readers@lists.example.jp>.\n\nOriginal mail as follows:\n' }));
		expect(loop).toMatchObject({ type: 'bounce', format: 'fml', recipients: [{ address: 'readers@lists.example.jp', reason: 'systemerror', kind: 'soft' }] });
		const member = classifyBounce(plainBounce({ from: 'readers-admin@lists.example.jp', subject: 'You are not a member of readers ML', top: { 'X-MLServer': 'fml [fml 4.0.3 release]' }, text: 'You are not a member of <readers@lists.example.jp>; posts from non-members are rejected.\n' }));
		expect(member.recipients[0]).toMatchObject({ reason: 'rejected', kind: 'sender' });
	});
});
