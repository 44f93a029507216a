/**
 * The SNS side of SES notifications: the HTTPS envelope, its signature under a certificate
 * fetched only from a genuine SNS host, its freshness, and the subscription handshake.
 */
import { verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';

import axios from 'axios';

import {
	type CommonVerifyOptions,
	getHeader,
	isRecord,
	malformed,
	nowMs,
	type SubscriptionHandshake,
	VerifyAbort,
	type WebhookRequest,
} from './common';

/** Genuine SNS endpoints (including the China partition); anchored, so look-alikes fail. */
export const SNS_HOST_PATTERN = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const CERT_PATH_PATTERN = /^\/SimpleNotificationService-[A-Za-z0-9]+\.pem$/;
export const DEFAULT_SNS_MAX_AGE_SECONDS = 3600;
/** How far in the future a timestamp may be (clock skew). */
const MAX_FUTURE_SKEW_SECONDS = 300;

/** How the SNS endpoints are reached. The defaults are for production; override in tests only. */
export interface SnsTransportOptions {
	/**
	 * Which `host[:port]` of an https URL counts as SNS. Default SNS_HOST_PATTERN (no port).
	 * Only tests should change it, to point at a local server.
	 */
	certHostPattern?: RegExp;
	/** Extra trust roots for the HTTPS fetches (tests only: a local test CA). */
	ca?: string | Buffer | Array<string | Buffer>;
	/** Replaces the HTTPS fetch of a certificate (the URL is already checked). */
	fetchCert?: (url: string) => Promise<string>;
	timeoutMs?: number;
}

export interface SesConfig extends CommonVerifyOptions, SnsTransportOptions {
	/** Topic ARNs this endpoint accepts; required, anything else gets 403. */
	allowedTopicArns: string[];
	/** Oldest accepted SNS Timestamp, against replays (default 3600 s). */
	maxAgeSeconds?: number;
	/** Certificate cache; defaults to one shared per process. */
	certificateCache?: SnsCertificateCache;
}

const MAX_CERT_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 5000;

/** Is `url` an https URL on a genuine SNS host (no credentials, no look-alike host)? */
export function isGenuineSnsUrl(url: string, hostPattern: RegExp = SNS_HOST_PATTERN): boolean {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return false;
	}
	if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '')
		return false;
	return hostPattern.test(parsed.host.toLowerCase());
}

function isGenuineCertUrl(url: string, hostPattern: RegExp): boolean {
	if (!isGenuineSnsUrl(url, hostPattern)) return false;
	const parsed = new URL(url);
	return CERT_PATH_PATTERN.test(parsed.pathname) && parsed.search === '';
}

function httpsAgentFor(options: SnsTransportOptions): HttpsAgent | undefined {
	return options.ca ? new HttpsAgent({ ca: options.ca, keepAlive: false }) : undefined;
}

/** Downloads a PEM certificate (https only, no redirects, size and time capped). */
export async function fetchSnsCertificate(
	url: string,
	options: SnsTransportOptions = {},
): Promise<string> {
	const response = await axios.get<string>(url, {
		responseType: 'text',
		timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
		maxContentLength: MAX_CERT_BYTES,
		maxRedirects: 0,
		httpsAgent: httpsAgentFor(options),
		proxy: false,
		transformResponse: (data: unknown) => data,
		validateStatus: (status) => status === 200,
	});
	return String(response.data);
}

interface CachedCertificate {
	key: KeyObject;
	validTo: number;
}

/**
 * Signing certificates by URL. SNS signs with a handful of long-lived certificates, so a small
 * cache means one download per certificate per process. Failed downloads are not cached.
 */
export class SnsCertificateCache {
	private readonly entries = new Map<string, Promise<CachedCertificate>>();
	fetches = 0;

	constructor(private readonly maxEntries = 100) {}

	async get(
		url: string,
		fetchPem: (url: string) => Promise<string>,
		now: number,
	): Promise<CachedCertificate> {
		let entry = this.entries.get(url);
		if (entry) {
			const cached = await entry.catch(() => null);
			if (cached && cached.validTo > now) return cached;
			this.entries.delete(url);
		}
		entry = this.load(url, fetchPem);
		this.entries.set(url, entry);
		while (this.entries.size > this.maxEntries) {
			this.entries.delete(this.entries.keys().next().value as string);
		}
		entry.catch(() => {
			if (this.entries.get(url) === entry) this.entries.delete(url);
		});
		return entry;
	}

	private async load(
		url: string,
		fetchPem: (url: string) => Promise<string>,
	): Promise<CachedCertificate> {
		this.fetches += 1;
		let pem: string;
		try {
			pem = await fetchPem(url);
		} catch {
			throw new VerifyAbort(503, 'Could not fetch the SNS signing certificate; try again later');
		}
		let certificate: X509Certificate;
		try {
			certificate = new X509Certificate(pem);
		} catch {
			throw new VerifyAbort(401, 'SNS signing certificate is not a valid X.509 certificate');
		}
		if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
			throw new VerifyAbort(401, 'SNS signing certificate does not hold an RSA key');
		}
		return { key: certificate.publicKey, validTo: Date.parse(certificate.validTo) };
	}
}

export const sharedCertificateCache = new SnsCertificateCache();

export interface SnsEnvelope {
	Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
	MessageId: string;
	TopicArn: string;
	Message: string;
	Timestamp: string;
	SignatureVersion: string;
	Signature: string;
	SigningCertURL: string;
	Subject?: string;
	Token?: string;
	SubscribeURL?: string;
}

const SNS_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'];

