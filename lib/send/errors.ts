import { describeConnectionError, isTlsError } from './transport';
import type { HandoverStage, SmtpSettings } from './transport';

/**
 * What a failed delivery attempt means for the message and the run:
 * - `retryable`: the server did not take the message and said so (4xx to MAIL/RCPT/DATA or the
 *   end of data), or the connection failed before the message was handed over. Try again later.
 * - `permanent`: refused for good (5xx), or a message that cannot be sent as it is (bad address,
 *   too large). Never retried.
 * - `unknown`: the connection was lost or timed out after the whole body and the end-of-data
 *   "." went out, before the server's reply. The server may have queued it: never retried, so
 *   nobody gets the message twice.
 * - `fatal`: nothing will work until the settings change (authentication, TLS, unknown host,
 *   the server refusing the session). Stop the run.
 */
export type SendErrorKind = 'retryable' | 'permanent' | 'unknown' | 'fatal';

export interface ClassifiedSendError {
	kind: SendErrorKind;
	/** A sentence for the user, without secrets. */
	message: string;
	/** nodemailer's error code (ECONNECTION, EENVELOPE, EAUTH...), or the system code. */
	code: string | null;
	/** SMTP reply code, when the server answered. */
	responseCode: number | null;
	/** RFC 3463 enhanced status code from the reply, e.g. "5.1.1". */
	enhancedStatus: string | null;
	/** The SMTP step nodemailer was at: "MAIL FROM", "RCPT TO", "DATA", "AUTH PLAIN", "CONN"... */
	command: string | null;
	/** The server's reply line, when there was one. */
	response: string | null;
}

interface NodemailerErrorLike {
	message?: string;
	code?: string;
	originalCode?: string;
	responseCode?: number;
	response?: string;
	command?: string;
	timeoutType?: string;
}

// Errors about the message itself, raised before anything reached the server.
const MESSAGE_ERROR_CODES = new Set([
	'EENVELOPE',
	'EMESSAGE',
	'EMAXRECIPIENTS',
	'EFILEACCESS',
	'EURLACCESS',
	'EFETCH',
	'ESTREAM',
	'EOTP',
]);

const CONFIG_ERROR_CODES = new Set(['ECONFIG', 'EPROXY', 'EOAUTH2', 'ENOAUTH', 'EAUTH']);

// Connection-level errors that say nothing about the message; the handover stage decides.
const CONNECTION_ERROR_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EPROTOCOL']);

// A socket that never got as far as the SMTP session: the message cannot have been sent.
const PRE_SESSION_SYSTEM_CODES = new Set([
	'ECONNREFUSED',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EADDRNOTAVAIL',
]);

export function enhancedStatusOf(response: string | null | undefined): string | null {
	const match = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(String(response ?? '').trim());
	return match ? match[1] : null;
}

function firstLine(text: string | undefined | null): string {
	return String(text ?? '')
		.split(/\r?\n/)[0]
		.trim();
}

/**
 * Classifies a nodemailer error from one delivery attempt. `stage` is where the message got to
 * (see HandoverTracker); without it a lost connection is assumed to be `unknown`, the safe side.
 */
