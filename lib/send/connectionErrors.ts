import nodemailer from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer';

import { type SmtpSettings, toNodemailerOptions, validateSmtpSettings } from './smtpSettings';

/** The credential test and what a failed connection means, in words for the user. */

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
