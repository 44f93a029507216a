import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { NormalisedEvent } from './types';

/** The parts of an HTTP request a verifier needs; adapters build it from their server. */
export interface WebhookRequest {
	method: string;
	headers: Record<string, string | string[] | undefined>;
	/** The body exactly as received: signatures are computed over these bytes. */
	rawBody: Buffer;
	query?: Record<string, string>;
}

/**
 * 400 malformed · 401 missing or wrong credentials/signature, stale or replayed · 403 authentic
 * but not accepted (topic not allowed, certificate host not genuine) · 405 not a POST ·
 * 413 body too large · 503 could not verify right now (signing certificate unreachable; retry).
 */
export type VerifyFailureStatus = 400 | 401 | 403 | 405 | 413 | 503;

export interface VerifyFailure {
	ok: false;
	status: VerifyFailureStatus;
	/** Safe to show to the caller: never contains secrets or header values. */
	reason: string;
}

/** What the webhook should answer when the default (200, empty body) is not right. */
export interface WebhookReply {
	status: number;
	body?: string;
	contentType?: string;
}

/** An SNS subscription (or unsubscription) handshake, verified; see `confirmSubscription()`. */
export interface SubscriptionHandshake {
	type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
	topicArn: string;
	messageId: string;
	token: string | null;
	/** GET this (on a genuine SNS host, already checked) to confirm the subscription. */
	subscribeUrl: string | null;
}

export interface IgnoredEvent {
	/** Position of the record in the payload (0 for single-record payloads). */
	index: number;
	/** The provider's event name, e.g. `processed`. */
	type: string;
	reason: string;
}

export interface VerifySuccess {
	ok: true;
	events: NormalisedEvent[];
	/** Verified records that carry no delivery outcome (e.g. SendGrid `processed`). */
	ignored: IgnoredEvent[];
	reply?: WebhookReply;
	/** Set for SNS SubscriptionConfirmation / UnsubscribeConfirmation messages. */
	subscription?: SubscriptionHandshake;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

/** A configuration mistake (missing secret, empty allow-list): the operator must fix it. */
export class EventConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'EventConfigError';
	}
}

