/**
 * Unsubscribe requests mailed by the recipient's client to a List-Unsubscribe `mailto:` address
 * (RFC 2369; e.g. Apple Mail's "… sent this email to unsubscribe from the message …"). They are
 * the subscriber asking to stop, so they are read as a complaint about the From address (which
 * is what the complaint path does: suppress), never as an auto-reply.
 */
import { addressOf } from '../mail';
import type { FormatModule } from './types';

export const unsubscribeRequest: FormatModule = {
	name: 'unsubscribe',
	read(mail) {
		if (!/^\s*unsubscribe\b/i.test(mail.subject) || !/\bunsubscribe\b/i.test(mail.text)) return null;
		if (/mailer-daemon|postmaster/i.test(mail.from)) return null;
		const address = addressOf(mail.headers.get('from'));
		if (!address) return null;
		return {
			format: 'unsubscribe',
			type: 'complaint',
			recipients: [{ address, action: null, status: null, replyCode: null, diagnostic: 'unsubscribe request (List-Unsubscribe mailto)', command: null }],
		};
	},
};
