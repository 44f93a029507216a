import nodemailer from 'nodemailer';
import type {
	MailDefaults,
	MailMessage,
	SendMailOptions,
	SMTPPoolOptions,
	SMTPPoolSentMessageInfo,
	SMTPTransportOptions,
	Transporter,
} from 'nodemailer';
import type { ConnectionOptions } from 'node:tls';

import { Readable } from 'node:stream';

import { buildRawMessage, type RawMessage } from '../compose';

/** How the connection is secured. */
export type SmtpSecurity =
	/** TLS from the first byte (SMTPS, usually port 465). */
	| 'tls'
	/** Plain connect, then STARTTLS, which must succeed (usually port 587 or 25). */
	| 'starttls'
	/** No TLS at all. An explicit opt-in: `validateSmtpSettings` returns a warning for it. */
	| 'none';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface DkimSettings {
	domainName: string;
	keySelector: string;
	/** PEM private key (RSA: nodemailer signs with rsa-sha256). */
	privateKey: string;
	/** Colon-separated header names to sign; defaults to DKIM_HEADER_FIELD_NAMES. */
	headerFieldNames?: string;
}

export interface SmtpSettings {
	host: string;
	port: number;
	security: SmtpSecurity;
	/** Lowest TLS version accepted; TLSv1.2 unless set. */
	minTlsVersion?: TlsVersion;
	user?: string;
	password?: string;
	/** Name sent in EHLO; nodemailer uses the machine's host name when unset. */
	ehloName?: string;
	/** Accept certificates that do not verify (self-signed, unknown CA). Explicit opt-in. */
	allowSelfSigned?: boolean;
	/** Extra trusted CA certificates (PEM), for a relay with a private CA. */
	caCertificates?: string | string[];
	/** TLS server name to verify when `host` is an IP address. */
	tlsServername?: string;
	dkim?: DkimSettings;
	pool?: {
		/** Open SMTP connections at once (nodemailer default 5). */
		maxConnections?: number;
		/** Messages per connection before it is replaced (nodemailer default 100). */
		maxMessages?: number;
		/** Close a connection idle this long (ms). */
		idleTimeoutMs?: number;
	};
	timeouts?: {
		/** TCP connect (ms). */
		connectionMs?: number;
		/** Waiting for the 220 greeting, or a TLS upgrade (ms). */
		greetingMs?: number;
		/** Socket inactivity, including the wait for the reply after the message body (ms). */
		socketMs?: number;
		/** Host name lookup (ms). */
		dnsMs?: number;
	};
}

/**
 * Headers the DKIM signature covers. RFC 8058 only honours one-click unsubscribe when the
 * signature covers List-Unsubscribe and List-Unsubscribe-Post, so both are listed. Only the
 * headers a message actually has are signed (nodemailer drops absent ones from `h=`).
 */
export const DKIM_HEADER_FIELD_NAMES = [
	'from',
	'sender',
	'reply-to',
	'to',
	'cc',
	'subject',
	'date',
	'message-id',
	'mime-version',
	'content-type',
	'content-transfer-encoding',
	'in-reply-to',
	'references',
	'list-id',
	'list-unsubscribe',
	'list-unsubscribe-post',
	'feedback-id',
	'x-bulk-mail-campaign',
	'x-bulk-mail-subscriber',
].join(':');

export const DEFAULT_TIMEOUTS = {
	connectionMs: 30_000,
	greetingMs: 30_000,
	socketMs: 120_000,
	dnsMs: 30_000,
} as const;

/** Message-level nodemailer defaults: never read local files or fetch URLs named in a message. */
export const SAFE_MESSAGE_DEFAULTS: MailDefaults = {
	disableFileAccess: true,
	disableUrlAccess: true,
};

export class SmtpSettingsError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SmtpSettingsError';
	}
}

