import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Signed per-recipient link tokens for unsubscribe, confirm, preference, open and click links.
 *
 * Format: `<base64url(payload JSON)>.<base64url(HMAC-SHA256(secret, purpose + "." + payload))>`.
 * The payload carries ids only (no e-mail address or name), the purpose the token may be used
 * for, an optional expiry and, for click links, the one URL it may redirect to.
 */
export type LinkPurpose = 'unsubscribe' | 'open' | 'click' | 'confirm' | 'preferences';

export const LINK_PURPOSES: readonly LinkPurpose[] = [
	'unsubscribe',
	'open',
	'click',
	'confirm',
	'preferences',
];

export interface LinkTokenClaims {
	/** Subscriber id (a row of one list). */
	subscriberId: string;
	/** Campaign id, when the link was sent in a campaign. */
	campaignId?: string;
	/** The target URL of a click-tracking link. */
	url?: string;
	/**
	 * The link as the template wrote it, when it differs from `url` (merge fields in it): the
	 * campaign report groups clicks by it. Absent: `url` is the template's link.
	 */
	templateUrl?: string;
	/**
	 * The hidden scanner-trap link of a message (compose's `trapLink`): no reader sees or can
	 * click it, so a fetch of it is a machine's. It has no target URL.
	 */
	trap?: boolean;
	/** Expiry as a Unix time in seconds; absent means the link does not expire. */
	expiresAt?: number;
}

interface WirePayload {
	s: string;
	c?: string;
	u?: string;
	t?: string;
	x?: 1;
	e?: number;
}

export type LinkTokenFailure = 'malformed' | 'bad-signature' | 'expired';

export type VerifyResult =
	| { ok: true; claims: LinkTokenClaims }
	| { ok: false; reason: LinkTokenFailure };

export const MIN_SECRET_LENGTH = 16;

type OpenResult = { ok: true; wire: unknown } | { ok: false; reason: 'malformed' | 'bad-signature' };

function seal(wire: object, mac: (payload: string) => Buffer): string {
	const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
	return `${payload}.${mac(payload).toString('base64url')}`;
}

/** A token's JSON payload when its MAC holds. */
function open(token: unknown, mac: (payload: string) => Buffer): OpenResult {
	if (typeof token !== 'string' || token.length > 4096) return { ok: false, reason: 'malformed' };
	const dot = token.indexOf('.');
	if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
	const payload = token.slice(0, dot);
	// The signature is compared as text, in its one canonical encoding: decoding first would
	// also accept other spellings of the same bytes (the unused low bits of the last base64url
	// character, padding), so one link would have several valid forms.
	const given = Buffer.from(token.slice(dot + 1), 'utf8');
	const expected = Buffer.from(mac(payload).toString('base64url'), 'utf8');
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
	try {
		return { ok: true, wire: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown };
	} catch {
		return { ok: false, reason: 'malformed' };
	}
}

export class LinkSigner {
	// A KeyObject: createHmac with a raw Buffer key imports the key again on every call
	// (~20 µs on Node 24, 4x the HMAC itself), and a message carries several signed links.
	private readonly key: KeyObject;

	constructor(secret: string) {
		if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
			throw new Error(
				`The link-signing secret must be at least ${MIN_SECRET_LENGTH} characters long`,
			);
		}
		this.key = createSecretKey(Buffer.from(secret, 'utf8'));
	}

	sign(purpose: LinkPurpose, claims: LinkTokenClaims): string {
		const wire: WirePayload = { s: claims.subscriberId };
		if (claims.campaignId !== undefined) wire.c = claims.campaignId;
		if (claims.url !== undefined) wire.u = claims.url;
		if (claims.templateUrl !== undefined) wire.t = claims.templateUrl;
		if (claims.trap === true) wire.x = 1;
		if (claims.expiresAt !== undefined) wire.e = Math.floor(claims.expiresAt);
		return seal(wire, (payload) => this.mac(purpose, payload));
	}

	/** Checks signature (constant time), purpose and expiry. `now` is in milliseconds. */
	verify(purpose: LinkPurpose, token: unknown, now: number = Date.now()): VerifyResult {
		const opened = open(token, (payload) => this.mac(purpose, payload));
		if (!opened.ok) return opened;
		const wire = opened.wire as WirePayload;
		if (!wire || typeof wire.s !== 'string') return { ok: false, reason: 'malformed' };
		if (wire.e !== undefined && wire.e * 1000 < now) return { ok: false, reason: 'expired' };
		const claims: LinkTokenClaims = { subscriberId: wire.s };
		if (wire.c !== undefined) claims.campaignId = wire.c;
		if (wire.u !== undefined) claims.url = wire.u;
		if (typeof wire.t === 'string') claims.templateUrl = wire.t;
		if (wire.x === 1) claims.trap = true;
		if (wire.e !== undefined) claims.expiresAt = wire.e;
		return { ok: true, claims };
	}

	/**
	 * A token of another shape (the report URL), signed like a link's but under `context`, which
	 * keeps the two apart: `<base64url(JSON)>.<base64url(MAC)>`.
	 */
	sealFor(context: string, wire: object): string {
		return seal(wire, (payload) => this.macFor(context, payload));
	}

	/** The JSON of a sealFor token when its signature holds (constant time); the caller checks its shape. */
	openFor(context: string, token: unknown): OpenResult {
		return open(token, (payload) => this.macFor(context, payload));
	}

	/**
	 * The same keyed MAC for a token of another shape (the VERP return path): `context` keeps the
	 * two apart, so a MAC made here can never pass as a link's signature, or the reverse.
	 */
	macFor(context: string, data: string): Buffer {
		if ((LINK_PURPOSES as readonly string[]).includes(context)) {
			throw new Error(`'${context}' is a link purpose; use another context`);
		}
		return createHmac('sha256', this.key).update(`${context}.${data}`).digest();
	}

	private mac(purpose: LinkPurpose, payload: string): Buffer {
		return createHmac('sha256', this.key).update(`${purpose}.${payload}`).digest();
	}
}
