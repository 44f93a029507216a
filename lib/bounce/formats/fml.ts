/**
 * fml (a mailing-list manager): its error notices to a poster ("Duplicated Message-ID in
 * <list@…>", "you are not a member"), marked with `X-MLServer: fml`. The failed recipient is the
 * list's address.
 */
import { addressesIn, cleanAddress, squash } from '../text';
import type { FailureReason } from '../types';
import type { FormatModule } from './types';

const NOTICES: Array<[RegExp, FailureReason]> = [
	[/duplicated message-id|loop alert|mail loop/i, 'systemerror'],
	[/not (?:a )?member|members? only|not allowed to post|rejected.*post/i, 'rejected'],
	[/too (?:big|large)|exceeds .*size/i, 'mesgtoobig'],
];

export const fml: FormatModule = {
	name: 'fml',
	read(mail) {
		if (!/^fml\b/i.test(mail.headers.get('x-mlserver') ?? '')) return null;
		const notice = NOTICES.find(([pattern]) => pattern.test(`${mail.subject}\n${mail.text}`));
		if (!notice) return null;
		const named = /<([^<>\s]+@[^<>\s]+)>/.exec(mail.text)?.[1] ?? addressesIn(mail.text)[0] ?? mail.headers.get('x-ml-name') ?? null;
		const address = cleanAddress(named);
		if (!address) return null;
		return { format: 'fml', recipients: [{ address, action: 'failed', status: null, replyCode: null, diagnostic: squash(`${mail.subject} ${mail.text.slice(0, 300)}`), command: null, reason: notice[1] }] };
	},
};