/**
 * Checks the settings and returns warnings worth showing to the user (plain text, a port that
 * does not match the security mode, certificate checks off). Throws SmtpSettingsError on
 * settings that cannot work.
 */
export function validateSmtpSettings(settings: SmtpSettings): string[] {
	const warnings: string[] = [];
	if (!settings || typeof settings !== 'object') {
		throw new SmtpSettingsError('SMTP settings are missing.');
	}
	if (typeof settings.host !== 'string' || !settings.host.trim()) {
		throw new SmtpSettingsError('SMTP host is empty: set the host name of the SMTP server.');
	}
	if (/[\s/]/.test(settings.host.trim())) {
		throw new SmtpSettingsError(
			`SMTP host "${settings.host}" is not a host name: give only the name (e.g. smtp.example.com), without a scheme or path.`,
		);
	}
	const port = Number(settings.port);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new SmtpSettingsError(`SMTP port "${settings.port}" is not a port number (1-65535).`);
	}
	if (!['tls', 'starttls', 'none'].includes(settings.security)) {
		throw new SmtpSettingsError(
			`SMTP security "${settings.security}" is not one of "tls", "starttls", "none".`,
		);
	}
	if (settings.minTlsVersion && !['TLSv1.2', 'TLSv1.3'].includes(settings.minTlsVersion)) {
		throw new SmtpSettingsError(
			`Minimum TLS version "${settings.minTlsVersion}" is not supported: use TLSv1.2 or TLSv1.3.`,
		);
	}
	if (settings.password && !settings.user) {
		throw new SmtpSettingsError('An SMTP password is set without a user name.');
	}
	if (settings.dkim) {
		const { domainName, keySelector, privateKey } = settings.dkim;
		if (!domainName || !keySelector || !privateKey) {
			throw new SmtpSettingsError(
				'DKIM needs all three of domain name, key selector and private key (or none of them).',
			);
		}
		if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKey)) {
			throw new SmtpSettingsError(
				'The DKIM private key is not a PEM RSA private key (it should start with "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----").',
			);
		}
	}
	for (const [name, value] of Object.entries(settings.pool ?? {})) {
		if (
			value !== undefined &&
			(!Number.isFinite(value) || value < (name === 'idleTimeoutMs' ? 0 : 1))
		) {
			throw new SmtpSettingsError(`Pool option ${name} must be a positive number, got "${value}".`);
		}
	}
	if (settings.security === 'none') {
		warnings.push(
			'Security is "none": messages' +
				(settings.password ? ' and the SMTP password' : '') +
				' are sent unencrypted. Use it only for a relay on this machine or a trusted private network.',
		);
	}
	if (settings.security !== 'none' && settings.allowSelfSigned) {
		warnings.push(
			'Certificate verification is off (allow self-signed): the connection is encrypted but the server is not authenticated.',
		);
	}
	if (settings.security === 'starttls' && port === 465) {
		warnings.push('Port 465 normally expects TLS on connect: choose security "tls" for it.');
	}
	if (settings.security === 'tls' && (port === 587 || port === 25)) {
		warnings.push(`Port ${port} normally uses STARTTLS: choose security "starttls" for it.`);
	}
	return warnings;
}

function tlsOptions(settings: SmtpSettings): ConnectionOptions {
	const tls: ConnectionOptions = {
		minVersion: settings.minTlsVersion ?? 'TLSv1.2',
		rejectUnauthorized: !settings.allowSelfSigned,
	};
	if (settings.caCertificates) {
		tls.ca = settings.caCertificates;
	}
	if (settings.tlsServername) {
		tls.servername = settings.tlsServername;
	}
	return tls;
}

