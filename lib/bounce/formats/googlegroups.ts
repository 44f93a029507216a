/**
 * Google Groups refusing a post ("the group you tried to contact may not exist, or you may not
 * have permission to post"): the group is the failed recipient (X-Failed-Recipients) and the
 * refusal is about the sender's permission, so the reason is `rejected` — whatever the language.
 */
import { cleanAddress } from '../text';
import { squash } from '../text';
import type { FormatModule } from './types';

export const googleGroups: FormatModule = {
	name: 'googlegroups',
	read(mail) {
		const failed = cleanAddress((mail.headers.get('x-failed-recipients') ?? '').split(',')[0]);
		if (!failed || !/@googlegroups\.com$/i.test(failed) || !/google(?:mail)?\.com/.test(mail.from + (mail.headers.get('x-google-smtp-source') ?? 'x'))) return null;
		return {
			format: 'googlegroups',
			recipients: [{ address: failed, action: 'failed', status: null, replyCode: null, diagnostic: squash(mail.text.slice(0, 600)), command: null, reason: 'rejected' }],
		};
	},
};
