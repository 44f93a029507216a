/**
 * Mail servers that check a directory and say so in words of their own, with no SMTP reply to
 * quote: IBM Domino / Lotus Notes ("not listed in Domino Directory", "not listed in public Name
 * & Address Book"), Ipswitch IMail ("Unknown user:", "Invalid final delivery userid:") and the
 * McAfee / MXLogic appliances. Their wording means the address is not in the directory.
 */
import type { BounceMail } from '../mail';
import type { FailureReason } from '../types';
import { ownAddresses, plainRecipient, readPlainRecipients } from './plaintext';
import { rfc3464 } from './rfc3464';
import type { FormatModule } from './types';

const PHRASES: Array<[RegExp, FailureReason]> = [
	[/not listed in (?:the )?(?:Domino Directory|public Name & Address Book|Name and Address Book)/i, 'userunknown'],
	[/^\s*(?:Unknown user|Invalid final delivery userid)\s*:/im, 'userunknown'],
	[/User mailbox exceeds allowed size|mailbox (?:is )?full/i, 'mailboxfull'],
	[/Request failed or timed out|delivery (?:time )?expired/i, 'expired'],
];

function isDirectoryMailer(mail: BounceMail): boolean {
	const mailer = `${mail.headers.get('x-mailer') ?? ''} ${mail.headers.get('x-nai-header') ?? ''} ${mail.subject}`;
	return /<SMTP32 |IMail|McAfee|DELIVERY FAILURE|Lotus|Domino/i.test(mailer) || /Domino Directory|Name & Address Book/i.test(mail.text);
}

export const directoryMailers: FormatModule = {
	name: 'directory',
	read(mail) {
		if (!isDirectoryMailer(mail)) return null;
		const stated = (text: string) => PHRASES.find(([pattern]) => pattern.test(text))?.[1] ?? null;
		const base = rfc3464.read(mail);
		// McAfee's appliance answers at RCPT: its "550 Unknown user" is the directory's answer.
		const mcafee = /McAfee/i.test(mail.headers.get('x-nai-header') ?? '');
		if (base) {
			return { format: 'directory', recipients: base.recipients.map((recipient) => ({ ...recipient, command: recipient.command ?? (mcafee ? 'RCPT' : null), reason: recipient.reason ?? stated(recipient.diagnostic ?? '') })) };
		}
		const blocks = readPlainRecipients(mail.text, ownAddresses(mail));
		if (blocks.length === 0) return null;
		return { format: 'directory', recipients: blocks.map((block) => plainRecipient(block.address, block.text, stated(block.text) ?? stated(mail.text))) };
	},
};