/** The nodemailer connection options for the settings (without pooling). */
export function toNodemailerOptions(settings: SmtpSettings): SMTPTransportOptions {
	validateSmtpSettings(settings);
	const timeouts = { ...DEFAULT_TIMEOUTS, ...settings.timeouts };
	const options: SMTPTransportOptions = {
		host: settings.host.trim(),
		port: Number(settings.port),
		secure: settings.security === 'tls',
		requireTLS: settings.security === 'starttls',
		ignoreTLS: settings.security === 'none',
		tls: tlsOptions(settings),
		connectionTimeout: timeouts.connectionMs,
		greetingTimeout: timeouts.greetingMs,
		socketTimeout: timeouts.socketMs,
		dnsTimeout: timeouts.dnsMs,
		logger: false,
		debug: false,
	};
	if (settings.tlsServername) {
		options.servername = settings.tlsServername;
	}
	if (settings.ehloName) {
		options.name = settings.ehloName;
	}
	if (settings.user) {
		options.auth = { user: settings.user, pass: settings.password ?? '' };
	}
	if (settings.dkim) {
		options.dkim = {
			domainName: settings.dkim.domainName,
			keySelector: settings.dkim.keySelector,
			privateKey: settings.dkim.privateKey,
			headerFieldNames: settings.dkim.headerFieldNames ?? DKIM_HEADER_FIELD_NAMES,
		};
	}
	return options;
}

export type PooledTransport = Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

/**
 * Where a message got to on the wire. The pool pipes the message stream (after DKIM signing)
 * into DATA only once the server answered 354; the tracker keeps the stream of the latest
 * delivery attempt (the pool may re-queue a message onto another connection) so the stage can
 * be read when an error comes back.
 */
export interface HandoverTracker {
	stream: NodeJS.ReadableStream | null;
}

/**
 * - `before-data`: not a byte of the message was sent; the server cannot have it.
 * - `data-started`: part of the body went out but not the end-of-data "."; the server cannot
 *   have accepted it either.
 * - `data-sent`: the whole body and the "." were handed over; only the server's reply can tell
 *   whether it took the message.
 */
export type HandoverStage = 'before-data' | 'data-started' | 'data-sent';

/** The key of the HandoverTracker in a message's nodemailer options. */
export const HANDOVER_TRACKER_KEY = '_bulkMailHandover';

export function createHandoverTracker(): HandoverTracker {
	return { stream: null };
}

export function handoverStage(tracker: HandoverTracker): HandoverStage {
	const stream = tracker.stream as
		(NodeJS.ReadableStream & { readableDidRead?: boolean; readableEnded?: boolean }) | null;
	if (!stream || !stream.readableDidRead) return 'before-data';
	return stream.readableEnded ? 'data-sent' : 'data-started';
}

// Records the message stream of every delivery attempt. No listener is attached (a 'data'
// listener would start the stream flowing before the pool pipes it).
function trackHandover(mail: MailMessage, done: () => void): void {
	const tracker = (mail.data as Record<string, unknown>)[HANDOVER_TRACKER_KEY] as
		HandoverTracker | undefined;
	const message = mail.message as unknown as { createReadStream?: () => NodeJS.ReadableStream };
	if (tracker && message && typeof message.createReadStream === 'function') {
		const create = message.createReadStream.bind(message);
		message.createReadStream = () => {
			const stream = create();
			tracker.stream = stream;
			return stream;
		};
	}
	done();
}

/**
 * One pooled nodemailer transport (`pool: true`). Local file and URL access are off for every
 * message (passed as defaults, which nodemailer treats as a one-way sandbox). Close it in a
 * `finally`. Messages sent with a HandoverTracker under HANDOVER_TRACKER_KEY get it filled in.
 */
