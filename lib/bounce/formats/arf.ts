/**
 * Complaint reports: ARF (RFC 5965, `multipart/report; report-type=feedback-report`) and the
 * feedback-loop mails that follow it loosely. The complained-about address is Original-Rcpt-To,
 * else the To of the returned message.
 */
import { addressOf, type BounceMail } from '../mail';
import { parseHeaderBlock } from '../mime';
import { cleanAddress } from '../text';
import type { FormatModule } from './types';

function isFeedbackReport(mail: BounceMail): boolean {
	const type = (mail.headers.get('content-type') ?? '').toLowerCase();
	if (/report-type\s*=\s*"?feedback-report/.test(type)) return true;
	if (mail.parts.some((part) => part.type === 'message/feedback-report')) return true;
	// Feedback loops that skip the report part (JMRP-style "complaint about message from …").
	return /^(?:complaint about message from|abuse report|email feedback report)/i.test(mail.subject) && mail.original !== null;
}

export const arf: FormatModule = {
	name: 'arf',
	read(mail) {
		if (!isFeedbackReport(mail)) return null;
		const report = mail.parts.find((part) => part.type === 'message/feedback-report');
		const fields = report ? parseHeaderBlock(report.text.trim()) : null;
		const address =
			cleanAddress(fields?.get('original-rcpt-to')) ??
			cleanAddress(fields?.get('removal-recipient')) ??
			addressOf(mail.original?.get('to') ?? null);
		const feedbackType = fields?.get('feedback-type') ?? null;
		return {
			format: 'arf',
			type: 'complaint',
			recipients: address
				? [{ address, action: null, status: null, replyCode: null, diagnostic: feedbackType ? `feedback-type: ${feedbackType}` : null, command: null }]
				: [],
		};
	},
};
