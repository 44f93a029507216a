import type { BounceMail } from '../mail';
import type { FailureReason, MessageType } from '../types';

/** One recipient as a format module reads it, before the reason rules run. */
export interface ReadRecipient {
	address: string;
	/** DSN Action (`failed`, `delayed`, `delivered`, `relayed`, `expanded`), when stated. */
	action: string | null;
	status: string | null;
	replyCode: string | null;
	diagnostic: string | null;
	command: string | null;
	/** A reason the format states itself (a provider's own bounce type, a mailer's exit). */
	reason?: FailureReason | null;
}

export interface FormatResult {
	format: string;
	/** Set when the module knows the type outright (a complaint, an auto-reply, a delay notice). */
	type?: MessageType;
	recipients: ReadRecipient[];
}

/** One format family, as Sisimai has one module per MTA or provider. */
export interface FormatModule {
	name: string;
	read(mail: BounceMail): FormatResult | null;
}
