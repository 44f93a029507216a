import type { SendResult } from './itemSender';

/**
 * What a failed send means for the recipient's bounce record. Hard: the server refused the
 * recipient for good (at RCPT, or a 5.1.x / 5.2.x status) — not the sender or the content.
 * Soft: still deferred (4xx) when the retries ran out. Otherwise nothing to record.
 */
export function bounceOf(result: SendResult): 'hard' | 'soft' | null {
	const error = result.error;
	if (!error || result.status !== 'failed' || error.responseCode === null) return null;
	if (error.kind === 'permanent' && error.responseCode >= 500) {
		const recipientRefused =
			/^RCPT/i.test(error.command ?? '') || /^5\.[12]\./.test(error.enhancedStatus ?? '');
		return recipientRefused ? 'hard' : null;
	}
	if (error.kind === 'retryable' && error.responseCode >= 400) return 'soft';
	return null;
}
