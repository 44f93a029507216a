/**
 * Microsoft Exchange 2000/2003 and other X.400-flavoured NDRs: "did not reach the following
 * recipient(s)", each address followed by a fixed description of the failure.
 */
import type { FailureReason } from '../types';
import { ownAddresses, plainRecipient, readPlainRecipients } from './plaintext';
import type { FormatModule } from './types';

/** Exchange's own descriptions (they come from its X.400 non-delivery diagnostics). */
const DESCRIPTIONS: Array<[RegExp, FailureReason]> = [
	[/recipient name is not recognized|e-?mail account does not exist at the organization|not listed in the (?:global )?address list/i, 'userunknown'],
	[/destination (?:e-?mail )?system is unknown|recipient's (?:e-?mail )?domain .* does not exist/i, 'hostunknown'],
	[/recipient'?s? mailbox is full|mailbox (?:is )?(?:over|full)/i, 'mailboxfull'],
	[/message (?:is )?too large|exceeds the maximum size/i, 'mesgtoobig'],
	[/could not be delivered .* (?:time|expired)|delivery (?:time )?expired|timed out/i, 'expired'],
	[/no permission to send|not authorized to send|restricted/i, 'securityerror'],
];

export const exchange2003: FormatModule = {
	name: 'exchange2003',
	read(mail) {
		if (!/did not reach the following recipient|could not be delivered to the following recipient/i.test(mail.text)) return null;
		const start = mail.text.search(/did not reach the following recipient|could not be delivered to the following recipient/i);
		const section = mail.text.slice(start).replace(/^[^\n]*\n/, '');
		const blocks = readPlainRecipients(section, ownAddresses(mail));
		if (blocks.length === 0) return null;
		return {
			format: 'exchange2003',
			recipients: blocks.map((block) => {
				const stated = DESCRIPTIONS.find(([pattern]) => pattern.test(block.text))?.[1] ?? null;
				return plainRecipient(block.address, block.text, stated);
			}),
		};
	},
};
