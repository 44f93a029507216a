/**
 * VERP (variable envelope return path): each message leaves with its own envelope sender,
 * `bounces+<campaign>-<subscriber>-<mac>@<bounce domain>`, so a bounce delivered to that address
 * names its campaign and subscriber exactly, whatever the bouncing MTA did to the message.
 *
 * The token is lowercase only (decimal ids, RFC 4648 base32 MAC in lowercase), so a relay that
 * case-folds the address changes nothing; the MAC is the store credential's signing key
 * (LinkSigner.macFor, context `verp`), truncated to 80 bits, so a bounce for an address nobody
 * sent to cannot be forged. The longest token (two 18-digit ids) makes a 62-octet local part,
 * under RFC 5321's 64.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';

export const VERP_LOCAL_PREFIX = 'bounces';
/** The campaign field when the message was not sent in a campaign (item mode). */
const NO_CAMPAIGN = 'n';
const MAC_BYTES = 10;
const MAC_CHARS = 16;
const MAX_LOCAL_PART = 64;
const ID = /^[1-9]\d{0,17}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN = /^(n|[1-9]\d{0,17})-([1-9]\d{0,17})-([a-z2-7]{16})$/;
/** LDH labels, at least two of them, ASCII only (an IDN goes in its xn-- form). */
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface VerpIds {
	/** Null for a message sent outside a campaign. */
	campaignId: string | null;
	subscriberId: string;
}

export type VerpReading =
	| { status: 'not-verp' }
	| { status: 'forged'; reason: string }
	| ({ status: 'ok' } & VerpIds);

/** The keyed MAC of the store's link tokens (lib/store LinkSigner has this shape). */
export interface MacSigner {
	macFor(context: string, data: string): Buffer;
}

/** What signs and reads return paths: the store's LinkSigner, or its signing secret. */
export type VerpKey = MacSigner | string;

const MIN_SECRET_LENGTH = 16;

/**
 * A secret given as text gets the same MAC as LinkSigner.macFor (HMAC-SHA256 over
 * `<context>.<data>`, keyed with the secret's UTF-8 bytes), without lib/bounce depending on lib/store.
 */
function signerOf(key: VerpKey): MacSigner {
	if (typeof key !== 'string') return key;
	if (key.length < MIN_SECRET_LENGTH) {
		throw new Error(`The signing secret must be at least ${MIN_SECRET_LENGTH} characters long to sign VERP return paths`);
	}
	const secret = createSecretKey(Buffer.from(key, 'utf8'));
	return { macFor: (context, data) => createHmac('sha256', secret).update(`${context}.${data}`).digest() };
}

/** The bounce domain in canonical form, or an error saying what to fix. */
export function checkBounceDomain(value: unknown): string {
	const domain = String(value ?? '')
		.trim()
		.toLowerCase()
		.replace(/\.$/, '');
	if (!DOMAIN.test(domain)) {
		throw new Error(
			`'${String(value ?? '').slice(0, 80)}' is not a bounce domain: give a host name such as bounce.example.com (an international name in its xn-- form), without "@" or a local part`,
		);
	}
	return domain;
}

function base32(bytes: Buffer): string {
	let out = '';
	let buffer = 0;
	let bits = 0;
	for (const byte of bytes) {
		buffer = (buffer << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += BASE32[(buffer >>> (bits - 5)) & 31];
			bits -= 5;
		}
		buffer &= (1 << bits) - 1;
	}
	if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
	return out;
}

function macOf(signer: MacSigner, campaign: string, subscriber: string): string {
	return base32(signer.macFor('verp', `${campaign}.${subscriber}`).subarray(0, MAC_BYTES));
}

