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
	/undeliver|undelivered|delivery (?:status )?(?:notification|failure|failed|has failed|problem|error)|returned mail|mail delivery failed|failure notice|delivery failure|failed delivery|could not be delivered|non-?deliver|mail system error|error sending|returning message|delivery report|smtp server: errors from|エラー|不達|配信|返送|送信できません|rejected|bounce|not delivered|permanent error|message status|failed mail|warning: message|delayed mail|delivery notification|error.*mail|mail.*error|loop alert|notice/i;
const DAEMON_FROM = /mailer[-_ ]?daemon|postmaster|post_master|mail delivery|mail administrator|system administrator|mmsc|sysadmin|mail\.delivery|<>|^\s*$/i;
const BOUNCE_WORDS =
	/could not be delivered|couldn't be delivered|was not delivered|wasn't able to deliver|unable to deliver|delivery (?:has )?failed|failed (?:to deliver|permanently)|permanent (?:error|fatal)|the following address(?:es)? (?:had|failed)|undeliverable|did not reach|error (?:occurred|was encountered)|could not deliver|user unknown|not be delivered|returned to sender|delivery to the following recipient|message you sent|unknown user|giving up|no such user|配信できませんでした|送信できませんでした|届きませんでした|宛先|エラー/i;

export function looksLikeBounce(mail: BounceMail): boolean {
	const fromDaemon = DAEMON_FROM.test(mail.from);
	const subject = BOUNCE_SUBJECT.test(mail.subject);
	const words = BOUNCE_WORDS.test(mail.text);
	return (fromDaemon && (subject || words)) || (subject && words) || (mail.headers.get('return-path')?.trim() === '<>' && subject);
}

/** Lines that quote the original's headers or ids, never a failed-recipient line. */
const HEADER_LINE = /^\s*(?:to|from|cc|bcc|subject|date|sent|received|message-id|references|in-reply-to|return-path|reply-to|sender|for)\s*[:<]/i;

/**
 * A line that reports one address: `<user@host>:`, `  user@host`, `user@host: 550 …`,
 * `RCPT To:<user@host>`, `user@host on <date>`, or a heading ending with the address.
 */
function recipientOnLine(line: string, skip: Set<string>): string | null {
	if (HEADER_LINE.test(line)) return null;
	const found = addressesIn(line);
	if (found.length === 0) return null;
	for (const candidate of found) {
		const address = cleanAddress(candidate);
		if (!address || isSystemAddress(address)) continue;
		const trimmed = line.trim();
		const before = trimmed.slice(0, trimmed.indexOf(candidate));
		const after = trimmed.slice(trimmed.indexOf(candidate) + candidate.length);
		// "550 5.2.0 <sender@…> From: …" names the sender in a reply, not a failed recipient.
		if (/^>?\s*(?:From|Sender):/i.test(after)) continue;
		const leading = /^[<*\-\s"'(]*$/.test(before);
		const replyLine = /^\d{3}[ -](?:\d\.\d{1,3}\.\d{1,3} )?[<\s"']*$/.test(before) && !skip.has(address.toLowerCase());
		const transcript = /^(?:>>>\s*|In:\s+)?RCPT TO/i.test(trimmed);
		const trailing = /<?[^\s<>()]+@[^\s<>()]+>?\s*[:.]?\s*$/.test(trimmed) && trimmed.length <= 160;
		// A line that starts with the address is a report line even when it names the sender
		// itself (a message to oneself); a heading that merely ends with one is not.
		if (leading || transcript || replyLine) return address;
		if (trailing && !skip.has(address.toLowerCase())) return address;
	}
	return null;
}

/** The addresses a plain-text bounce reports, each with the lines that follow it. */
export function readPlainRecipients(text: string, skip: Set<string>): Array<{ address: string; text: string }> {
	const lines = text.split('\n');
	const blocks = new Map<string, string[]>();
	const addresses = new Map<string, string>();
	let current: string[] | null = null;
	lines.forEach((line, index) => {
		const address = recipientOnLine(line, skip);
		if (address) {
			const key = address.toLowerCase();
			current = blocks.get(key) ?? [];
			if (!blocks.has(key)) {
				blocks.set(key, current);
				addresses.set(key, address);
			}
			// A transcript's reply just above the summary line belongs to this address.
			for (let back = index - 1; back >= 0 && back >= index - 3 && /^\s*<<< /.test(lines[back]); back--) current.push(lines[back]);
			current.push(line);
			return;
		}
		if (!current || current.length >= 40) return;
		// Another reply-code summary line ("550 host (smtp)... Host unknown") starts someone else's block.
		if (/^\d{3}[ -]/.test(line.trim()) && current.some((kept) => /^\s*\d{3}[ -]/.test(kept))) {
			current = null;
			return;
		}
		current.push(line);
	});
	return [...blocks.entries()].map(([key, blockLines]) => ({ address: addresses.get(key) as string, text: blockLines.join('\n') }));
}

/** The text around an address, or the whole bounce text when it is not named. */
function paragraphNaming(text: string, address: string): string {
	const at = text.toLowerCase().indexOf(address.toLowerCase());
	return at < 0 ? text : text.slice(at, at + 1500);
}

export function plainRecipient(address: string, text: string, reason?: ReadRecipient['reason']): ReadRecipient {
	const diagnostic = squash(text);
	const checked = consistent(statusIn(diagnostic), replyCodeIn(text));
	return { address, action: 'failed', status: checked.status, replyCode: checked.replyCode, diagnostic, command: commandIn(text), reason: reason ?? null };
}

/** Addresses never taken for a failed recipient: the bounce's own sender and receiver. */
export function ownAddresses(mail: BounceMail): Set<string> {
	const skip = new Set<string>();
	for (const name of ['from', 'to', 'reply-to', 'sender']) {
		const address = addressOf(mail.headers.get(name));
		if (address) skip.add(address.toLowerCase());
	}
	for (const name of ['from', 'return-path', 'sender']) {
		const address = addressOf(mail.original?.get(name) ?? null);
		if (address) skip.add(address.toLowerCase());
	}
	return skip;
}

export const plainText: FormatModule = {
	name: 'plaintext',
	read(mail) {
		if (!looksLikeBounce(mail)) return null;
		const skip = ownAddresses(mail);
		let blocks = readPlainRecipients(mail.text, skip);
		// Exim and Google name the failed addresses in a header: keep those, in that order.
		const failed = (mail.headers.get('x-failed-recipients') ?? '').split(',').map(cleanAddress).filter((a): a is string => !!a);
		if (failed.length > 0) {
			const byAddress = new Map(blocks.map((block) => [block.address.toLowerCase(), block]));
			blocks = failed.map((address) => byAddress.get(address.toLowerCase()) ?? { address, text: paragraphNaming(mail.text, address) });
		}
		if (blocks.length === 0) {
			// Nothing on a line of its own: an address in the text, else the original's To.
			const inText = addressesIn(mail.text.split('\n').filter((line) => !HEADER_LINE.test(line)).join('\n'))
				.map(cleanAddress)
				.find((a): a is string => !!a && !skip.has(a.toLowerCase()) && !isSystemAddress(a));
			const address = inText ?? addressOf(mail.original?.get('to') ?? null);
			if (!address) return null;
			blocks = [{ address, text: mail.text }];
		}
		return { format: 'plaintext', recipients: blocks.map((block) => plainRecipient(block.address, block.text)) };
	},
};
