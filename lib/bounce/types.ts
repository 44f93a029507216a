/**
 * The bounce classifier's vocabulary. Reason names are Sisimai's (libsisimai.org), so figures can
 * be compared with the reference analyser; the kind says what a failure does to the subscriber.
 */

/** Reasons that mean the address itself is dead. */
export const HARD_REASONS = ['userunknown', 'hostunknown', 'hasmoved', 'notaccept'] as const;

/** Reasons on the recipient's side that may recover. */
export const SOFT_REASONS = [
	'mailboxfull',
	'exceedlimit',
	'systemfull',
	'suspend',
	'expired',
	'filtered',
	'mailererror',
	'systemerror',
	'networkerror',
	'onhold',
	'undefined',
] as const;

/** Reasons on our side (the sending IP, domain or message), never held against the address. */
export const SENDER_REASONS = [
	'blocked',
	'badreputation',
	'authfailure',
	'requireptr',
	'policyviolation',
	'spamdetected',
	'virusdetected',
	'contenterror',
	'mesgtoobig',
	'norelaying',
	'notcompliantrfc',
	'securityerror',
	'syntaxerror',
	'speeding',
	'toomanyconn',
	'rejected',
] as const;

export type HardReason = (typeof HARD_REASONS)[number];
export type SoftReason = (typeof SOFT_REASONS)[number];
export type SenderReason = (typeof SENDER_REASONS)[number];
export type FailureReason = HardReason | SoftReason | SenderReason;
/** Every reason the classifier reports: failures, plus a complaint, an auto-reply and a success. */
export type BounceReason = FailureReason | 'feedback' | 'vacation' | 'delivered';

/** What a failure does to the subscriber (see the README's reason → kind table). */
export type FailureKind = 'hard' | 'soft' | 'sender';
export type RecipientKind = FailureKind | 'complaint';

export type MessageType = 'bounce' | 'complaint' | 'auto-reply' | 'delayed' | 'delivered' | 'not-bounce';

/** What one SMTP failure is known by, wherever it was seen (a DSN, an SMTP reply, an ESP event). */
export interface FailureEvidence {
	/** Enhanced status such as `5.1.1`, when known. */
	status?: string | null;
	/** SMTP reply code such as `550`, when known. */
	replyCode?: string | number | null;
	/** The server's or the MTA's own words. */
	diagnostic?: string | null;
	/** The SMTP command that was answered (`RCPT`, `DATA`, `MAIL`, …), when known. */
	command?: string | null;
	/** A reason the source states itself (an ESP's bounce sub-type mapped to Sisimai's names). */
	statedReason?: FailureReason | null;
}

export interface FailureVerdict {
	reason: FailureReason;
	kind: FailureKind;
}

/** One failed (or, for complaints, complained-about) recipient of a classified message. */
export interface ClassifiedRecipient {
	address: string;
	kind: RecipientKind;
	reason: BounceReason;
	status: string | null;
	replyCode: string | null;
	diagnostic: string | null;
}

/** Headers of the returned original message, when the bounce quotes them (for matching). */
export interface OriginalMessage {
	messageId: string | null;
	/** Lower-cased header name → first value, for the headers the bounce quotes back. */
	headers: Record<string, string>;
}

export interface Classification {
	type: MessageType;
	recipients: ClassifiedRecipient[];
	/** The format module that read it (`rfc3464`, `qmail`, `arf`, …), for diagnostics. */
	format: string | null;
	/** The envelope recipient the bounce was delivered to (VERP), from Delivered-To/X-Original-To/Return-Path. */
	returnPath: string | null;
	original: OriginalMessage | null;
	/** Why a message was not read as a bounce, when type is `not-bounce`. */
	note?: string;
	/** Set when only part was read: the message was over 4 MB, or named over 5,000 recipients. */
	truncated?: boolean;
	/** The bounce's own Message-ID (without angle brackets) and Date header, when present. */
	messageId?: string | null;
	date?: string | null;
	/** Recipients a report names that did not fail (delayed, delivered, relayed, expanded). */
	outcomes?: RecipientOutcome[];
	/** The fields of an RFC 3464 `message/delivery-status` part, when the bounce has one. */
	report?: DeliveryReport;
}

export interface RecipientOutcome {
	address: string;
	action: 'delayed' | 'delivered' | 'relayed' | 'expanded';
	status: string | null;
	diagnostic: string | null;
}

/** Field names lower-cased; the first of a repeated field wins. */
export interface DeliveryReport {
	message: Record<string, string>;
	recipients: Array<Record<string, string>>;
}
