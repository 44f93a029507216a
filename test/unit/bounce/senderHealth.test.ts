import {
	describeProvider,
	providerPauseReason,
	receivingProvider,
	reexamineDiagnostic,
	shouldPauseProvider,
	validateProviderPause,
} from '../../../lib/bounce';

describe('receiving providers', () => {
	it('groups the domains one operator receives for', () => {
		for (const address of ['a@outlook.com', 'b@Hotmail.com', 'c@live.com', 'd@msn.com']) {
			expect(receivingProvider(address).id).toBe('microsoft');
		}
		expect(receivingProvider('x@googlemail.com').id).toBe('google');
		expect(receivingProvider('x@ymail.com').id).toBe('yahoo');
		expect(receivingProvider('x@yahoo.co.jp').id).toBe('yahoo-japan');
		expect(receivingProvider('x@docomo.ne.jp').id).toBe('docomo');
		expect(receivingProvider('x@ezweb.ne.jp').id).toBe('au');
		expect(receivingProvider('x@i.softbank.jp').id).toBe('softbank');
		expect(receivingProvider('x@example.org')).toEqual({ id: 'example.org', name: 'example.org', domains: ['example.org'] });
		expect(describeProvider(receivingProvider('x@outlook.com'))).toBe('Microsoft (outlook.com, hotmail.com, live.com, …)');
		expect(describeProvider(receivingProvider('x@example.org'))).toBe('example.org');
	});
});

describe('the provider pause rule', () => {
	const policy = validateProviderPause({});
	it('needs both the count and the share', () => {
		expect(policy).toEqual({ minRefusals: 20, minShare: 0.5, windowMinutes: 5 });
		expect(shouldPauseProvider({ attempts: 40, refusals: 20 }, policy)).toBe(true);
		expect(shouldPauseProvider({ attempts: 41, refusals: 20 }, policy)).toBe(false);
		expect(shouldPauseProvider({ attempts: 19, refusals: 19 }, policy)).toBe(false);
		expect(() => validateProviderPause({ minShare: 0 })).toThrow(/share of attempts/);
		expect(() => validateProviderPause({ windowMinutes: 0.5 })).toThrow(/whole number of minutes/);
	});
	it('says in plain words who refuses, what they said and what to check', () => {
		const reason = providerPauseReason(
			receivingProvider('outlook.com'),
			{ attempts: 40, refusals: 23, reason: 'authfailure', diagnostic: '550 5.7.515 Access denied, sending domain does not meet the required authentication level' },
			policy,
		);
		expect(reason).toBe(
			'Microsoft (outlook.com, hotmail.com, live.com, …) is refusing our mail: 550 5.7.515 Access denied, sending domain does not meet the required authentication level (23 of 40 attempts in the last 5 minutes) — check SPF, DKIM and DMARC for your From domain',
		);
	});
});

describe('re-reading bounces stored under the old rules', () => {
	it('a block stored as a hard bounce is read as the sender\'s; a real user unknown stays hard', () => {
		expect(reexamineDiagnostic('550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus')).toMatchObject({
			kind: 'sender',
			status: '5.7.1',
			replyCode: '550',
			wrongfullyStopped: true,
		});
		expect(reexamineDiagnostic('552 5.2.2 Mailbox full')).toMatchObject({ kind: 'soft', reason: 'mailboxfull', wrongfullyStopped: true });
		expect(reexamineDiagnostic('550 5.1.1 <x@example.org>: Recipient address rejected: User unknown')).toMatchObject({
			kind: 'hard',
			reason: 'userunknown',
			wrongfullyStopped: false,
		});
		expect(reexamineDiagnostic(null)).toBeNull();
	});
});
