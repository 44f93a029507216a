import { mentions } from './phrases';
import type { BounceReason, FailureEvidence, FailureKind, FailureReason, FailureVerdict, RecipientKind } from './types';
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

/** RFC 3463 enhanced status codes whose meaning names one reason (IANA registry). */
const STATUS_REASONS: Record<string, FailureReason> = {
	'4.1.6': 'hasmoved', '4.1.7': 'rejected', '4.1.8': 'rejected', '4.1.9': 'systemerror',
	'4.2.1': 'blocked', '4.2.2': 'mailboxfull', '4.2.3': 'exceedlimit', '4.2.4': 'filtered',
	'4.3.1': 'systemfull', '4.3.2': 'notaccept', '4.3.3': 'systemerror', '4.3.5': 'systemerror',
	'4.4.1': 'expired', '4.4.2': 'networkerror', '4.4.3': 'systemerror', '4.4.4': 'networkerror',
	'4.4.5': 'systemfull', '4.4.6': 'networkerror', '4.4.7': 'expired', '4.4.8': 'networkerror',
	'4.5.3': 'systemerror', '4.5.5': 'systemerror', '4.6.0': 'contenterror', '4.6.2': 'contenterror',
	'4.6.5': 'contenterror', '4.7.1': 'blocked', '4.7.2': 'blocked', '4.7.5': 'securityerror',
	'4.7.6': 'securityerror', '4.7.7': 'securityerror', '4.7.12': 'securityerror', '4.7.15': 'securityerror',
	'4.7.16': 'mesgtoobig', '4.7.24': 'authfailure', '4.7.25': 'requireptr', '4.7.26': 'authfailure',
	'5.1.0': 'userunknown', '5.1.1': 'userunknown', '5.1.2': 'hostunknown', '5.1.3': 'userunknown',
	'5.1.4': 'filtered', '5.1.6': 'hasmoved', '5.1.7': 'rejected', '5.1.8': 'rejected', '5.1.9': 'systemerror',
	'5.1.10': 'notaccept', '5.2.0': 'filtered', '5.2.1': 'filtered', '5.2.2': 'mailboxfull', '5.2.3': 'exceedlimit',
	'5.2.4': 'filtered', '5.3.0': 'systemerror', '5.3.1': 'systemfull', '5.3.2': 'notaccept', '5.3.3': 'systemerror',
	'5.3.4': 'mesgtoobig', '5.3.5': 'systemerror', '5.4.0': 'networkerror', '5.4.3': 'systemerror', '5.4.4': 'hostunknown',
	'5.5.2': 'syntaxerror', '5.5.3': 'toomanyconn', '5.5.4': 'systemerror', '5.5.5': 'systemerror', '5.5.6': 'syntaxerror',
	'5.6.0': 'contenterror', '5.6.1': 'contenterror', '5.6.2': 'contenterror', '5.6.3': 'contenterror', '5.6.5': 'contenterror',
	'5.6.6': 'contenterror', '5.6.7': 'contenterror', '5.6.8': 'contenterror', '5.6.9': 'contenterror',
	'5.7.0': 'securityerror', '5.7.1': 'securityerror', '5.7.2': 'securityerror', '5.7.3': 'securityerror',
	'5.7.4': 'securityerror', '5.7.5': 'securityerror', '5.7.6': 'securityerror', '5.7.7': 'securityerror',
	'5.7.8': 'securityerror', '5.7.9': 'securityerror', '5.7.10': 'securityerror', '5.7.11': 'securityerror',
	'5.7.13': 'suspend', '5.7.14': 'securityerror', '5.7.15': 'securityerror', '5.7.16': 'mesgtoobig',
	'5.7.17': 'hasmoved', '5.7.18': 'hasmoved', '5.7.19': 'securityerror', '5.7.20': 'authfailure',
	'5.7.21': 'authfailure', '5.7.22': 'authfailure', '5.7.23': 'authfailure', '5.7.24': 'authfailure',
	'5.7.25': 'requireptr', '5.7.26': 'authfailure', '5.7.27': 'notaccept', '5.7.28': 'spamdetected', '5.7.29': 'authfailure',
};

/** Reasons a status alone cannot settle: the text decides first when it says more. */
const VAGUE = new Set<FailureReason>(['undefined', 'onhold', 'systemerror', 'securityerror', 'expired', 'networkerror', 'hostunknown', 'userunknown']);

