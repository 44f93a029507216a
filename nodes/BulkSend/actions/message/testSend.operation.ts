/** Message → Test Send: the first input item's message as a proof to a few addresses. */
import type { INodeProperties } from 'n8n-workflow';

import { PROOF_HEADER, type ComposedMessage } from '../../../../lib/compose';
import { CORRELATION_HEADERS } from '../../../../lib/events';
import { itemError } from '../../../shared/nodeHelpers';
import { parseProofRecipients, proofFields, sendProofs } from '../proofs';
import type { NodeOutput, OperationContext } from '../resources';
import { readMessage } from './send.operation';

export const description: INodeProperties[] = proofFields('message');

/** Headers that tie a message to a subscriber or campaign; a proof must not carry them. */
const RECIPIENT_HEADERS = new Set(
	['list-unsubscribe', 'list-unsubscribe-post', ...Object.values(CORRELATION_HEADERS)].map((name) =>
		name.toLowerCase(),
	),
);

export async function execute(op: OperationContext): Promise<NodeOutput> {
	const { ctx } = op;
	const addresses = parseProofRecipients(op, 0);
	const prefix = String(ctx.getNodeParameter('proofSubjectPrefix', 0, '[TEST] ') ?? '');
	let message: ComposedMessage;
	try {
		message = await readMessage(op, 0, null);
	} catch (error) {
		throw itemError(ctx.getNode(), 0, error, 'Test Send sends the first input item, which must be a message.');
	}
	const source = ctx.getInputData()[0]?.json ?? {};
	const alreadyProof = source.proof === true || PROOF_HEADER in (message.headers ?? {});
	if (!alreadyProof && message.subscriberId) {
		ctx.addExecutionHints({
			message: `The message was composed for subscriber ${message.subscriberId}: links in its body act for that subscriber. Compose it with Proof on for links that change nothing.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
	const headers = Object.fromEntries(
		Object.entries(message.headers ?? {}).filter(([name]) => !RECIPIENT_HEADERS.has(name.toLowerCase())),
	);
	headers[PROOF_HEADER] = '1';
	const proofs = addresses.map((address) => ({
		address,
		message: {
			...message,
			to: { name: '', address },
			subject: alreadyProof ? message.subject : `${prefix}${message.subject}`,
			headers,
			// a fresh Message-ID per proof: the original belongs to the real recipient
			messageId: '',
			campaignId: null,
			subscriberId: null,
		},
	}));
	return sendProofs(op, 0, proofs);
}
