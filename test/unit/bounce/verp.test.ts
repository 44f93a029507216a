import {
	checkBounceDomain,
	parseVerpAddress,
	readVerpAddress,
	verpAddress,
	verpEnvelope,
} from '../../../lib/bounce';
import { LinkSigner } from '../../../lib/store';

const SECRET = 'verp-test-secret-0123456789abcdef';
const DOMAIN = 'bounce.sender.example';

describe('VERP return paths', () => {
	it('round-trips campaign and subscriber, with and without a campaign', () => {
		const address = verpAddress(SECRET, DOMAIN, { campaignId: '42', subscriberId: '1007' });
		expect(address).toMatch(/^bounces\+42-1007-[a-z2-7]{16}@bounce\.sender\.example$/);
		expect(parseVerpAddress(address, SECRET)).toEqual({ campaignId: '42', subscriberId: '1007' });
		const item = verpAddress(SECRET, DOMAIN, { campaignId: null, subscriberId: '5' });
		expect(item).toMatch(/^bounces\+n-5-/);
		expect(parseVerpAddress(`<${item}>`, new LinkSigner(SECRET))).toEqual({ campaignId: null, subscriberId: '5' });
	});

	it('fits the 64-octet local part with the longest ids, and is lowercase only', () => {
		const longest = '9'.repeat(18);
		const address = verpAddress(SECRET, DOMAIN, { campaignId: longest, subscriberId: longest });
		const local = address.slice(0, address.lastIndexOf('@'));
		expect(local.length).toBeLessThanOrEqual(64);
		expect(local).toBe(local.toLowerCase());
		expect(() => verpAddress(SECRET, DOMAIN, { campaignId: '1', subscriberId: '1'.repeat(19) })).toThrow(/at most 18 digits/);
		expect(() => verpAddress(SECRET, DOMAIN, { campaignId: 'spring', subscriberId: '1' })).toThrow(/whole-number ids/);
	});

	it('survives a relay that folds the case of the whole address', () => {
		const address = verpAddress(SECRET, DOMAIN, { campaignId: '3', subscriberId: '77' });
		expect(parseVerpAddress(address.toUpperCase(), SECRET)).toEqual({ campaignId: '3', subscriberId: '77' });
	});

	it('refuses forged, tampered and non-canonical tokens with a reason; other addresses are not VERP', () => {
		const address = verpAddress(SECRET, DOMAIN, { campaignId: '3', subscriberId: '77' });
		const mac = address.split('@')[0].split('-')[2];
		// another subscriber with the same MAC
		expect(readVerpAddress(address.replace('-77-', '-78-'), SECRET)).toEqual({
			status: 'forged',
			reason: expect.stringMatching(/not signed/),
		});
		// signed with another key
		const other = verpAddress('another-secret-0123456789abcdef', DOMAIN, { campaignId: '3', subscriberId: '77' });
		expect(readVerpAddress(other, SECRET).status).toBe('forged');
		// leading zeros, a flipped MAC character, a short MAC, base64-ish characters
		expect(readVerpAddress(address.replace('+3-', '+03-'), SECRET).status).toBe('forged');
		const flipped = mac.slice(0, 15) + (mac[15] === 'a' ? 'b' : 'a');
		expect(readVerpAddress(address.replace(mac, flipped), SECRET).status).toBe('forged');
		expect(readVerpAddress(address.replace(mac, mac.slice(1)), SECRET).status).toBe('forged');
		expect(readVerpAddress(address.replace(mac, `${mac.slice(0, 15)}=`), SECRET).status).toBe('forged');
		expect(parseVerpAddress(address.replace('-77-', '-78-'), SECRET)).toBeNull();
		expect(readVerpAddress('news@sender.example', SECRET)).toEqual({ status: 'not-verp' });
		expect(readVerpAddress('bounces@bounce.sender.example', SECRET)).toEqual({ status: 'not-verp' });
		expect(readVerpAddress(42, SECRET)).toEqual({ status: 'not-verp' });
	});

	it('checks the bounce domain and says what to give instead', () => {
		expect(checkBounceDomain(' Bounce.Sender.Example. ')).toBe('bounce.sender.example');
		expect(() => checkBounceDomain('bounces@sender.example')).toThrow(/not a bounce domain.*bounce\.example\.com/);
		expect(() => checkBounceDomain('localhost')).toThrow(/not a bounce domain/);
		expect(() => checkBounceDomain('bounce.例え.jp')).toThrow(/xn--/);
		expect(verpEnvelope({ bounceDomain: DOMAIN, key: SECRET }, { campaignId: '1', subscriberId: '2' }, 'r@example.org')).toEqual({
			from: expect.stringMatching(/^bounces\+1-2-/),
			to: ['r@example.org'],
		});
	});

	it('cannot be used as a link signature, nor a link signature as a VERP MAC', () => {
		const signer = new LinkSigner(SECRET);
		expect(() => signer.macFor('unsubscribe', 'x')).toThrow(/link purpose/);
	});
});
