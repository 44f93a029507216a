/**
 * Gmail's own bounces (mailer-daemon@googlemail.com, plain text): "Delivery to the following
 * recipient failed permanently", Google's explanation, then "The error that the other server
 * returned was:" with the remote reply, which is the diagnostic when present.
 */
import type { FailureReason } from '../types';
import { ownAddresses, plainRecipient, readPlainRecipients } from './plaintext';
import type { FormatModule } from './types';

/** Google's explanations when there is no remote reply to go by. */
const EXPLANATIONS: Array<[RegExp, FailureReason]> = [
	[/did not accept our requests to connect|could not connect|unable to connect|connection timed out/i, 'expired'],
	[/domain .* couldn't be found|dns (?:error|lookup)|domain name not found/i, 'hostunknown'],
	[/message was too large/i, 'mesgtoobig'],
	[/account .* does not exist|no such user|address couldn't be found/i, 'userunknown'],
	[/mailbox is full|over quota/i, 'mailboxfull'],
];

export const gmail: FormatModule = {
	name: 'gmail',
	read(mail) {
		if (!/mailer-daemon@(?:google(?:mail)?\.com|gmail\.com)/.test(mail.from) || !/Technical details of (?:permanent|temporary) failure/i.test(mail.text)) return null;
		const delayed = /temporary failure|will be retried|\(Delay\)/i.test(`${mail.subject}\n${mail.text}`);
		const remote = /The error that the other server returned was:\s*([\s\S]+?)(?:\n\s*\n|$)/i.exec(mail.text)?.[1] ?? null;
		const blocks = readPlainRecipients(mail.text.split(/Technical details of/i)[0], ownAddresses(mail));
		if (blocks.length === 0) return null;
		const explanation = mail.text.split(/Technical details of/i)[1] ?? '';
		const stated = remote ? null : (EXPLANATIONS.find(([pattern]) => pattern.test(explanation))?.[1] ?? null);
		return {
			format: 'gmail',
			type: delayed ? 'delayed' : undefined,
			recipients: blocks.map((block) => ({ ...plainRecipient(block.address, remote ?? explanation, stated), action: delayed ? 'delayed' : 'failed' })),
		};
	},
};
