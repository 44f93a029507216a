/**
 * Amazon SES: notifications e-mailed by SNS (a JSON body with `notificationType` Bounce,
 * Complaint or Delivery), and bounces from SES inbound (receipt rules reject after accepting the
 * message, so every refusal there came after DATA).
 */
import type { BounceMail } from '../mail';
import { cleanAddress, consistent, replyCodeIn, squash, statusIn } from '../text';
import type { FailureReason } from '../types';
import { rfc3464 } from './rfc3464';
import type { FormatModule, FormatResult, ReadRecipient } from './types';

/** SES bounce sub-types that name a reason themselves. */
const SUBTYPE_REASONS: Record<string, FailureReason> = {
	NoEmail: 'userunknown',
	Suppressed: 'filtered',
	OnAccountSuppressionList: 'filtered',
	MailboxFull: 'mailboxfull',
	MessageTooLarge: 'mesgtoobig',
	ContentRejected: 'contenterror',
	AttachmentRejected: 'policyviolation',
};

interface SesRecipient {
	emailAddress?: unknown;
	action?: unknown;
	status?: unknown;
	diagnosticCode?: unknown;
}

function notificationOf(mail: BounceMail): Record<string, unknown> | null {
	if (!/amazonaws\.com|amazonses\.com/.test(mail.from) && !mail.headers.has('x-amz-sns-message-type')) return null;
	const start = mail.fullText.indexOf('{"');
	if (start < 0) return null;
	const end = mail.fullText.lastIndexOf('}');
	try {
		// Mailers wrap the JSON line; the breaks carry no meaning inside it.
		const parsed: unknown = JSON.parse(mail.fullText.slice(start, end + 1).replace(/\r?\n/g, ''));
		if (parsed && typeof parsed === 'object' && 'notificationType' in parsed) return parsed as Record<string, unknown>;
		// An SNS envelope: the notification is a JSON string in "Message".
		const message = (parsed as Record<string, unknown>)?.Message;
		if (typeof message === 'string') return JSON.parse(message) as Record<string, unknown>;
	} catch {
		return null;
	}
	return null;
}

function fromNotification(note: Record<string, unknown>): FormatResult | null {
	const kind = String(note.notificationType ?? note.eventType ?? '');
	const section = (note[kind.toLowerCase()] ?? {}) as Record<string, unknown>;
	if (kind === 'Complaint') {
		const list = (section.complainedRecipients ?? []) as SesRecipient[];
		const address = cleanAddress(typeof list[0]?.emailAddress === 'string' ? list[0].emailAddress : null);
		const type = typeof section.complaintFeedbackType === 'string' ? `feedback-type: ${section.complaintFeedbackType}` : null;
		return { format: 'amazonses', type: 'complaint', recipients: address ? [{ address, action: null, status: null, replyCode: null, diagnostic: type, command: null }] : [] };
	}
	if (kind === 'Delivery') {
		const list = (section.recipients ?? []) as unknown[];
		return { format: 'amazonses', recipients: list.map((value) => cleanAddress(typeof value === 'string' ? value : null)).filter((a): a is string => !!a).map((address) => ({ address, action: 'delivered', status: '2.0.0', replyCode: null, diagnostic: null, command: null })) };
	}
	if (kind !== 'Bounce') return null;
	const subtype = String(section.bounceSubType ?? '');
	const recipients: ReadRecipient[] = [];
	for (const entry of (section.bouncedRecipients ?? []) as SesRecipient[]) {
		const address = cleanAddress(typeof entry.emailAddress === 'string' ? entry.emailAddress : null);
		if (!address) continue;
		const diagnostic = squash(typeof entry.diagnosticCode === 'string' ? entry.diagnosticCode.replace(/^\s*smtp\s*;\s*/i, '') : null);
		const checked = consistent(statusIn(typeof entry.status === 'string' ? entry.status : diagnostic), replyCodeIn(diagnostic));
		recipients.push({ address, action: 'failed', ...checked, diagnostic, command: null, reason: SUBTYPE_REASONS[subtype] ?? null });
	}
	return { format: 'amazonses', recipients };
}

export const amazonSes: FormatModule = {
	name: 'amazonses',
	read(mail) {
		const note = notificationOf(mail);
		return note ? fromNotification(note) : null;
	},
};

/**
 * SES inbound: `Reporting-MTA: dns; inbound-smtp.<region>.amazonaws.com`. Its refusals come from
 * the receiving domain's receipt rules (a Bounce action with a reply the owner chose), after the
 * message was accepted: a filter, not proof the mailbox is gone.
 */
export const receivingSes: FormatModule = {
	name: 'receivingses',
	read(mail) {
		const report = mail.parts.find((part) => /delivery-status$/.test(part.type));
		if (!report || !/reporting-mta:\s*dns;\s*inbound-smtp\.[\w.-]*amazonaws\.com/i.test(report.text)) return null;
		const result = rfc3464.read(mail);
		if (!result) return null;
		return {
			format: 'receivingses',
			recipients: result.recipients.map((recipient) => ({
				...recipient,
				command: recipient.command ?? 'DATA',
				reason: recipient.reason ?? (/^5\.1\.\d+$/.test(recipient.status ?? '') ? 'filtered' : null),
			})),
		};
	},
};
