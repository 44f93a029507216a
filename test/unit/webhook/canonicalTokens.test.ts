/**
 * A signed link token has exactly one valid spelling. The last character of the base64url
 * signature (43 characters for 32 bytes) carries two unused low bits: a token whose last
 * character differs only in those bits decodes to the same bytes, and must still be refused —
 * for every purpose the signer serves.
 */
import { LINK_PURPOSES, LinkSigner } from '../../../lib/store/linkTokens';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The other characters that decode to the same bytes as `last` at the end of a 43-char signature. */
function sameBytesSpellings(last: string): string[] {
	const value = B64URL.indexOf(last);
	return [1, 2, 3].map((low) => B64URL[(value & ~3) | ((value & 3) ^ low)]);
}

describe('link tokens accept only their canonical encoding', () => {
	const signer = new LinkSigner('a-link-signing-secret-for-tests');
	const claims = { subscriberId: '42', campaignId: '7', url: 'https://shop.example/offer', expiresAt: 4_102_444_800 };

	it.each(LINK_PURPOSES.map((purpose) => [purpose]))('%s: other spellings of the signature are refused', (purpose) => {
		const token = signer.sign(purpose, claims);
		expect(signer.verify(purpose, token)).toMatchObject({ ok: true });
		const [payload, signature] = token.split('.');
		expect(signature).toHaveLength(43);
		for (const last of sameBytesSpellings(signature.slice(-1))) {
			const variant = `${payload}.${signature.slice(0, -1)}${last}`;
			// the same bytes ...
			expect(Buffer.from(variant.split('.')[1], 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
			// ... but not the signed text
			expect(signer.verify(purpose, variant)).toEqual({ ok: false, reason: 'bad-signature' });
		}
		// Padding and the standard alphabet are other spellings too.
		expect(signer.verify(purpose, `${token}=`)).toEqual({ ok: false, reason: 'bad-signature' });
		const standard = signature.replace(/-/g, '+').replace(/_/g, '/');
		if (standard !== signature) expect(signer.verify(purpose, `${payload}.${standard}`)).toMatchObject({ ok: false });
	});
});
