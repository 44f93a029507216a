/**
 * Test sends (Message → Test Send and Campaign → Test Send): a few proof addresses, sent outside
 * any campaign (no counters, no send log, no bounces); the store's suppression still applies.
 */
import type { INodeProperties } from 'n8n-workflow';

import { deliveryRefusals } from '../../../lib/campaign';
import { toSendMailOptions, type ComposedMessage } from '../../../lib/compose';
import { sendMessages, type OutgoingMessage } from '../../../lib/send';
import { item, itemError } from '../../shared/nodeHelpers';
import { notSentJson, resultJson } from '../helpers/results';
import { checkSendConfig, CHECK_SMTP_CREDENTIAL, type NodeOutput, type OperationContext } from './resources';

export const MAX_PROOF_RECIPIENTS = 10;

/** The proof fields of a resource's Test Send. */
export function proofFields(resource: 'message' | 'campaign'): INodeProperties[] {
	const displayOptions = { show: { resource: [resource], operation: ['testSend'] } };
	return [
		{
			displayName: 'Proof Recipients',
			name: 'proofRecipients',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. editor@example.com, qa@example.com',
			description: `Up to ${MAX_PROOF_RECIPIENTS} addresses, separated by commas`,
			displayOptions,
		},
		{
			displayName: 'Proof Subject Prefix',
			name: 'proofSubjectPrefix',
			type: 'string',
			default: '[TEST] ',
			description: 'Put before the subject, unless the message was composed as a proof already',
			displayOptions,
		},
	];
}

export function parseProofRecipients(op: OperationContext, itemIndex: number): string[] {
	const raw = String(op.ctx.getNodeParameter('proofRecipients', itemIndex, '') ?? '');
	const addresses = [
		...new Set(
			raw
				.split(/[,;\s]+/)
				.map((address) => address.trim())
				.filter(Boolean),
		),
	];
	if (!addresses.length) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			'no proof recipient is given',
			'Enter one or more addresses, separated by commas.',
		);
	}
	if (addresses.length > MAX_PROOF_RECIPIENTS) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			`${addresses.length} proof recipients given; a test send goes to at most ${MAX_PROOF_RECIPIENTS}`,
		);
	}
	return addresses;
}

/** Sends proofs (one message per address); suppressed addresses come out as `suppressed`. */
export async function sendProofs(
	op: OperationContext,
	itemIndex: number,
	proofs: Array<{ address: string; message: ComposedMessage }>,
): Promise<NodeOutput> {
	const output: NodeOutput = [[], []];
	const reasons = op.resources.hasStore
		? await deliveryRefusals(
				await op.resources.store(),
				proofs.map((proof) => ({ email: proof.address, subscriberId: null })),
			)
		: proofs.map(() => null);
	const outgoing: OutgoingMessage[] = [];
	proofs.forEach((proof, index) => {
		const reason = reasons[index];
		if (reason !== null) {
			output[0].push(item(notSentJson('suppressed', { to: proof.address }, itemIndex, reason), itemIndex));
			return;
		}
		outgoing.push({ ...toSendMailOptions(proof.message), ref: index });
	});
	if (!outgoing.length) return output;
	const smtp = await op.resources.smtp(itemIndex);
	checkSendConfig(op, itemIndex, { smtp });
	const report = await sendMessages(outgoing, {
		smtp,
		transport: await op.resources.transport(itemIndex),
		breaker: false,
		retry: { maxAttempts: 2, baseDelayMs: 1000 },
		signal: op.resources.signal,
	});
	if (report.outcome === 'fatal' && report.counts.sent === 0 && !op.ctx.continueOnFail()) {
		throw itemError(op.ctx.getNode(), itemIndex, report.fatalError?.message ?? report.message, CHECK_SMTP_CREDENTIAL);
	}
	for (const result of report.results) {
		const proof = proofs[result.ref as number];
		const json = resultJson(result, { to: proof.address, subscriberId: null, campaignId: null }, itemIndex);
		json.proof = true;
		output[result.status === 'sent' ? 0 : 1].push(item(json, itemIndex));
	}
	return output;
}