/** Commands sent before DATA: a refusal there cannot be about the message's content. */
const BEFORE_DATA = new Set(['CONN', 'EHLO', 'HELO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT']);

/** Phrases that name the recipient's address but are really about something else. */
const NOT_USER: FailureReason[] = ['norelaying', 'blocked', 'mailboxfull', 'hasmoved', 'rejected', 'notaccept', 'spamdetected', 'authfailure', 'requireptr', 'badreputation', 'speeding', 'toomanyconn'];

/**
 * First pass, in this order: the status or the text names the reason outright. Order matters
 * where phrases overlap (`mailbox full` before `mailbox …`, user-unknown only when nothing says
 * the refusal was about us), as in Sisimai's first pass.
 */
function firstPass(text: string, status: string | null, statusReason: FailureReason | null, command: string | null, replyCode: string | null): FailureReason | null {
	if (statusReason === 'mailboxfull' || mentions('mailboxfull', text)) return 'mailboxfull';
	if (statusReason === 'mesgtoobig' || mentions('mesgtoobig', text)) return 'mesgtoobig';
	if (statusReason === 'exceedlimit' || mentions('exceedlimit', text)) return 'exceedlimit';
	if (replyCode === '525' || mentions('suspend', text)) return 'suspend';
	if (statusReason === 'hasmoved' || mentions('hasmoved', text)) return 'hasmoved';
	if (command !== 'CONN' && command !== 'EHLO' && command !== 'HELO' && mentions('norelaying', text)) return 'norelaying';
	if (statusReason === 'authfailure' || mentions('authfailure', text)) return 'authfailure';
	const user = mentions('userunknown', text) && !NOT_USER.some((reason) => mentions(reason, text));
	// Refused at MAIL FROM: about our envelope sender, whatever the status says of "the address".
	if (command === 'MAIL' && (statusReason === 'userunknown' || statusReason === 'rejected')) return 'rejected';
	if (command !== 'MAIL') {
		// The status says the mailbox does not exist (x.1.1, …) and nothing says the refusal was about us.
		if (statusReason === 'userunknown' && !NOT_USER.some((reason) => mentions(reason, text))) return 'userunknown';
		// Microsoft's directory-based edge blocking answers a non-existent recipient this way.
		if (status === '5.4.1' && text.includes('recipient address rejected: access denied')) return 'userunknown';
		// After DATA the address was already accepted: words alone are a filter's answer (below).
		if (command !== 'DATA' && user) {
			// An addressing status (x.1.y) agreeing with the words, or a refusal at RCPT. ("Mailbox
			// disabled", x.2.1, is not enough: receivers use it for filters too.)
			if (status && /^[45]\.1\.\d+$/.test(status)) return 'userunknown';
			if (command === 'RCPT') return 'userunknown';
			// The final delivery agent itself (Sendmail's mail.local, Postfix's local) found no such user.
			if (LOCAL_AGENT_UNKNOWN.test(text)) return 'userunknown';
		}
	}
	if (statusReason === 'filtered' && (user || mentions('filtered', text))) return 'filtered';
	// "No such user" after DATA (or with no command or status to go by) is a filter's answer:
	// the address was accepted at RCPT. Sisimai calls it filtered, and so do we — never hard.
	if (!BEFORE_DATA.has(command ?? '') && (user || mentions('filtered', text))) return 'filtered';
	if (statusReason === 'requireptr' || mentions('requireptr', text)) return 'requireptr';
	if (mentions('notcompliantrfc', text)) return 'notcompliantrfc';
	if (mentions('badreputation', text)) return 'badreputation';
	if (statusReason === 'contenterror' && !mentions('spamdetected', text)) return 'contenterror';
	if (mentions('contenterror', text)) return 'contenterror';
	if (statusReason === 'rejected') return 'rejected';
	if (mentions('rejected', text) && !/recipient address rejected|5\.1\.0 address rejected/.test(text)) {
		if (command === 'MAIL' || (command === 'DATA' && statusReason !== 'userunknown') || !statusReason || VAGUE.has(statusReason)) return 'rejected';
	}
	if (statusReason === 'hostunknown' && !mentions('networkerror', text)) return 'hostunknown';
	// By the words alone only when they are not about our HELO name or sender domain
	// ("Helo command rejected: Host not found", "Sender address rejected: Domain not found").
	if (statusReason !== 'hostunknown' && mentions('hostunknown', text) && !mentions('networkerror', text) && !ABOUT_US.test(text)) {
		return 'hostunknown';
	}
	if (statusReason === 'spamdetected') return 'spamdetected';
	if (!BEFORE_DATA.has(command ?? '') && mentions('spamdetected', text)) return 'spamdetected';
	if (statusReason === 'speeding' || mentions('speeding', text)) return 'speeding';
	if (statusReason === 'toomanyconn' || mentions('toomanyconn', text)) return 'toomanyconn';
	if (statusReason === 'blocked' || mentions('blocked', text)) return 'blocked';
	return null;
}