export function createPooledTransport(
	settings: SmtpSettings,
	defaults: MailDefaults = {},
): PooledTransport {
	const options: SMTPPoolOptions & { pool: true } = {
		...toNodemailerOptions(settings),
		pool: true,
		// A message whose connection closed (a 421, a dropped socket) comes back to the sender's
		// own retry loop, which counts the attempt, applies the retry policy and knows whether the
		// data was handed over; the pool's silent re-queue would do none of that.
		maxRequeues: 0,
	};
	if (settings.pool?.maxConnections) options.maxConnections = settings.pool.maxConnections;
	if (settings.pool?.maxMessages) options.maxMessages = settings.pool.maxMessages;
	if (settings.pool?.idleTimeoutMs !== undefined) options.idleTimeout = settings.pool.idleTimeoutMs;
	const transport = nodemailer.createTransport(options, { ...defaults, ...SAFE_MESSAGE_DEFAULTS });
	transport.use('stream', trackHandover);
	return transport;
}

const SANDBOX_KEYS = new Set(['disableFileAccess', 'disableUrlAccess']);

/**
 * Whether messages for `transport` may go out prebuilt (`toWireMessage`): only when it adds no
 * message defaults of its own (from, headers...), which a prebuilt message would bypass. A
 * transport whose defaults cannot be read is given whole messages.
 */
export function acceptsPrebuiltMessages(transport: PooledTransport): boolean {
	const defaults = (transport as unknown as { _defaults?: unknown })._defaults;
	if (!defaults || typeof defaults !== 'object') return false;
	return Object.entries(defaults).every(
		([key, value]) => value === undefined || (SANDBOX_KEYS.has(key) && value === true),
	);
}

/** A message ready for the wire: prebuilt by lib/compose, or nodemailer options to compose. */
export type WireMessage =
	| { prebuilt: RawMessage; options?: undefined }
	| { prebuilt?: undefined; options: SendMailOptions };

/**
 * The message as it should go out: the RFC 5322 message prebuilt in one Buffer with an explicit
 * envelope when lib/compose can build it (a plain text/HTML message, as toSendMailOptions makes
 * them), otherwise the options as they are, for nodemailer to compose.
 */
export function toWireMessage(message: SendMailOptions): WireMessage {
	let prebuilt: RawMessage | null;
	try {
		prebuilt = buildRawMessage(message);
	} catch {
		prebuilt = null; // nodemailer composes it, and reports what is wrong with it
	}
	return prebuilt ? { prebuilt } : { options: message };
}

/** The part of nodemailer's transport API (`transporter.send(mail, callback)`) a pool implements. */
interface PoolTransporter {
	send(
		mail: unknown,
		callback: (error: Error | null, info?: SMTPPoolSentMessageInfo) => void,
	): unknown;
}

interface DkimSigner {
	sign(input: Readable): Readable;
}

/**
 * Sends one message through the pool. A prebuilt message is handed straight to the pool as a
 * finished message (what nodemailer's Mailer would hand it after composing): its envelope,
 * Message-ID and a stream of the bytes, DKIM-signed by the transport's signer when DKIM is set,
 * so none of MailComposer's per-message work is repeated. `tracker` gets the stream of every
 * delivery attempt.
 */
export function sendWireMessage(
	transport: PooledTransport,
	message: WireMessage,
	tracker: HandoverTracker | null,
): Promise<SMTPPoolSentMessageInfo> {
	const pool = (transport as unknown as { transporter?: PoolTransporter }).transporter;
	if (!message.prebuilt) {
		const options = tracker ? { ...message.options, [HANDOVER_TRACKER_KEY]: tracker } : message.options;
		return transport.sendMail(options) as Promise<SMTPPoolSentMessageInfo>;
	}
	const { raw, envelope, messageId } = message.prebuilt;
	if (!pool || typeof pool.send !== 'function') {
		return transport.sendMail({
			raw,
			envelope,
			messageId,
			disableFileAccess: true,
			disableUrlAccess: true,
			...(tracker ? { [HANDOVER_TRACKER_KEY]: tracker } : {}),
		} as SendMailOptions) as Promise<SMTPPoolSentMessageInfo>;
	}
	const dkim = (transport as unknown as { dkim?: DkimSigner | false }).dkim || null;
	const mail = {
		data: {},
		message: {
			getHeader: (key: string) => (key.toLowerCase() === 'message-id' ? messageId : undefined),
			getEnvelope: () => ({ from: envelope.from, to: [...envelope.to] }),
			messageId: () => messageId,
			createReadStream: () => {
				const source = new Readable({ read() {} });
				source.push(raw);
				source.push(null);
				const stream = dkim ? dkim.sign(source) : source;
				if (tracker) tracker.stream = stream;
				return stream;
			},
		},
	};
	return new Promise((resolve, reject) => {
		pool.send(mail, (error, info) => (error ? reject(error) : resolve(info!)));
	});
}

