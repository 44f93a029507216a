import type { IDataObject } from 'n8n-workflow';

import { bounceOf, type SendResult } from '../../../lib/send';
import { withItemLabel } from '../../shared/nodeHelpers';

/** What item mode outputs per input item: `sent` and `suppressed` on output 1, the rest on 2. */
export type ItemStatus = 'sent' | 'suppressed' | 'failed' | 'unknown' | 'skipped' | 'invalid';

export interface RecipientInfo {
	to: string;
	subscriberId: string | null;
	campaignId: string | null;
}

/** The output JSON of one send result; errors name the item (1-based). */
export function resultJson(
	result: SendResult,
	recipient: RecipientInfo,
	itemIndex: number,
): IDataObject {
	const json: IDataObject = {
		status: result.status,
		to: recipient.to,
		subscriberId: recipient.subscriberId,
		campaignId: recipient.campaignId,
		messageId: result.messageId,
		accepted: result.accepted,
		rejected: result.rejected,
		response: result.response,
		attempts: result.attempts,
	};
	if (result.error) {
		json.error = withItemLabel(itemIndex, result.error.message);
		json.errorKind = result.error.kind;
		json.responseCode = result.error.responseCode;
		json.enhancedStatus = result.error.enhancedStatus;
		json.smtpCommand = result.error.command;
		const bounce = bounceOf(result);
		if (bounce) {
			json.bounce = bounce.kind;
			json.bounceReason = bounce.reason;
		}
	}
	return json;
}

export function notSentJson(
	status: 'suppressed' | 'invalid',
	recipient: Partial<RecipientInfo>,
	itemIndex: number,
	reason: string,
): IDataObject {
	const json: IDataObject = {
		status,
		to: recipient.to ?? null,
		subscriberId: recipient.subscriberId ?? null,
		campaignId: recipient.campaignId ?? null,
		messageId: null,
		accepted: [],
		rejected: [],
		response: null,
		attempts: 0,
	};
	if (status === 'suppressed') json.reason = `Not sent: ${reason}`;
	else json.error = withItemLabel(itemIndex, reason);
	return json;
}