/** Second pass: reasons only the wording tells, when the status is vague or absent. */
const SECOND_PASS: FailureReason[] = [
	'mailboxfull', 'authfailure', 'badreputation', 'speeding', 'spamdetected', 'virusdetected', 'policyviolation', 'norelaying',
	'systemerror', 'networkerror', 'suspend', 'contenterror', 'systemfull', 'notaccept', 'securityerror', 'mailererror', 'expired',
];

/**
 * One set of reason rules for every path: DSNs read by the classifier, synchronous refusals during
 * Bulk Send, and the bounces ESP webhooks report. Order of evidence: a reason the source states,
 * then the status with the diagnostic text (which wins where the status is vague), then the class
 * of the status or reply code. When nothing names a dead address the answer is never hard: a
 * missed hard bounce costs a retry, a false one loses a subscriber.
 */
export function classifyFailure(evidence: FailureEvidence): FailureVerdict {
	const reason = evidence.statedReason ?? reasonOf(evidence);
	return { reason, kind: kindOfReason(reason) };
}

function reasonOf(evidence: FailureEvidence): FailureReason {
	const status = normaliseStatus(evidence.status);
	const replyCode = evidence.replyCode === null || evidence.replyCode === undefined ? null : String(evidence.replyCode).trim() || null;
	// Addresses are taken out first: a mailbox named "policy@…" or "spam@…" says nothing.
	const text = (evidence.diagnostic ?? '').toLowerCase().replace(ADDRESS_LIKE, '<address>').replace(/\s+/g, ' ');
	const command = evidence.command ? evidence.command.toUpperCase() : null;
	const statusReason = status ? (STATUS_REASONS[status] ?? null) : null;

	const first = firstPass(text, status, statusReason, command, replyCode);
	if (first) return first;

	if (!statusReason || VAGUE.has(statusReason)) {
		for (const reason of SECOND_PASS) if (mentions(reason, text)) return reason;
	}
	if (statusReason) return statusReason;
	if (status?.startsWith('5.6') || status?.startsWith('4.6')) return 'contenterror';
	if (status?.startsWith('5.7') || status?.startsWith('4.7')) return 'securityerror';
	if (replyCode && /^(?:40[1-7]|50[1-7])$/.test(replyCode)) return 'syntaxerror';
	if (command === 'EHLO' || command === 'HELO') return 'blocked';
	if (replyCode === '521' || replyCode === '556') return 'notaccept';
	if (status?.startsWith('4.') || replyCode?.startsWith('4')) return text ? 'onhold' : 'expired';
	return text ? 'onhold' : 'undefined';
}

/** Words that put a "host/domain not found" on our side: our HELO name, client or sender domain. */
const ABOUT_US = /\b(?:helo|ehlo|client host|sender (?:address|domain)|mail from|envelope from|your (?:host|domain|hostname))\b/;
const LOCAL_AGENT_UNKNOWN = /\b(?:mail\.local|local|procmail|maildrop|deliver|lmtp|cyrus)\b[^.;]{0,20}: (?:unknown user|user unknown|no such user)\b|\bunknown user: "[^"]+"/;
const ADDRESS_LIKE = /[^\s<>()[\]"',;:]+@[a-z0-9.-]+/g;

function normaliseStatus(value: string | null | undefined): string | null {
	const match = value ? /([245])\.(\d{1,3})\.(\d{1,3})/.exec(value) : null;
	return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : null;
}