export type VerifyFailureReason =
	| 'host-not-found'
	| 'connection-refused'
	| 'timeout'
	| 'tls'
	| 'auth'
	| 'server-refused'
	| 'settings'
	| 'other';

export interface VerifyResult {
	ok: boolean;
	/** A sentence for the user: what worked, or what failed and what to check. */
	message: string;
	reason?: VerifyFailureReason;
	warnings: string[];
}

/**
 * Credential test: connect, secure, authenticate, QUIT. Never throws; the message names the
 * cause (host not found, refused, TLS, authentication) without the password or certificates.
 */
export async function verifySmtp(settings: SmtpSettings): Promise<VerifyResult> {
	let warnings: string[];
	let options: SMTPTransportOptions;
	try {
		warnings = validateSmtpSettings(settings);
		options = toNodemailerOptions(settings);
	} catch (error) {
		return { ok: false, reason: 'settings', message: (error as Error).message, warnings: [] };
	}
	const transport = nodemailer.createTransport(options);
	try {
		await transport.verify();
		const secured =
			settings.security === 'none'
				? 'without TLS'
				: `over TLS (${settings.security.toUpperCase()})`;
		const authed = settings.user ? `, authenticated as "${settings.user}"` : '';
		return {
			ok: true,
			message: `Connected to ${settings.host}:${settings.port} ${secured}${authed}.`,
			warnings,
		};
	} catch (error) {
		const described = describeConnectionError(error, settings);
		return { ok: false, reason: described.reason, message: described.message, warnings };
	} finally {
		transport.close();
	}
}

interface ErrorLike {
	message?: string;
	code?: string;
	originalCode?: string;
	responseCode?: number;
	response?: string;
	command?: string;
	timeoutType?: string;
}

const TLS_ERROR_CODE =
	/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|ERR_SSL|ERR_TLS|^EPROTO$|HOSTNAME|ALTNAME/;

/** True when the error is a TLS failure (handshake, certificate, STARTTLS). */
export function isTlsError(error: ErrorLike): boolean {
	if (!error) return false;
	if (error.code === 'ETLS' || error.code === 'EREQUIRETLS') return true;
	const code = error.originalCode ?? error.code ?? '';
	if (TLS_ERROR_CODE.test(code)) return true;
	return error.timeoutType === 'UPGRADE_TIMEOUT';
}

function tlsReason(error: ErrorLike, settings?: SmtpSettings): string {
	const code = error.originalCode ?? error.code ?? '';
	switch (code) {
		case 'DEPTH_ZERO_SELF_SIGNED_CERT':
		case 'SELF_SIGNED_CERT_IN_CHAIN':
			return 'the server certificate is self-signed (turn on "allow self-signed certificates" only if you trust this server)';
		case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
		case 'UNABLE_TO_GET_ISSUER_CERT':
		case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
			return 'the server certificate is not signed by a trusted certificate authority';
		case 'CERT_HAS_EXPIRED':
			return 'the server certificate has expired';
		case 'CERT_NOT_YET_VALID':
			return 'the server certificate is not valid yet';
		case 'ERR_TLS_CERT_ALTNAME_INVALID':
			return `the server certificate is not issued for "${settings?.tlsServername ?? settings?.host ?? 'this host'}"`;
		case 'ERR_SSL_WRONG_VERSION_NUMBER':
			return 'the server did not answer with TLS (if the port uses STARTTLS, usually 587 or 25, choose security "starttls")';
		case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
		case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
		case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
			return `client and server share no TLS version (minimum accepted: ${settings?.minTlsVersion ?? 'TLSv1.2'})`;
	}
	if (error.code === 'EREQUIRETLS') return 'the server does not support REQUIRETLS';
	if (error.timeoutType === 'UPGRADE_TIMEOUT') return 'the TLS handshake timed out';
	if (error.command === 'STARTTLS' && error.responseCode) {
		return `the server refused STARTTLS (${firstLine(error.response)}); it may not offer it on this port`;
	}
	const message = firstLine(error.message)
		.replace(/^Error initiating TLS - /, '')
		.replace(/^[0-9A-F]{8,}:error:[0-9A-F]+:/i, '')
		.replace(/:\.\.\/deps\/openssl\S*$/, '');
	return message || 'unknown TLS error';
}

