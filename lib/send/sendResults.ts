/** What a send run reports: its options and results, and how a result is shaped. */
import type { MailDefaults, SendMailOptions } from 'nodemailer';
import type { BreakerOptions, BreakerSnapshot } from './breaker';
import type { ClassifiedSendError, SendErrorKind } from './errors';
import type { LimiterConfig, SendLimiter } from './limiter';
import type { RetryPolicy, Sleep } from './retry';
import type { PooledTransport, SmtpSettings } from './transport';

/** One message to send: nodemailer's message options plus the caller's reference (item index). */
export interface OutgoingMessage extends SendMailOptions {
	ref: number | string;
}

export type SendStatus = 'sent' | 'failed' | 'unknown' | 'skipped';

export interface SendResultError {
	kind: SendErrorKind | 'stopped';
	message: string;
	code: string | null;
	responseCode: number | null;
	enhancedStatus: string | null;
	command: string | null;
}

/**
 * - sent: the server accepted it (accepted/rejected list the recipients).
 * - failed: refused for good (5xx), not sendable, or still deferred after the last retry.
 * - unknown: lost after the body went out; may or may not have been delivered. Never retried.
 * - skipped: never handed to the server (the run stopped first); safe to send again later.
 */
export interface SendResult {
	ref: number | string;
	status: SendStatus;
	messageId: string | null;
	accepted: string[];
	rejected: string[];
	response: string | null;
	attempts: number;
	error?: SendResultError;
}

export type RunOutcome =
	/** Every message was attempted. */
	| 'completed'
	/** The failure-rate breaker tripped. */
	| 'paused'
	/** Authentication, TLS, unknown host...: nothing could be sent with these settings. */
	| 'fatal'
	/** Today's sending budget ran out. */
	| 'daily-cap'
	/** The caller's AbortSignal fired (e.g. a time budget). */
	| 'aborted';

export interface SendRunReport {
	outcome: RunOutcome;
	/** One sentence on how the run ended. */
	message: string;
	/** Per message, in input order (empty when collectResults is false). */
	results: SendResult[];
	counts: Record<SendStatus, number>;
	/** The error that stopped the run, for outcome 'fatal'. */
	fatalError?: ClassifiedSendError;
	breaker?: BreakerSnapshot;
	/** Settings warnings (plain text, certificate checks off...). */
	warnings: string[];
	/** The limits in force, e.g. "14/s, 10000/day". */
	limits: string;
	durationMs: number;
}

export interface SendMessagesOptions {
	smtp: SmtpSettings;
	/** Message defaults (from, headers...) for the transport. File and URL access stay off. */
	defaults?: MailDefaults;
	/**
	 * Limits for this run (a limiter is created and disconnected at the end), or a limiter the
	 * caller created and disconnects itself (to share one across several calls).
	 */
	limiter?: LimiterConfig | SendLimiter;
	retry?: Partial<RetryPolicy>;
	/** Failure-rate breaker settings, or false to never pause. */
	breaker?: Partial<BreakerOptions> | false;
	/** Messages in progress at once (default maxConnections * 4): bounds memory for any input size. */
	maxInFlight?: number;
	/** Keep every result in the report (default true). Campaign mode streams them via onResult. */
	collectResults?: boolean;
	/** After a stop, read the rest of the input and report each message as skipped (default true). */
	skipRemainingOnStop?: boolean;
	/** Called once per message with its final result; awaited, so it also applies backpressure. */
	onResult?: (result: SendResult) => void | Promise<void>;
	/** Stops the run: messages not yet handed to the server are skipped. */
	signal?: AbortSignal;
	/** An open pooled transport to use (the caller closes it); by default one is created per run. */
	transport?: PooledTransport;
	sleep?: Sleep;
	random?: () => number;
}

export function addresses(list: unknown): string[] {
	if (!Array.isArray(list)) return [];
	return list.map((entry) =>
		typeof entry === 'string' ? entry : String((entry as { address?: string })?.address ?? entry),
	);
}

export function toResultError(classified: ClassifiedSendError): SendResultError {
	return {
		kind: classified.kind,
		message: classified.message,
		code: classified.code,
		responseCode: classified.responseCode,
		enhancedStatus: classified.enhancedStatus,
		command: classified.command,
	};
}

export function stoppedError(message: string): SendResultError {
	return {
		kind: 'stopped',
		message,
		code: null,
		responseCode: null,
		enhancedStatus: null,
		command: null,
	};
}

export function emptyCounts(): Record<SendStatus, number> {
	return { sent: 0, failed: 0, unknown: 0, skipped: 0 };
}

export function failedResult(
	ref: number | string,
	status: 'failed' | 'unknown',
	attempts: number,
	classified: ClassifiedSendError,
): SendResult {
	return {
		ref,
		status,
		messageId: null,
		accepted: [],
		rejected: [],
		response: classified.response,
		attempts,
		error: toResultError(classified),
	};
}
