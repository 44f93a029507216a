/**
 * PowerMTA: standard DSNs whose recipient blocks add `X-PowerMTA-BounceCategory`, PowerMTA's
 * own classification of the refusal. Where it names a reason outright, that is the reason.
 */
import type { FailureReason } from '../types';
import { deliveryStatusBlocks, rfc3464 } from './rfc3464';
import type { FormatModule } from './types';

const CATEGORIES: Record<string, FailureReason> = {
	'bad-mailbox': 'userunknown',
	'bad-domain': 'hostunknown',
	'inactive-mailbox': 'suspend',
	'quota-issues': 'mailboxfull',
	'spam-related': 'spamdetected',
	'policy-related': 'policyviolation',
	'virus-related': 'virusdetected',
	'content-related': 'contenterror',
	'message-expired': 'expired',
	'no-answer-from-host': 'expired',
	'relaying-issues': 'norelaying',
	'bad-connection': 'networkerror',
	'routing-errors': 'systemerror',
	'protocol-errors': 'systemerror',
	'bad-configuration': 'systemerror',
};

export const powerMta: FormatModule = {
	name: 'powermta',
	read(mail) {
		const report = mail.parts.find((part) => /delivery-status$/.test(part.type) && /^X-PowerMTA-BounceCategory:/im.test(part.text));
		if (!report) return null;
		const result = rfc3464.read(mail);
		if (!result) return null;
		const categories = deliveryStatusBlocks(report.text)
			.filter((block) => block.has('final-recipient') || block.has('original-recipient'))
			.map((block) => (block.get('x-powermta-bouncecategory') ?? '').toLowerCase());
		return {
			format: 'powermta',
			recipients: result.recipients.map((recipient, index) => ({ ...recipient, reason: recipient.reason ?? CATEGORIES[categories[index] ?? ''] ?? null })),
		};
	},
};
