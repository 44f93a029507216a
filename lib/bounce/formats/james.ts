/**
 * Apache James and the gateways built on it (carrier MMS gateways such as vtext.com): "Error
 * message below:" with the remote reply, then "Message details:" naming the envelope
 * (`RCPT TO: user@host`).
 */
import { cleanAddress } from '../text';
import { plainRecipient } from './plaintext';
import type { FormatModule } from './types';

export const apacheJames: FormatModule = {
	name: 'apachejames',
	read(mail) {
		const error = /^Error message below:\s*\n([\s\S]*?)(?:\n\s*\n|\nMessage details:)/im.exec(mail.text);
		const rcpt = /^\s*RCPT TO:\s*<?([^\s<>]+@[^\s<>]+)>?/im.exec(mail.text);
		const address = rcpt ? cleanAddress(rcpt[1]) : null;
		if (!error || !address) return null;
		const heading = /^Error:\s*(.+)$/im.exec(mail.text)?.[1] ?? '';
		return { format: 'apachejames', recipients: [plainRecipient(address, `${heading}\n${error[1]}`)] };
	},
};