/** Options every provider accepts. */
export interface CommonVerifyOptions {
	/** Largest accepted body in bytes (default 1 MiB); larger bodies get 413. */
	maxBodyBytes?: number;
	/** Copy each provider record into `NormalisedEvent.raw`. */
	includeRaw?: boolean;
	/** Clock for timestamp checks, in milliseconds (tests). */
	now?: () => number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function fail(status: VerifyFailureStatus, reason: string): VerifyFailure {
	return { ok: false, status, reason };
}

export function succeed(
	events: NormalisedEvent[],
	ignored: IgnoredEvent[] = [],
	extra: Partial<Pick<VerifySuccess, 'reply' | 'subscription'>> = {},
): VerifySuccess {
	return { ok: true, events, ignored, ...extra };
}

/** Thrown inside a parser to abort with a typed failure; caught by `runVerifier`. */
export class VerifyAbort extends Error {
	constructor(
		readonly status: VerifyFailureStatus,
		reason: string,
	) {
		super(reason);
		this.name = 'VerifyAbort';
	}
}

export function malformed(reason: string): VerifyAbort {
	return new VerifyAbort(400, reason);
}

/**
 * Runs a verifier with the checks every provider shares (method, body size) and turns a
 * `VerifyAbort` into a typed failure. Other errors (configuration, bugs) propagate.
 */
export async function runVerifier(
	request: WebhookRequest,
	options: CommonVerifyOptions,
	verifier: () => Promise<VerifyResult> | VerifyResult,
): Promise<VerifyResult> {
	const precheck = checkRequestShape(request, options);
	if (precheck) return precheck;
	try {
		return await verifier();
	} catch (error) {
		if (error instanceof VerifyAbort) return fail(error.status, error.message);
		throw error;
	}
}

function checkRequestShape(
	request: WebhookRequest,
	options: CommonVerifyOptions,
): VerifyFailure | null {
	if (!request || typeof request !== 'object') return fail(400, 'No request given');
	if (String(request.method ?? '').toUpperCase() !== 'POST') {
		return fail(405, 'Only POST requests are accepted');
	}
	if (!Buffer.isBuffer(request.rawBody)) return fail(400, 'Request body is missing');
	const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
	if (request.rawBody.length > limit) {
		return fail(
			413,
			`Request body is ${request.rawBody.length} bytes, over the ${limit}-byte limit`,
		);
	}
	if (request.rawBody.length === 0) return fail(400, 'Request body is empty');
	return null;
}

/** A header's value, looked up case-insensitively; the first one when it was sent several times. */
export function getHeader(request: WebhookRequest, name: string): string | undefined {
	const wanted = name.toLowerCase();
	for (const [key, value] of Object.entries(request.headers ?? {})) {
		if (key.toLowerCase() !== wanted || value === undefined) continue;
		const first = Array.isArray(value) ? value[0] : value;
		return first === undefined ? undefined : String(first).trim();
	}
	return undefined;
}

export function parseJsonBody(rawBody: Buffer): unknown {
	let text = rawBody.toString('utf8');
	if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
	try {
		return JSON.parse(text);
	} catch (error) {
		throw malformed(`Body is not valid JSON (${(error as Error).message})`);
	}
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nowMs(options: CommonVerifyOptions): number {
	return options.now ? options.now() : Date.now();
}

/**
 * Parses a Unix timestamp header/field (seconds) and checks it is within `toleranceSeconds`
 * of now, either way. Aborts with 401 when it is missing, not a number, or outside the window.
 */
export function checkFreshSeconds(
	value: unknown,
	toleranceSeconds: number,
	options: CommonVerifyOptions,
	what: string,
): number {
	const text =
		typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
	if (!/^\d{1,12}(\.\d+)?$/.test(text)) {
		throw new VerifyAbort(401, `${what} is missing or not a Unix timestamp`);
	}
	const seconds = Number(text);
	const skew = Math.abs(nowMs(options) / 1000 - seconds);
	if (skew > toleranceSeconds) {
		throw new VerifyAbort(
			401,
			`${what} is ${Math.round(skew)} s away from now, outside the ${toleranceSeconds} s window`,
		);
	}
	return seconds;
}

/** Constant-time string equality that does not leak the length through timing either. */
export function safeEqual(given: string, expected: string): boolean {
	// Hashing first gives equal-length inputs, so timingSafeEqual never throws or short-cuts.
	const a = createHash('sha256').update(given, 'utf8').digest();
	const b = createHash('sha256').update(expected, 'utf8').digest();
	return timingSafeEqual(a, b);
}

/** Constant-time comparison of a hex digest sent by a client with the one we computed. */
export function safeEqualHex(givenHex: string, expected: Buffer): boolean {
	if (!/^[0-9a-fA-F]+$/.test(givenHex) || givenHex.length !== expected.length * 2) return false;
	return timingSafeEqual(Buffer.from(givenHex, 'hex'), expected);
}

export function hmacSha256(secret: string | Buffer, data: string | Buffer): Buffer {
	return createHmac('sha256', secret).update(data).digest();
}

export interface BasicCredentials {
	username: string;
	password: string;
}

/** Reads `Authorization: Basic …`; null when absent or not Basic. */
export function readBasicAuth(request: WebhookRequest): BasicCredentials | null {
	const header = getHeader(request, 'authorization');
	const match = header ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
	if (!match) return null;
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return null;
	return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Reads `Authorization: Bearer …`; null when absent or not Bearer. */
export function readBearerToken(request: WebhookRequest): string | null {
	const header = getHeader(request, 'authorization');
	const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
	return match ? match[1] : null;
}

/** Both halves always compared, so a right username with a wrong password takes the same time. */
export function basicAuthMatches(given: BasicCredentials, expected: BasicCredentials): boolean {
	const userOk = safeEqual(given.username, expected.username);
	const passwordOk = safeEqual(given.password, expected.password);
	return userOk && passwordOk;
}

export function requireSecret(value: unknown, what: string): string {
	if (typeof value !== 'string' || value.length === 0) {
		throw new EventConfigError(`${what} is not configured`);
	}
	return value;
}