function firstLine(text: string | undefined): string {
	return String(text ?? '')
		.split(/\r?\n/)[0]
		.trim();
}

/**
 * Turns a connection or login error into a reason and a sentence for the user. Never includes
 * the password; server replies are included (they tell what the server objects to).
 */
export function describeConnectionError(
	error: unknown,
	settings?: SmtpSettings,
): { reason: VerifyFailureReason; message: string } {
	const err = (error ?? {}) as ErrorLike;
	const where = settings ? `${settings.host}:${settings.port}` : 'the SMTP server';
	const original = err.originalCode ?? '';
	if (original === 'ENOTFOUND' || original === 'ENODATA') {
		return {
			reason: 'host-not-found',
			message: `Host not found: "${settings?.host ?? 'the SMTP host'}" does not resolve (check the host name).`,
		};
	}
	if (err.code === 'EDNS') {
		return {
			reason: 'host-not-found',
			message: `Looking up "${settings?.host ?? 'the SMTP host'}" failed (${original || 'DNS error'}): check the host name and this machine's DNS.`,
		};
	}
	if (original === 'ECONNREFUSED') {
		return {
			reason: 'connection-refused',
			message: `Connection refused by ${where}: nothing accepts connections there (check host and port).`,
		};
	}
	if (isTlsError(err)) {
		return {
			reason: 'tls',
			message: `TLS handshake failed with ${where}: ${tlsReason(err, settings)}.`,
		};
	}
	if (err.code === 'EAUTH' || err.code === 'ENOAUTH') {
		const user = settings?.user ? ` for user "${settings.user}"` : '';
		const reply = err.response ? `: the server said "${firstLine(err.response)}"` : '';
		return {
			reason: 'auth',
			message:
				err.code === 'ENOAUTH'
					? 'Authentication failed: the server requires a user name and password.'
					: `Authentication failed${user}${reply} (check user name and password).`,
		};
	}
	if (err.code === 'ETIMEDOUT') {
		if (err.timeoutType === 'CONNECT_TIMEOUT') {
			return {
				reason: 'timeout',
				message: `Connection to ${where} timed out (a firewall may drop it; check host and port).`,
			};
		}
		return {
			reason: 'timeout',
			message:
				`No answer from ${where} in time` +
				(settings?.security !== 'tls'
					? ' (if the port expects TLS on connect, usually 465, choose security "tls").'
					: '.'),
		};
	}
	if (err.responseCode && err.responseCode >= 400) {
		return {
			reason: 'server-refused',
			message: `The server at ${where} refused the session: "${firstLine(err.response)}".`,
		};
	}
	if (err.code === 'ECONNECTION' || original === 'ECONNRESET') {
		return {
			reason: 'other',
			message: `The server at ${where} closed the connection unexpectedly (check the port and security mode).`,
		};
	}
	return { reason: 'other', message: `SMTP error with ${where}: ${firstLine(err.message)}` };
}
