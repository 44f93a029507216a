import nodemailer from 'nodemailer';
import type {
	MailDefaults,
	SMTPPoolOptions,
	SMTPPoolSentMessageInfo,
	Transporter,
} from 'nodemailer';

import { trackHandover } from './handover';
import { SAFE_MESSAGE_DEFAULTS, type SmtpSettings, toNodemailerOptions } from './smtpSettings';

/**
 * The pooled SMTP transport. Its parts: smtpSettings.ts (settings and their validation),
 * handover.ts (how far a message got on the wire), wireMessage.ts (prebuilt messages straight
 * to the pool), connectionErrors.ts (credential test, connection errors in words).
 */
export {
	DEFAULT_TIMEOUTS,
	type DkimSettings,
	DKIM_HEADER_FIELD_NAMES,
	SAFE_MESSAGE_DEFAULTS,
	type SmtpSecurity,
	type SmtpSettings,
	SmtpSettingsError,
	type TlsVersion,
	toNodemailerOptions,
	validateSmtpSettings,
} from './smtpSettings';
export {
	createHandoverTracker,
	HANDOVER_TRACKER_KEY,
	type HandoverStage,
	type HandoverTracker,
	handoverStage,
} from './handover';
export { sendWireMessage, toWireMessage, type WireMessage } from './wireMessage';
export {
	describeConnectionError,
	isTlsError,
	type VerifyFailureReason,
	type VerifyResult,
	verifySmtp,
} from './connectionErrors';

export type PooledTransport = Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

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
