/**
 * Campaign → Start or Resume: sends the campaign's next recipients (lib/campaign runCampaign)
 * and outputs one summary item; recipients that failed go to the second output. A time budget
 * or a message cap per run lets a Schedule trigger drive a long campaign in slices.
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { CampaignRunError, runCampaign, type CampaignRunSummary } from '../../../../lib/campaign';
import { createLimiter, type LimiterConfig, type SendLimiter } from '../../../../lib/send';
import { errorItem, item, itemError, jsonCopy, positiveNumber, showFor } from '../../../shared/nodeHelpers';
import { checkSendConfig, CHECK_SMTP_CREDENTIAL, type NodeOutput, type OperationContext } from '../resources';
import { readLimiterConfig, readRetryAndBreaker, retryOptions, withSharedLimit } from '../throttling';
import { bounceDomainOption, providerPauseOptions, readProviderPause, readVerp, resumeProvidersOption } from '../bounceOptions';
import { campaignField, campaignIdOf, requireCampaign, summaryJson } from './common';

export const description: INodeProperties[] = [
	campaignField('start'),
	{
		displayName: 'Run Options',
		name: 'runOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('campaign', ['start']),
		options: [
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10000 },
				default: 500,
				description: 'Recipients claimed from the store at a time',
			},
			bounceDomainOption,
			{
				displayName: 'Max Messages per Run',
				name: 'maxMessages',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Stop after handing this many messages to the server (0: no cap); the next run continues',
			},
			...providerPauseOptions,
			{
				displayName: 'Resume If Paused',
				name: 'resumePaused',
				type: 'boolean',
				default: false,
				description:
					'Whether a paused campaign (by Pause or by the failure-rate breaker) sends again. Leave off when a Schedule trigger runs this node, so a pause holds.',
			},
			resumeProvidersOption,
			{
				displayName: 'Retry Unknown Deliveries',
				name: 'retryUnknown',
				type: 'boolean',
				default: false,
				description:
					'Whether recipients whose delivery is unknown (the connection was lost after the message went out, or a run died) are mailed again. They may then get two copies.',
			},
			{
				displayName: 'Time Budget (Seconds)',
				name: 'timeBudget',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Stop handing out messages after this long (0: until the campaign is done); the next run continues. With a Schedule trigger, use a little less than its interval.',
			},
			...retryOptions,
		],
	},
];

/** A limiter that lets `max` messages through, then stops the run (the rest waits). */
function capped(inner: SendLimiter, max: number, stop: AbortController): SendLimiter & { capped: boolean } {
	let handed = 0;
	const wrapper = {
		capped: false,
		limits: inner.limits,
		schedule<T>(domain: string | null, fn: () => Promise<T>): Promise<T> {
			handed++;
			if (handed > max && !wrapper.capped) {
				wrapper.capped = true;
				stop.abort();
			}
			// after the abort, the send engine turns this message back before it is sent
			return inner.schedule(domain, fn);
		},
		dailyRemaining: () => inner.dailyRemaining(),
		disconnect: () => inner.disconnect(),
	};
	return wrapper;
}

function failureItems(id: string, summary: CampaignRunSummary, itemIndex: number) {
	return summary.failures.map((failure) => item({ campaignId: id, ...jsonCopy(failure) }, itemIndex));
}

export async function execute(op: OperationContext, itemIndex: number): Promise<NodeOutput> {
	const { ctx, resources } = op;
	const id = campaignIdOf(op, itemIndex);
	const store = await resources.store();
	const campaign = await requireCampaign(op, itemIndex, id);
	const options = ctx.getNodeParameter('runOptions', itemIndex, {}) as IDataObject;
	const links = await resources.links();
	const smtp = await resources.smtp(itemIndex);

	// The node's throttling, else the limits stored with the campaign.
	let config: LimiterConfig | undefined = readLimiterConfig(op, itemIndex);
	if (!config && campaign.sender.limiter) {
		const { redisId: _redisId, ...stored } = campaign.sender.limiter;
		config = { ...stored, timeZone: stored.timeZone ?? ctx.getTimezone() };
	}
	config = await withSharedLimit(op, itemIndex, config, smtp);
	const { retry, breaker } = readRetryAndBreaker(options);
	checkSendConfig(op, itemIndex, { smtp, retry, breaker });
	const maxMessages = positiveNumber(options.maxMessages);
	const timeBudget = positiveNumber(options.timeBudget);
	const verp = await readVerp(op, options.bounceDomain);
	const providerPause = readProviderPause(options);

	const stop = new AbortController();
	const signals = [stop.signal, ...(resources.signal ? [resources.signal] : [])];
	let limiter: (SendLimiter & { capped?: boolean }) | null = null;
	let summary: CampaignRunSummary;
	try {
		const inner = await createLimiter(config ?? {});
		limiter = maxMessages ? capped(inner, Math.floor(maxMessages), stop) : inner;
		summary = await runCampaign(store, id, {
			smtp,
			transport: await resources.transport(itemIndex),
			limiter,
			retry,
			breaker,
			composeSecret: links.secret,
			baseUrl: links.baseUrl,
			verp,
			providerPause,
			resumeProviders: options.resumeProviders === true,
			timeBudgetMs: timeBudget ? timeBudget * 1000 : undefined,
			batchSize: positiveNumber(options.batchSize),
			retryUnknown: options.retryUnknown === true,
			resume: options.resumePaused === true,
			signal: AbortSignal.any(signals),
			actor: resources.actor,
		});
	} catch (error) {
		if (!(error instanceof CampaignRunError)) throw itemError(ctx.getNode(), itemIndex, error);
		const nodeError = itemError(
			ctx.getNode(),
			itemIndex,
			error,
			`${CHECK_SMTP_CREDENTIAL} The campaign stays running: the next run continues where this one stopped.`,
		);
		if (!ctx.continueOnFail()) throw nodeError;
		// The summary stays with the failed item: what this run did before it stopped.
		return [[errorItem(ctx.getNode(), nodeError, itemIndex, summaryJson(error.summary))], failureItems(id, error.summary, itemIndex)];
	} finally {
		await limiter?.disconnect();
	}
	if (limiter?.capped && summary.outcome === 'stopped') {
		summary.message = `Handed the maximum of ${Math.floor(maxMessages!)} messages for this run to the server; the next run continues.`;
	}
	return [[item(summaryJson(summary), itemIndex)], failureItems(id, summary, itemIndex)];
}