// Long: one ordered decision table (fatal, SMTP reply code, message error, connection stage); order is the policy.
export function classifySendError(
	error: unknown,
	stage?: HandoverStage,
	settings?: SmtpSettings,
): ClassifiedSendError {
	const err = (error ?? {}) as NodemailerErrorLike;
	const responseCode =
		typeof err.responseCode === 'number' && err.responseCode > 0 ? err.responseCode : null;
	const response = err.response ? firstLine(err.response) : null;
	const base = {
		code: err.code ?? err.originalCode ?? null,
		responseCode,
		enhancedStatus: enhancedStatusOf(response),
		command: err.command ?? null,
		response,
	};
	const make = (kind: SendErrorKind, message: string): ClassifiedSendError => ({
		kind,
		message,
		...base,
	});

	// Settings problems: every further message would fail the same way.
	if (CONFIG_ERROR_CODES.has(err.code ?? '') || isTlsError(err)) {
		return make('fatal', describeConnectionError(err, settings).message);
	}
	if (err.code === 'EDNS') {
		// a name that does not exist stays that way; a resolver hiccup may pass
		if (err.originalCode === 'ENOTFOUND' || err.originalCode === 'ENODATA') {
			return make('fatal', describeConnectionError(err, settings).message);
		}
		return make('retryable', `Host name lookup failed (${err.originalCode ?? 'DNS error'}).`);
	}

	if (responseCode !== null) {
		const reply = response ?? String(responseCode);
		const sessionCommand =
			!err.command || err.command === 'CONN' || /^(EHLO|HELO|LHLO)$/.test(err.command);
		if (
			responseCode >= 500 &&
			sessionCommand &&
			err.code !== 'EENVELOPE' &&
			err.code !== 'EMESSAGE'
		) {
			// a 5xx greeting or EHLO: the server will not talk to us at all
			return make('fatal', `The server refused the SMTP session: "${reply}".`);
		}
		if (responseCode >= 400 && responseCode < 500) {
			return make('retryable', `Temporarily refused (${stepName(err.command)}): "${reply}".`);
		}
		if (responseCode === 503) {
			// bad sequence of commands: the session was in the wrong state, not the message
			return make('retryable', `Session out of step (${stepName(err.command)}): "${reply}".`);
		}
		if (responseCode >= 500) {
			return make('permanent', `Refused (${stepName(err.command)}): "${reply}".`);
		}
	}

	if (MESSAGE_ERROR_CODES.has(err.code ?? '')) {
		return make('permanent', `The message cannot be sent: ${firstLine(err.message)}.`);
	}

	if (CONNECTION_ERROR_CODES.has(err.code ?? '') || PRE_SESSION_SYSTEM_CODES.has(err.code ?? '')) {
		const system = err.originalCode ?? err.code ?? '';
		if (
			PRE_SESSION_SYSTEM_CODES.has(system) ||
			err.timeoutType === 'CONNECT_TIMEOUT' ||
			err.timeoutType === 'GREETING_TIMEOUT'
		) {
			return make('retryable', connectionMessage(err, 'before the message was sent'));
		}
		const effectiveStage = stage ?? 'data-sent';
		if (effectiveStage === 'data-sent') {
			return make(
				'unknown',
				connectionMessage(
					err,
					'after the message was handed over, before the server confirmed it',
				) + ' It may have been delivered, so it is not retried.',
			);
		}
		return make(
			'retryable',
			connectionMessage(
				err,
				effectiveStage === 'data-started'
					? 'while the message was being sent (before its end)'
					: 'before the message was sent',
			),
		);
	}

	if (err.code === 'EMAXLIMIT') {
		return make('retryable', 'The pooled connection was retired before sending.');
	}
	if (err.code === 'EABORT') {
		return make('unknown', 'Sending was aborted.');
	}
	if (!err.code && !responseCode) {
		// thrown while nodemailer compiled the message (bad header, bad attachment...)
		return make(
			'permanent',
			`The message cannot be built: ${firstLine(err.message) || 'unknown error'}.`,
		);
	}
	return make(
		stage === 'before-data' ? 'retryable' : 'unknown',
		`SMTP error: ${firstLine(err.message) || err.code || 'unknown error'}.`,
	);
}

function stepName(command: string | undefined): string {
	if (!command || command === 'CONN') return 'connection';
	return command;
}

function connectionMessage(err: NodemailerErrorLike, when: string): string {
	const what =
		err.code === 'ETIMEDOUT'
			? 'Timed out'
			: err.originalCode === 'ECONNREFUSED'
				? 'Connection refused'
				: err.originalCode === 'ECONNRESET'
					? 'Connection reset'
					: 'Connection lost';
	return `${what} ${when}.`;
}

/** Thrown (or reported) when a run stops because of a fatal error. */
export class FatalSendError extends Error {
	readonly classified: ClassifiedSendError;
	constructor(classified: ClassifiedSendError) {
		super(classified.message);
		this.name = 'FatalSendError';
		this.classified = classified;
	}
}
