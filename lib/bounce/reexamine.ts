/**
 * Re-reading a bounce stored under the old rules (any 5xx at RCPT, any 5.1.x/5.2.x = hard): only
 * its diagnostic text was kept, so the status and reply code are taken from it and the shared
 * reason rules decide again. Nothing here changes a subscriber; the store's re-examination lists
 * the verdicts and reactivates only on the operator's explicit word.
 */
import { classifyFailure } from './reasons';
import { replyCodeIn, statusIn } from './text';
import type { FailureVerdict } from './types';

export interface Reexamined extends FailureVerdict {
	status: string | null;
	replyCode: string | null;
	/** Whether, read so today, the bounce would not have stopped the address by itself. */
	wrongfullyStopped: boolean;
}

/** The verdict today's rules give a stored diagnostic; null when nothing was stored. */
export function reexamineDiagnostic(diagnostic: string | null | undefined): Reexamined | null {
	const text = diagnostic?.trim();
	if (!text) return null;
	const status = statusIn(text);
	const replyCode = replyCodeIn(text);
	const verdict = classifyFailure({ status, replyCode, diagnostic: text });
	return { ...verdict, status, replyCode, wrongfullyStopped: verdict.kind !== 'hard' };
}
