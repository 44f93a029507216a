/**
 * Standard delivery status notifications (RFC 3464): a `message/delivery-status` part with one
 * per-message block, then one block per recipient. The readable part often says more (the SMTP
 * command, the server's full reply), so a recipient without a diagnostic borrows it from there.
 */
import type { BounceMail } from '../mail';
import { parseHeaderBlock, type Headers } from '../mime';
import { cleanAddress, commandIn, consistent, replyCodeIn, squash, statusIn } from '../text';
import type { FormatModule, ReadRecipient } from './types';

const STATUS_PARTS = /^(?:message|text)\/(?:global-)?delivery-status$/;

/** Splits a delivery-status body into field blocks (blank-line separated). */
export function deliveryStatusBlocks(text: string): Headers[] {
	return text
		.replace(/\r\n?/g, '\n')
		.split(/\n[ \t]*\n/)
		.map((block) => block.trim())
		.filter((block) => block.length > 0)
		.map(parseHeaderBlock);
}

/** `smtp; 550 5.1.1 …` → `550 5.1.1 …`, and the diagnostic type (`smtp`, `x-unix`, …). */
export function splitDiagnostic(value: string | null): { type: string | null; text: string | null } {
	if (!value) return { type: null, text: null };
	const match = /^\s*([A-Za-z0-9-]+)\s*;\s*/.exec(value);
	if (!match) return { type: null, text: squash(value) };
	return { type: match[1].toLowerCase(), text: squash(value.slice(match[0].length)) };
}

/**
 * The lines of the readable text about one address: from where it is named to where the next
 * address line or the end of the paragraph comes.
 */
export function paragraphAbout(text: string, address: string): string | null {
	const lower = text.toLowerCase();
	const at = lower.indexOf(address.toLowerCase());
	if (at < 0) return null;
	const lineStart = lower.lastIndexOf('\n', at) + 1;
	const lines = text.slice(lineStart, lineStart + 3000).split('\n');
	const kept: string[] = [lines[0]];
	for (const line of lines.slice(1)) {
		// The next recipient's own line starts a new block.
		const other = /^\s*<?([^\s<>@]+@[^\s<>:;,()]+)>?\s*(?:[:(.]|$)/.exec(line);
		const otherAddress = other ? cleanAddress(other[1]) : null;
		if (otherAddress && otherAddress.toLowerCase() !== address.toLowerCase()) break;
		if (line.trim() === '' && kept.length > 1 && kept[kept.length - 1].trim() === '') break;
		kept.push(line);
	}
	// The lines just before often say which command was refused (a transcript, "…said:").
	const before = text.slice(Math.max(0, lower.lastIndexOf('\n\n', lineStart - 2)), lineStart);
	return `${before}${kept.join('\n')}`.trim();
}

export function readDeliveryStatus(mail: BounceMail, statusText: string): ReadRecipient[] {
	const blocks = deliveryStatusBlocks(statusText);
	const recipients: ReadRecipient[] = [];
	for (const block of blocks) {
		const address = cleanAddress(block.get('final-recipient')) ?? cleanAddress(block.get('original-recipient')) ?? cleanAddress(block.get('x-actual-recipient'));
		if (!address) continue;
		const { type, text } = splitDiagnostic(block.get('diagnostic-code'));
		const paragraph = paragraphAbout(mail.text, address);
		const fieldStatus = statusIn(block.get('status'));
		const textStatus = statusIn(text ?? paragraph);
		// `Status: 5.0.0` (or 5.1.0, 4.4.7) says less than the `550 5.1.1` the server wrote.
		const vague = !fieldStatus || /^\d\.\d\.0$|^4\.4\.7$/.test(fieldStatus);
		const status = vague ? (textStatus ?? fieldStatus) : fieldStatus;
		const diagnostic = text ?? squash(paragraph);
		const checked = consistent(status, replyCodeIn(text) ?? replyCodeIn(paragraph));
		recipients.push({
			address,
			action: (block.get('action') ?? '').toLowerCase().split(/[\s(]/)[0] || null,
			status: checked.status,
			replyCode: checked.replyCode,
			diagnostic,
			command: commandIn(paragraph) ?? commandIn(text),
			reason: type && type.startsWith('x-unix') ? 'mailererror' : null,
		});
	}
	return recipients;
}

/**
 * DSN fields written inline in the text (a report whose MIME structure was lost on the way,
 * or an MTA that writes them in the body): from the first Reporting-MTA or Final-Recipient.
 */
function inlineReport(text: string): string[] {
	if (!/^Final-Recipient:/im.test(text) || !/^Action:/im.test(text)) return [];
	const start = text.search(/^(?:Reporting-MTA|Original-Envelope-Id|Final-Recipient|Original-Recipient|Action):/im);
	return [text.slice(start)];
}

export const rfc3464: FormatModule = {
	name: 'rfc3464',
	read(mail) {
		const parts = mail.parts.filter((part) => STATUS_PARTS.test(part.type));
		const texts = parts.length > 0 ? parts.map((part) => part.text) : inlineReport(mail.text);
		if (texts.length === 0) return null;
		const recipients = texts.flatMap((text) => readDeliveryStatus(mail, text));
		return recipients.length > 0 ? { format: 'rfc3464', recipients } : null;
	},
};
