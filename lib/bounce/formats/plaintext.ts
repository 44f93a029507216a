/**
 * Plain-text bounces from MTAs that write no delivery-status part (qmail, Exim, older Sendmail
 * and Postfix, Exchange, Courier, Domino, many appliances): each failed address stands on a
 * line of its own, or in an SMTP transcript, followed by the server's words. This is the last
 * bounce reader, and only for mail that looks like a bounce.
 */
import { addressOf, type BounceMail } from '../mail';
import { addressesIn, cleanAddress, commandIn, consistent, isSystemAddress, replyCodeIn, squash, statusIn } from '../text';
import type { FormatModule, ReadRecipient } from './types';

const BOUNCE_SUBJECT =
	/undeliver|undelivered|delivery (?:status )?(?:notification|failure|failed|has failed|problem|error)|returned mail|mail delivery failed|failure notice|delivery failure|failed delivery|could not be delivered|non-?deliver|mail system error|error sending|returning message|delivery report|rejected|bounce|not delivered|permanent error|message status|failed mail|warning: message|delayed mail|delivery notification|error.*mail|mail.*error|loop alert|notice/i;
const DAEMON_FROM = /mailer[-_ ]?daemon|postmaster|post_master|mail delivery|mail administrator|system administrator|mmsc|sysadmin|mail\.delivery|<>|^\s*$/i;
const BOUNCE_WORDS =
	/could not be delivered|couldn't be delivered|was not delivered|wasn't able to deliver|unable to deliver|delivery (?:has )?failed|failed (?:to deliver|permanently)|permanent (?:error|fatal)|the following address(?:es)? (?:had|failed)|undeliverable|did not reach|error (?:occurred|was encountered)|could not deliver|user unknown|not be delivered|returned to sender|delivery to the following recipient|message you sent|unknown user|giving up|no such user|配信できませんでした|送信できませんでした|届きませんでした|宛先|エラー/i;

export function looksLikeBounce(mail: BounceMail): boolean {
	const fromDaemon = DAEMON_FROM.test(mail.from);
	const subject = BOUNCE_SUBJECT.test(mail.subject);
	const words = BOUNCE_WORDS.test(mail.text);
	return (fromDaemon && (subject || words)) || (subject && words) || (mail.headers.get('return-path')?.trim() === '<>' && subject);
}

/** A line that is mostly one address: `<user@host>:`, `  user@host`, `RCPT To:<user@host>`, … */
function recipientOnLine(line: string, skip: Set<string>): string | null {
	const found = addressesIn(line);
	if (found.length === 0) return null;
	for (const candidate of found) {
		const address = cleanAddress(candidate);
		if (!address || skip.has(address.toLowerCase()) || isSystemAddress(address)) continue;
		const rest = line
			.replace(candidate, '')
			.replace(/(?:RCPT TO|Final-Recipient|Original-Recipient|recipient|to|for|address|user|mailbox)\s*:?/gi, '')
			.replace(/[<>()[\]"':;,.\s-]+/g, ' ')
			.trim();
		const transcript = /^(?:>>>|RCPT TO|rcpt to)/i.test(line.trim());
		const dated = /\bon (?:\w{3}, )?\d{1,2} \w{3} \d{4}|\bon \w{3}, /i.test(line);
		if (rest.length <= 24 || transcript || dated || /^\s*<[^>]+>\s*[:.]?/.test(line) || /^\s*\S+@\S+\s*[:.]?\s*$/.test(line)) return address;
		// "The following address failed: user@host" and similar headings with the address last.
		if (/[:>]\s*<?[^\s<>]+@[^\s<>]+>?\s*[:.]?\s*$/.test(line) && rest.length <= 80) return address;
	}
	return null;
}

/** The addresses a plain-text bounce reports, each with the lines that follow it. */
export function readPlainRecipients(text: string, skip: Set<string>): Array<{ address: string; text: string }> {
	const lines = text.split('\n');
	const blocks = new Map<string, string[]>();
	let current: string[] | null = null;
	for (const line of lines) {
		const address = recipientOnLine(line, skip);
		if (address) {
			const key = address.toLowerCase();
			current = blocks.get(key) ?? [];
			if (!blocks.has(key)) blocks.set(key, current);
			current.push(line);
			continue;
		}
		if (current && current.length < 40) current.push(line);
	}
	return [...blocks.entries()].map(([, blockLines]) => ({ address: cleanAddress(addressesIn(blockLines[0]).find((a) => !skip.has(a.toLowerCase()) && !isSystemAddress(a)) ?? '') ?? '', text: blockLines.join('\n') })).filter((block) => block.address);
}

export function plainRecipient(address: string, text: string, reason?: ReadRecipient['reason']): ReadRecipient {
	const diagnostic = squash(text);
	const checked = consistent(statusIn(diagnostic), replyCodeIn(text));
	return { address, action: 'failed', status: checked.status, replyCode: checked.replyCode, diagnostic, command: commandIn(text), reason: reason ?? null };
}

/** Addresses never taken for a failed recipient: the bounce's own sender and receiver. */
export function ownAddresses(mail: BounceMail): Set<string> {
	const skip = new Set<string>();
	for (const name of ['from', 'to', 'reply-to', 'delivered-to', 'x-original-to', 'return-path', 'sender']) {
		const address = addressOf(mail.headers.get(name));
		if (address) skip.add(address.toLowerCase());
	}
	const originalFrom = addressOf(mail.original?.get('from') ?? null);
	if (originalFrom) skip.add(originalFrom.toLowerCase());
	return skip;
}

export const plainText: FormatModule = {
	name: 'plaintext',
	read(mail) {
		if (!looksLikeBounce(mail)) return null;
		const skip = ownAddresses(mail);
		let blocks = readPlainRecipients(mail.text, skip);
		if (blocks.length === 0) {
			// Nothing on a line of its own: the original's To is the failed address.
			const address = addressOf(mail.original?.get('to') ?? null) ?? addressesIn(mail.text).map(cleanAddress).find((a): a is string => !!a && !skip.has(a.toLowerCase()) && !isSystemAddress(a)) ?? null;
			if (!address) return null;
			blocks = [{ address, text: mail.text }];
		}
		return { format: 'plaintext', recipients: blocks.map((block) => plainRecipient(block.address, block.text)) };
	},
};
