import hits from '../../fixtures/reports/hits.json';
import {
	APPLE_PROXY_IPV4_RANGES,
	classifyHit,
	isAppleProxyAddress,
	isAppleProxyUserAgent,
	type HitVerdict,
	type TrackedHit,
} from '../../../lib/reports';

interface LabelledHit {
	name: string;
	hit: TrackedHit;
	expect: HitVerdict;
	why: string;
}

const labelled = hits as LabelledHit[];

describe('classifyHit on the labelled fixture set', () => {
	it('has cases for every class and every signal', () => {
		const classes = new Set(labelled.map((entry) => entry.expect.class));
		const signals = new Set(labelled.map((entry) => entry.expect.signal));
		expect([...classes].sort()).toEqual(['human', 'machine', 'unknown']);
		expect(signals.size).toBe(9);
	});

	it.each(labelled.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
		expect(classifyHit(entry.hit)).toEqual(entry.expect);
	});
});

describe('Apple proxy recognition', () => {
	it('matches addresses inside the listed blocks and nothing outside them', () => {
		expect(APPLE_PROXY_IPV4_RANGES).toContain('17.0.0.0/8');
		expect(isAppleProxyAddress('17.0.0.1')).toBe(true);
		expect(isAppleProxyAddress('172.239.255.255')).toBe(true);
		expect(isAppleProxyAddress('172.240.0.0')).toBe(false);
		expect(isAppleProxyAddress('18.0.0.1')).toBe(false);
		expect(isAppleProxyAddress('::ffff:17.9.9.9')).toBe(true);
		expect(isAppleProxyAddress('17.0.0.256')).toBe(false);
		expect(isAppleProxyAddress('not an ip')).toBe(false);
		expect(isAppleProxyAddress(null)).toBe(false);
	});

	it('recognises only the bare proxy user agent', () => {
		expect(isAppleProxyUserAgent(' Mozilla/5.0 ')).toBe(true);
		expect(isAppleProxyUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)')).toBe(false);
		expect(isAppleProxyUserAgent(undefined)).toBe(false);
	});

	it('never calls an Apple-proxied open a machine, whatever else it carries', () => {
		const verdict = classifyHit({
			kind: 'open',
			sinceDeliveryMs: 100,
			userAgent: 'Mozilla/5.0',
			ip: '17.1.1.1',
			sendgridMachineOpen: true,
			mailgunClient: { clientType: 'robot', bot: 'apple' },
		});
		expect(verdict).toEqual({ class: 'unknown', signal: 'apple-proxy' });
	});

	it('returns only the class and the signal, never the address or user agent', () => {
		const verdict = classifyHit({ kind: 'click', ip: '198.51.100.1', userAgent: 'curl/8.0' });
		expect(Object.keys(verdict).sort()).toEqual(['class', 'signal']);
	});
});
