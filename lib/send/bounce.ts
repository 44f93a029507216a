import { classifyFailure, type FailureKind, type FailureReason } from '../bounce';
import type { SendResult } from './itemSender';

/** What a refused send means, by the shared reason rules (lib/bounce classifyFailure). */
export interface SendBounce {
	/** hard: the address is dead · soft: the recipient's side, may recover · sender: our side. */
	kind: FailureKind;
	reason: FailureReason;
	/** Enhanced status such as `5.1.1`, when the server gave one. */
	status: string | null;
	replyCode: number | null;
	/** The server's reply as it came (for the bounce record and the audit log). */
	diagnostic: string | null;
}

/**
 * The bounce a failed send is, or null when there is nothing to record: only a server's refusal
 * counts — a permanent 5xx at any stage, or a 4xx still deferred when the retries ran out — never
 * a lost connection or a fatal error of our own. Which kind, and so what it does to the
 * subscriber, is the shared rules' call: a `550 5.7.1 … blocked` at RCPT is the sender's problem,
 * `552 5.2.2` a full mailbox. A deferral is never hard: the server itself said it may recover.
 */
export function bounceOf(result: SendResult): SendBounce | null {
	const error = result.error;
	if (!error || result.status !== 'failed' || error.responseCode === null) return null;
	const permanent = error.kind === 'permanent' && error.responseCode >= 500;
	const deferred = error.kind === 'retryable' && error.responseCode >= 400 && error.responseCode < 500;
	if (!permanent && !deferred) return null;
	const diagnostic = result.response ?? error.message ?? null;
	const verdict = classifyFailure({
		status: error.enhancedStatus,
		replyCode: error.responseCode,
		diagnostic,
		command: error.command,
	});
	return {
		kind: deferred && verdict.kind === 'hard' ? 'soft' : verdict.kind,
		reason: verdict.reason,
		status: error.enhancedStatus,
		replyCode: error.responseCode,
		diagnostic,
	};
}