export function readEnvelope(body: unknown, request: WebhookRequest): SnsEnvelope {
	if (!isRecord(body)) throw malformed('Body is not an SNS message (expected a JSON object)');
	const type = body.Type;
	if (typeof type !== 'string' || !SNS_TYPES.includes(type)) {
		throw malformed(
			'"Type" must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation',
		);
	}
	const headerType = getHeader(request, 'x-amz-sns-message-type');
	if (headerType !== undefined && headerType !== type) {
		throw malformed('x-amz-sns-message-type header does not match the message "Type"');
	}
	const required = ['MessageId', 'TopicArn', 'Message', 'Timestamp'];
	if (type !== 'Notification') required.push('Token', 'SubscribeURL');
	for (const field of required) {
		if (typeof body[field] !== 'string') throw malformed(`SNS message field "${field}" is missing`);
	}
	for (const field of ['SignatureVersion', 'Signature', 'SigningCertURL']) {
		if (typeof body[field] !== 'string' || body[field] === '') {
			throw new VerifyAbort(401, `SNS message is not signed ("${field}" is missing)`);
		}
	}
	if (body.Subject !== undefined && body.Subject !== null && typeof body.Subject !== 'string') {
		throw malformed('SNS message field "Subject" must be a string');
	}
	return body as unknown as SnsEnvelope;
}

/** The newline-joined key/value string SNS signs (see AWS "Verifying SNS message signatures"). */
export function snsStringToSign(message: Record<string, unknown>): string {
	const keys =
		message.Type === 'Notification'
			? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
			: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
	let text = '';
	for (const key of keys) {
		const value = message[key];
		// Subject is only part of the string when the message has one.
		if (value === undefined || value === null) continue;
		text += `${key}\n${String(value)}\n`;
	}
	return text;
}

export function checkTimestamp(envelope: SnsEnvelope, config: SesConfig): void {
	const sentAt = Date.parse(envelope.Timestamp);
	if (Number.isNaN(sentAt)) throw malformed('SNS "Timestamp" is not a date');
	const ageSeconds = (nowMs(config) - sentAt) / 1000;
	const maxAge = config.maxAgeSeconds ?? DEFAULT_SNS_MAX_AGE_SECONDS;
	if (ageSeconds > maxAge) {
		throw new VerifyAbort(
			401,
			`SNS message is ${Math.round(ageSeconds)} s old, over the ${maxAge} s limit`,
		);
	}
	if (ageSeconds < -MAX_FUTURE_SKEW_SECONDS)
		throw new VerifyAbort(401, 'SNS message timestamp is in the future');
}

export async function checkSignature(envelope: SnsEnvelope, config: SesConfig): Promise<void> {
	const algorithm =
		envelope.SignatureVersion === '1'
			? 'RSA-SHA1'
			: envelope.SignatureVersion === '2'
				? 'RSA-SHA256'
				: null;
	if (!algorithm) throw new VerifyAbort(401, 'Unsupported SNS SignatureVersion (expected 1 or 2)');
	const hostPattern = config.certHostPattern ?? SNS_HOST_PATTERN;
	if (!isGenuineCertUrl(envelope.SigningCertURL, hostPattern)) {
		throw new VerifyAbort(403, 'SigningCertURL is not an https URL of a genuine SNS host');
	}
	const fetchPem = config.fetchCert ?? ((url: string) => fetchSnsCertificate(url, config));
	const cache = config.certificateCache ?? sharedCertificateCache;
	const now = nowMs(config);
	const certificate = await cache.get(envelope.SigningCertURL, fetchPem, now);
	if (certificate.validTo <= now) throw new VerifyAbort(401, 'SNS signing certificate has expired');
	const signature = Buffer.from(envelope.Signature, 'base64');
	const data = Buffer.from(snsStringToSign(envelope as unknown as Record<string, unknown>), 'utf8');
	let valid = false;
	try {
		valid = verifySignature(algorithm, data, certificate.key, signature);
	} catch {
		valid = false;
	}
	if (!valid) throw new VerifyAbort(401, 'SNS signature does not match the message');
}

export interface ConfirmSubscriptionResult {
	subscriptionArn: string | null;
}

/**
 * Confirms an SNS subscription by GETting its SubscribeURL, which must be an https URL on a
 * genuine SNS host. Throws on a refused URL or a non-2xx answer (without echoing the URL).
 */
export async function confirmSubscription(
	subscription: Pick<SubscriptionHandshake, 'subscribeUrl'> | string,
	options: SnsTransportOptions = {},
): Promise<ConfirmSubscriptionResult> {
	const url = typeof subscription === 'string' ? subscription : subscription.subscribeUrl;
	if (!url || !isGenuineSnsUrl(url, options.certHostPattern ?? SNS_HOST_PATTERN)) {
		throw new Error('SubscribeURL is not an https URL of a genuine SNS host; not confirming');
	}
	let response;
	try {
		response = await axios.get<string>(url, {
			responseType: 'text',
			timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
			maxContentLength: 64 * 1024,
			maxRedirects: 0,
			httpsAgent: httpsAgentFor(options),
			proxy: false,
			transformResponse: (data: unknown) => data,
			validateStatus: () => true,
		});
	} catch (error) {
		throw new Error(
			`Could not reach SNS to confirm the subscription (${errorCode(error) ?? 'network error'})`,
		);
	}
	if (response.status < 200 || response.status >= 300) {
		throw new Error(`SNS refused the subscription confirmation (HTTP ${response.status})`);
	}
	const match = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(String(response.data));
	return { subscriptionArn: match ? match[1].trim() : null };
}

function errorCode(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}