/** The envelope sender for one message. Throws on ids that are not the store's whole numbers. */
export function verpAddress(key: VerpKey, bounceDomain: string, ids: VerpIds): string {
	const campaign = ids.campaignId === null ? NO_CAMPAIGN : String(ids.campaignId);
	const subscriber = String(ids.subscriberId);
	if (!ID.test(subscriber) || (campaign !== NO_CAMPAIGN && !ID.test(campaign))) {
		throw new Error(
			`A VERP return path needs whole-number ids of at most 18 digits (campaign '${campaign.slice(0, 40)}', subscriber '${subscriber.slice(0, 40)}')`,
		);
	}
	const local = `${VERP_LOCAL_PREFIX}+${campaign}-${subscriber}-${macOf(signerOf(key), campaign, subscriber)}`;
	// Cannot happen with ids of at most 18 digits; checked so a change of format cannot slip by.
	if (local.length > MAX_LOCAL_PART) throw new Error(`VERP local part is ${local.length} octets, over 64`);
	return `${local}@${checkBounceDomain(bounceDomain)}`;
}

/**
 * Reads a return path. `not-verp` when the address is not one of ours (no `bounces+` token);
 * `forged` when it looks like one but the token is malformed, not canonical, or its MAC does not
 * match. Letter case is ignored (relays may fold it); nothing else is tolerated.
 */
export function readVerpAddress(address: unknown, key: VerpKey): VerpReading {
	if (typeof address !== 'string' || address.length > 320) return { status: 'not-verp' };
	let text = address.trim();
	if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
	const at = text.lastIndexOf('@');
	if (at <= 0) return { status: 'not-verp' };
	const local = text.slice(0, at).toLowerCase();
	const prefix = `${VERP_LOCAL_PREFIX}+`;
	if (!local.startsWith(prefix)) return { status: 'not-verp' };
	const match = TOKEN.exec(local.slice(prefix.length));
	if (!match) return { status: 'forged', reason: 'the VERP token is malformed' };
	const [, campaign, subscriber, mac] = match;
	const expected = Buffer.from(macOf(signerOf(key), campaign, subscriber));
	const given = Buffer.from(mac);
	// 16 base32 characters carry 80 bits exactly, so a canonical MAC has no spare bits to vary.
	if (given.length !== MAC_CHARS || !timingSafeEqual(given, expected)) {
		return { status: 'forged', reason: 'the VERP token is not signed with this store’s key' };
	}
	return { status: 'ok', campaignId: campaign === NO_CAMPAIGN ? null : campaign, subscriberId: subscriber };
}

/** Campaign and subscriber of a genuine return path; null for anything else (forged or not ours). */
export function parseVerpAddress(address: unknown, key: VerpKey): VerpIds | null {
	const reading = readVerpAddress(address, key);
	return reading.status === 'ok' ? { campaignId: reading.campaignId, subscriberId: reading.subscriberId } : null;
}

/** VERP for one run: the bounce domain and the key that signs return paths. */
export interface VerpSettings {
	bounceDomain: string;
	key: VerpKey;
}

/** Checks the settings once (domain, key length) and makes the signer once for a whole run. */
export function prepareVerp(settings: VerpSettings | null | undefined): { bounceDomain: string; key: MacSigner } | null {
	if (!settings) return null;
	return { bounceDomain: checkBounceDomain(settings.bounceDomain), key: signerOf(settings.key) };
}

/** The SMTP envelope of one message with its VERP return path. */
export function verpEnvelope(
	verp: { bounceDomain: string; key: VerpKey },
	ids: VerpIds,
	recipient: string,
): { from: string; to: string[] } {
	return { from: verpAddress(verp.key, verp.bounceDomain, ids), to: [recipient] };
}

/** VERP ids for a message that names them, or null when the subscriber id is not a store row id. */
export function verpIdsFor(subscriberId: unknown, campaignId: unknown): VerpIds | null {
	if (typeof subscriberId !== 'string' || !ID.test(subscriberId)) return null;
	return { campaignId: typeof campaignId === 'string' && ID.test(campaignId) ? campaignId : null, subscriberId };
}
