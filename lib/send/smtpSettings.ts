import type { MailDefaults, SMTPTransportOptions } from 'nodemailer';
import type { ConnectionOptions } from 'node:tls';

/** SMTP settings: their types, their validation and the nodemailer options they become. */

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
