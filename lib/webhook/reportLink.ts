/**
 * The signed, expiring report URL: `<base>/report?t=<token>`. The token is signed with the store
 * credential's link secret (the one every unsubscribe and click link uses) through the signer's
 * separate `report` context, so a report token can never pass as a subscriber link, or the reverse.
 *
 * Token: `<base64url(payload JSON)>.<base64url(HMAC-SHA256(secret, "report." + payload))>`, the
 * payload `{ c: campaignId, s: storeTag, e: expiry (Unix s), z?: timeZone, d?: topDomains }`.
 * `s` names the store the link was made for (a digest of its location, no password), so a link
 * never shows a campaign of another store that shares the secret and has the same campaign id.
 */
import { createHash } from 'node:crypto';

import { type LinkSigner, type StoreConfig, TOKEN_PARAM } from '../store';

/** The path of the report endpoint below the Bounce Webhook's base URL. */
export const REPORT_PATH = 'report';

/** The signer context of report tokens (never a link purpose). */
const REPORT_CONTEXT = 'report';

export const DEFAULT_REPORT_LINK_DAYS = 7;
/** A report link lives at most a year: a link in a chat or a mail should not stay valid for ever. */
export const MAX_REPORT_LINK_DAYS = 366;

export interface ReportLinkClaims {
	campaignId: string;
	/** storeTag() of the store the campaign is in. */
	storeTag: string;
	/** Expiry as a Unix time in seconds. */
	expiresAt: number;
	/** The time zone of the report's time series (default UTC). */
	timeZone?: string;
	/** Receiving domains listed (default 10). */
	topDomains?: number;
}

interface WirePayload {
	c: string;
	s: string;
	e: number;
	z?: string;
	d?: number;
}

export type ReportLinkFailure = 'missing' | 'malformed' | 'bad-signature' | 'expired';

export type ReportLinkResult = { ok: true; claims: ReportLinkClaims } | { ok: false; reason: ReportLinkFailure };

/**
 * A short digest of where the store lives (backend and location; never the user or password), the
 * same for Bulk Send and the Bounce Webhook when their credentials point at the same store.
 */
export function storeTag(config: StoreConfig): string {
	const where =
		config.backend === 'postgres'
			? ['postgres', config.host, config.port, config.database, config.schema ?? '']
			: ['sqlite', config.file];
	return createHash('sha256').update(JSON.stringify(where)).digest('base64url').slice(0, 16);
}

export function signReportLink(signer: LinkSigner, claims: ReportLinkClaims): string {
	const wire: WirePayload = { c: claims.campaignId, s: claims.storeTag, e: Math.floor(claims.expiresAt) };
	if (claims.timeZone) wire.z = claims.timeZone;
	if (claims.topDomains !== undefined) wire.d = claims.topDomains;
	return signer.sealFor(REPORT_CONTEXT, wire);
}

/** Checks the signature (constant time), then the payload, then the expiry. `now` in milliseconds. */
export function verifyReportLink(signer: LinkSigner, token: unknown, now: number = Date.now()): ReportLinkResult {
	if (token === undefined || token === null || token === '') return { ok: false, reason: 'missing' };
	const opened = signer.openFor(REPORT_CONTEXT, token);
	if (!opened.ok) return opened;
	const wire = opened.wire as WirePayload;
	if (!wire || typeof wire.c !== 'string' || typeof wire.s !== 'string' || typeof wire.e !== 'number') {
		return { ok: false, reason: 'malformed' };
	}
	if (wire.e * 1000 < now) return { ok: false, reason: 'expired' };
	const claims: ReportLinkClaims = { campaignId: wire.c, storeTag: wire.s, expiresAt: wire.e };
	if (typeof wire.z === 'string') claims.timeZone = wire.z;
	if (typeof wire.d === 'number') claims.topDomains = wire.d;
	return { ok: true, claims };
}

/** `<base>/report?t=<token>`; `baseUrl` is the normalised public base URL of the Bounce Webhook. */
export function reportLinkUrl(baseUrl: string, token: string): string {
	return `${baseUrl}/${REPORT_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
}
