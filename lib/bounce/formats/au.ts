/**
 * au by KDDI (ezweb.ne.jp, au.com, dion.ne.jp / au one net): the carrier's own error notices,
 * whose English explanation line says more than the SMTP reply they quote ("550 user unknown"
 * is also what a suspended line answers).
 */
import type { BounceMail } from '../mail';
import type { FailureReason } from '../types';
import { plainRecipient, readPlainRecipients, ownAddresses } from './plaintext';
import { rfc3464 } from './rfc3464';
import type { FormatModule } from './types';

const EXPLANATIONS: Array<[RegExp, FailureReason]> = [
	[/account is disabled|account has been suspended|is suspended/i, 'suspend'],
	[/mailbox is full|their mailbox is full|exceeded.*quota/i, 'mailboxfull'],
	[/rejected by (?:the )?domain filter|was rejected by a remote mail server|refused.*filter|受信拒否/i, 'filtered'],
	[/could not be delivered for|delivery (?:time )?expired|retry time/i, 'expired'],
	[/user(?:\(s\))? (?:account )?(?:is )?(?:not found|unknown|does not exist)/i, 'userunknown'],
];

function isAu(mail: BounceMail): boolean {
	return /@(?:[\w-]+\.)*(?:ezweb\.ne\.jp|au\.com|dion\.ne\.jp|auone-net\.jp)\b/.test(mail.from) || /by [\w.-]*ezweb\.ne\.jp|\(EZweb Mail\)/i.test(mail.headers.getAll('received').join('\n'));
}

function explanation(text: string): FailureReason | null {
	for (const [pattern, reason] of EXPLANATIONS) if (pattern.test(text)) return reason;
	return null;
}

export const au: FormatModule = {
	name: 'au',
	read(mail) {
		if (!isAu(mail)) return null;
		const stated = explanation(mail.text);
		const base = rfc3464.read(mail);
		if (base) return { format: 'au', recipients: base.recipients.map((recipient) => ({ ...recipient, reason: recipient.reason ?? stated })) };
		const blocks = readPlainRecipients(mail.text, ownAddresses(mail));
		if (blocks.length === 0) return null;
		return { format: 'au', recipients: blocks.map((block) => plainRecipient(block.address, block.text, explanation(block.text) ?? stated)) };
	},
};
