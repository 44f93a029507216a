import type { FailureEvidence, FailureKind, FailureReason, FailureVerdict, BounceReason, RecipientKind } from './types';
import { HARD_REASONS, SENDER_REASONS, SOFT_REASONS } from './types';

const KIND_OF = new Map<string, FailureKind>([
	...HARD_REASONS.map((reason) => [reason, 'hard'] as const),
	...SOFT_REASONS.map((reason) => [reason, 'soft'] as const),
	...SENDER_REASONS.map((reason) => [reason, 'sender'] as const),
]);

/** The reason → kind table (shared/bounce-corpus README); the one place that decides it. */
export function kindOfReason(reason: FailureReason): FailureKind;
export function kindOfReason(reason: BounceReason): RecipientKind | null;
export function kindOfReason(reason: BounceReason): RecipientKind | null {
	if (reason === 'feedback') return 'complaint';
	return KIND_OF.get(reason) ?? null;
}

export function isFailureReason(value: string): value is FailureReason {
	return KIND_OF.has(value);
}

/**
 * One set of reason rules for every path: DSNs read by the classifier, synchronous refusals during
 * Bulk Send, and the bounces ESP webhooks report. Order of evidence: a reason the source states,
 * then the diagnostic text, then the enhanced status, then the reply code.
 *
 * NOTE: placeholder rules (status classes only) until the classifier work fills in the text
 * rules; the signature is the contract the send path and the webhooks build on.
 */
export function classifyFailure(evidence: FailureEvidence): FailureVerdict {
	const reason = evidence.statedReason ?? reasonFromStatus(evidence.status ?? null, evidence.replyCode ?? null);
	return { reason, kind: kindOfReason(reason) };
}

function reasonFromStatus(status: string | null, replyCode: string | number | null): FailureReason {
	switch (status) {
		case '5.1.1':
		case '5.1.0':
			return 'userunknown';
		case '5.1.2':
			return 'hostunknown';
		case '5.1.6':
			return 'hasmoved';
		case '5.2.2':
		case '4.2.2':
			return 'mailboxfull';
		case '5.2.1':
			return 'suspend';
		case '5.7.1':
			return 'blocked';
	}
	const code = replyCode === null ? NaN : Number(replyCode);
	if (status?.startsWith('4.') || (code >= 400 && code < 500)) return 'expired';
	return 'undefined';
}
