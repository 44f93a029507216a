import { compileTemplate, ComposeError, isValidEmail, toSendMailOptions } from '../compose';
import {
	type OutgoingMessage,
	type PooledTransport,
	sendMessages,
	type SendResult,
	type SmtpSettings,
} from '../send';
import { getCampaign } from './campaigns';
import { CampaignError, checkCampaignId, type SqlSubscriberStore } from '../store';

export const MAX_PROOF_RECIPIENTS = 20;

export interface ProofOptions {
	/** Where the proofs go (at most MAX_PROOF_RECIPIENTS addresses). */
	to: string[];
	smtp: SmtpSettings;
	transport?: PooledTransport;
	composeSecret?: string | null;
	baseUrl?: string | null;
	/** Merge this subscriber's name and fields into the proof (default: none). */
	asSubscriberId?: string | null;
}

export interface ProofReport {
	sent: number;
	failed: number;
	/** One per address, in the order given. */
	results: Array<{
		to: string;
		status: SendResult['status'];
		messageId: string | null;
		error: string | null;
	}>;
}

/**
 * Sends a proof of a campaign's message to a few addresses: "[TEST]" subject, no tracking, no
 * campaign id or correlation headers, inert unsubscribe links (the Compose engine's proof
 * mode). Outside the campaign: no counters, no send log, any campaign status.
 */
export async function sendCampaignProof(
	store: SqlSubscriberStore,
	id: string,
	options: ProofOptions,
): Promise<ProofReport> {
	const campaignId = checkCampaignId(id);
	const campaign = await getCampaign(store, campaignId);
	if (!campaign)
		throw new CampaignError(`There is no campaign with id '${campaignId}'`, 'not-found');
	const addresses = (Array.isArray(options?.to) ? options.to : []).map((to) =>
		String(to ?? '').trim(),
	);
	if (!addresses.length)
		throw new CampaignError('Give at least one address to send the proof to', 'invalid');
	if (addresses.length > MAX_PROOF_RECIPIENTS) {
		throw new CampaignError(
			`A proof goes to at most ${MAX_PROOF_RECIPIENTS} addresses (got ${addresses.length})`,
			'invalid',
		);
	}
	addresses.forEach((address, index) => {
		if (!isValidEmail(address)) {
			throw new CampaignError(
				`Proof address ${index + 1} ('${address.slice(0, 100)}') is not a valid e-mail address`,
				'invalid',
			);
		}
	});
	let sample: { name: string; fields: Record<string, unknown> } = { name: '', fields: {} };
	if (options.asSubscriberId) {
		const subscriber = await store.getSubscriber({ id: String(options.asSubscriberId) });
		if (!subscriber)
			throw new CampaignError(
				`There is no subscriber with id '${options.asSubscriberId}'`,
				'not-found',
			);
		sample = { name: subscriber.name, fields: subscriber.fields };
	}
	let messages: OutgoingMessage[];
	try {
		const template = compileTemplate(campaign.template.spec, {
			...campaign.template.options,
			...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
			secret: options.composeSecret ?? undefined,
		});
		messages = addresses.map((to, ref) => ({
			...toSendMailOptions(template.render({ email: to, ...sample }, { proof: true })),
			ref,
		}));
	} catch (error) {
		if (error instanceof ComposeError) {
			throw new CampaignError(
				`The proof of campaign ${campaignId} cannot be composed: ${error.message}`,
				'invalid',
			);
		}
		throw error;
	}
	const report = await sendMessages(messages, {
		smtp: options.smtp,
		transport: options.transport,
		breaker: false,
	});
	if (report.outcome === 'fatal') {
		throw new CampaignError(`The proof was not sent: ${report.message}`, 'smtp');
	}
	return {
		sent: report.counts.sent,
		failed: report.counts.failed + report.counts.unknown + report.counts.skipped,
		results: report.results.map((result) => ({
			to: addresses[Number(result.ref)],
			status: result.status,
			messageId: result.messageId,
			error: result.error?.message ?? null,
		})),
	};
}
