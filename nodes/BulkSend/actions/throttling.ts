/**
 * Throttling, retries and the failure-rate breaker: the node parameters and how they turn into
 * the send engine's LimiterConfig, pool settings, RetryPolicy and BreakerOptions.
 */
import { createHash } from 'node:crypto';

import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import {
	PROVIDER_PRESETS,
	type BreakerOptions,
	type DomainLimitRule,
	type LimiterConfig,
	type ProviderPresetName,
	type RetryPolicy,
	type SmtpSettings,
	type WarmupSchedule,
} from '../../../lib/send';
import { REDIS_CREDENTIAL, redisOptionsFromCredential } from '../helpers/redisCredential';
import { itemError, itemLabel, positiveNumber } from '../../shared/nodeHelpers';
import type { OperationContext } from './resources';

/** Operations that send (or, for Create and Create Follow-Up, store the limits a campaign sends with). */
export const THROTTLED_OPERATIONS = ['send', 'create', 'createFollowUp', 'start'];
const SENDING_OPERATIONS = ['send', 'start'];

const presetOptions = (Object.keys(PROVIDER_PRESETS) as ProviderPresetName[]).map((value) => ({
	name: PROVIDER_PRESETS[value].label,
	value,
	description: PROVIDER_PRESETS[value].notes,
}));

const perWindow = (name: string, displayName: string, description: string): INodeProperties => ({
	displayName,
	name,
	type: 'number',
	typeOptions: { minValue: 0, numberPrecision: 2 },
	default: 0,
	description,
});

export const throttlingProperties: INodeProperties[] = [
	{
		displayName: 'Throttling',
		name: 'throttling',
		type: 'collection',
		placeholder: 'Add Limit',
		default: {},
		description:
			'Send-rate limits. On Start, leave empty to use the limits stored with the campaign. 0 means no limit.',
		displayOptions: { show: { operation: THROTTLED_OPERATIONS } },
		options: [
			{
				displayName: 'Provider Preset',
				name: 'preset',
				type: 'options',
				options: presetOptions,
				default: 'custom',
				description:
					'Starting limits of a provider; limits set below override them. Use the numbers your account shows when you have them.',
			},
			perWindow('perSecond', 'Messages per Second', 'Most messages started in any second'),
			perWindow('perMinute', 'Messages per Minute', 'Spread evenly over the minute'),
			perWindow('perHour', 'Messages per Hour', 'Spread evenly over the hour'),
			perWindow(
				'perDay',
				'Messages per Day',
				'Most messages per calendar day in the workflow’s time zone; the run ends when it is used up',
			),
			{
				displayName: 'Max Concurrent Sends',
				name: 'maxConcurrent',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Messages in progress at once (0: as many as the connections allow)',
			},
			{
				displayName: 'Max Connections',
				name: 'maxConnections',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 5,
				description: 'SMTP connections the pool opens at once',
			},
			{
				displayName: 'Max Messages per Connection',
				name: 'maxMessages',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 100,
				description: 'Messages sent over one connection before it is replaced',
			},
		],
	},
	{
		displayName: 'Per-Domain Limits',
		name: 'domainLimits',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Domain Limit',
		default: {},
		description:
			'Separate budgets for recipient domains, e.g. gmail.com or docomo.ne.jp, on top of the limits above',
		displayOptions: { show: { operation: THROTTLED_OPERATIONS } },
		options: [
			{
				displayName: 'Rule',
				name: 'rules',
				values: [
					{
						displayName: 'Domains',
						name: 'domains',
						type: 'string',
						default: '',
						placeholder: 'e.g. gmail.com, googlemail.com',
						description:
							'Recipient domains that share this budget, separated by commas; * gives every other domain a budget of its own',
					},
					perWindow('perSecond', 'Messages per Second', ''),
					perWindow('perMinute', 'Messages per Minute', ''),
					perWindow('perHour', 'Messages per Hour', ''),
					{
						displayName: 'Max Concurrent Sends',
						name: 'maxConcurrent',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
					},
				],
			},
		],
	},
	{
		displayName: 'Warm-Up',
		name: 'warmup',
		type: 'collection',
		placeholder: 'Add Warm-Up Setting',
		default: {},
		description:
			'A daily cap that grows day by day, for a new sending domain or IP. Set a start date and either daily caps or a starting cap with a growth factor.',
		displayOptions: { show: { operation: THROTTLED_OPERATIONS } },
		options: [
			{
				displayName: 'Daily Caps',
				name: 'dailyCaps',
				type: 'string',
				default: '',
				placeholder: 'e.g. 50, 100, 500, 1000, 5000',
				description: 'The cap of day 1, 2, 3… separated by commas; after the last day the warm-up is over',
			},
			{
				displayName: 'Daily Growth Factor',
				name: 'growthFactor',
				type: 'number',
				typeOptions: { minValue: 1, numberPrecision: 2 },
				default: 1.5,
			},
			{
				displayName: 'Full Volume Cap',
				name: 'maxDailyCap',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 10000,
				description: 'When the grown cap reaches this, the warm-up is over',
			},
			{
				displayName: 'Start Date',
				name: 'startDate',
				type: 'string',
				default: '',
				placeholder: 'e.g. 2026-06-01',
				description: 'Day 1 of the warm-up (YYYY-MM-DD, in the workflow’s time zone)',
			},
			{
				displayName: 'Starting Daily Cap',
				name: 'initialDailyCap',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
			},
		],
	},
	{
		displayName: 'Share Rate Limit via Redis',
		name: 'shareRateLimit',
		type: 'boolean',
		default: false,
		description:
			'Whether every n8n worker sending through the same account shares one budget, kept in Redis (for queue mode)',
		displayOptions: { show: { operation: SENDING_OPERATIONS } },
	},
	{
		displayName: 'Rate Limit Key',
		name: 'rateLimitKey',
		type: 'string',
		default: '',
		placeholder: 'e.g. ses-production',
		description:
			'Workers using the same key share one budget. Empty: a key derived from the SMTP host and user.',
		displayOptions: { show: { operation: SENDING_OPERATIONS, shareRateLimit: [true] } },
	},
];

export const retryOptions: INodeProperties[] = [
	{
		displayName: 'Max Attempts',
		name: 'maxAttempts',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 4,
		description:
			'Attempts per message when the server defers it (4xx) or the connection fails before the message was handed over; 1 never retries. 5xx refusals are never retried.',
	},
	{
		displayName: 'First Retry Delay (Seconds)',
		name: 'retryDelay',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 2 },
		default: 2,
		description: 'The longest first wait; each retry may wait up to twice as long, with random jitter',
	},
	{
		displayName: 'Max Retry Delay (Seconds)',
		name: 'maxRetryDelay',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 60,
	},
	{
		displayName: 'Pause Above Failure Rate (%)',
		name: 'breakerThreshold',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100 },
		default: 30,
		description:
			'Stop sending when more than this share of the latest sends failed (0 never stops). Protects the sender’s reputation from a broken list.',
	},
	{
		displayName: 'Failure Rate Window',
		name: 'breakerWindow',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 200,
		description: 'How many of the latest sends the failure rate is measured over',
	},
];

export interface SendTuning {
	limiter: LimiterConfig | undefined;
	pool: SmtpSettings['pool'];
	retry: Partial<RetryPolicy> | undefined;
	breaker: Partial<BreakerOptions> | false | undefined;
}

function windowLimits(source: IDataObject) {
	return {
		perSecond: positiveNumber(source.perSecond),
		perMinute: positiveNumber(source.perMinute),
		perHour: positiveNumber(source.perHour),
		maxConcurrent: positiveNumber(source.maxConcurrent),
	};
}

function withoutUndefined<T extends object>(value: T): T {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function parseDailyCaps(text: string, label: string): number[] {
	return text
		.split(',')
		.map((part) => part.trim())
		.filter(Boolean)
		.map((part, index) => {
			const cap = Number(part);
			if (!Number.isInteger(cap) || cap < 0) {
				throw new Error(
					`${label}: warm-up daily cap ${index + 1} ("${part}") is not a whole number of 0 or more`,
				);
			}
			return cap;
		});
}

/** The limiter config the parameters describe, or undefined when none is set. */
export function readLimiterConfig(op: OperationContext, itemIndex: number): LimiterConfig | undefined {
	const { ctx } = op;
	const label = itemLabel(itemIndex);
	const throttling = ctx.getNodeParameter('throttling', itemIndex, {}) as IDataObject;
	const rules = (ctx.getNodeParameter('domainLimits.rules', itemIndex, []) as IDataObject[]) ?? [];
	const warmup = ctx.getNodeParameter('warmup', itemIndex, {}) as IDataObject;

	const config: LimiterConfig = withoutUndefined({
		...windowLimits(throttling),
		perDay: positiveNumber(throttling.perDay),
		timeZone: ctx.getTimezone(),
	});
	const preset = String(throttling.preset ?? 'custom') as ProviderPresetName;
	if (preset !== 'custom') config.preset = preset;

	const domainLimits: DomainLimitRule[] = rules.map((rule, index) => {
		const domains = String(rule.domains ?? '')
			.split(',')
			.map((domain) => domain.trim().toLowerCase())
			.filter(Boolean);
		if (!domains.length) {
			throw new Error(`${label}: per-domain limit ${index + 1} names no domain`);
		}
		return {
			domains: domains.includes('*') ? '*' : domains,
			...withoutUndefined(windowLimits(rule)),
		};
	});
	if (domainLimits.length) config.domainLimits = domainLimits;

	if (Object.keys(warmup).length) {
		const startDate = String(warmup.startDate ?? '').trim().slice(0, 10);
		if (!startDate) throw new Error(`${label}: the warm-up needs a start date (YYYY-MM-DD)`);
		const schedule: WarmupSchedule = { startDate };
		const caps = String(warmup.dailyCaps ?? '').trim();
		if (caps) schedule.dailyCaps = parseDailyCaps(caps, label);
		else {
			schedule.initialDailyCap = Number(warmup.initialDailyCap ?? 50);
			schedule.growthFactor = Number(warmup.growthFactor ?? 1.5);
			schedule.maxDailyCap = positiveNumber(warmup.maxDailyCap);
		}
		config.warmup = schedule;
	}

	const meaningful = Object.keys(config).some((key) => key !== 'timeZone');
	return meaningful ? config : undefined;
}

/** Pool settings: the node's, else the preset's suggestion. */
export function readPool(ctx: IExecuteFunctions, itemIndex: number): SmtpSettings['pool'] {
	const throttling = ctx.getNodeParameter('throttling', itemIndex, {}) as IDataObject;
	const preset = PROVIDER_PRESETS[String(throttling.preset ?? 'custom') as ProviderPresetName];
	return withoutUndefined({
		maxConnections: positiveNumber(throttling.maxConnections) ?? preset?.pool?.maxConnections,
		maxMessages: positiveNumber(throttling.maxMessages) ?? preset?.pool?.maxMessages,
	});
}

/** Adds the Redis datastore when "Share Rate Limit via Redis" is on. */
export async function withSharedLimit(
	op: OperationContext,
	itemIndex: number,
	config: LimiterConfig | undefined,
	smtp: SmtpSettings,
): Promise<LimiterConfig | undefined> {
	if (!config || op.ctx.getNodeParameter('shareRateLimit', itemIndex, false) !== true) return config;
	const data = await op.ctx.getCredentials(REDIS_CREDENTIAL);
	let key = String(op.ctx.getNodeParameter('rateLimitKey', itemIndex, '') ?? '').trim();
	if (!key) {
		const account = createHash('sha256')
			.update(`${smtp.host}:${smtp.port}:${smtp.user ?? ''}`)
			.digest('hex')
			.slice(0, 16);
		key = `smtp-${account}`;
	}
	if (!/^[\w.:-]{1,100}$/.test(key)) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			`the rate limit key "${key.slice(0, 100)}" may only contain letters, digits, "_", ".", ":" and "-" (at most 100)`,
		);
	}
	return { ...config, redis: { id: key, options: redisOptionsFromCredential(data) } };
}

/** Retries and breaker from an options collection. */
export function readRetryAndBreaker(options: IDataObject): Pick<SendTuning, 'retry' | 'breaker'> {
	const retry: Partial<RetryPolicy> = withoutUndefined({
		maxAttempts: options.maxAttempts === undefined ? undefined : Math.floor(Number(options.maxAttempts)),
		baseDelayMs: options.retryDelay === undefined ? undefined : Number(options.retryDelay) * 1000,
		maxDelayMs: options.maxRetryDelay === undefined ? undefined : Number(options.maxRetryDelay) * 1000,
	});
	let breaker: SendTuning['breaker'];
	if (options.breakerThreshold !== undefined && Number(options.breakerThreshold) === 0) breaker = false;
	else {
		const settings: Partial<BreakerOptions> = withoutUndefined({
			thresholdPct:
				options.breakerThreshold === undefined ? undefined : Number(options.breakerThreshold),
			windowSize:
				options.breakerWindow === undefined ? undefined : Math.floor(Number(options.breakerWindow)),
		});
		if (settings.windowSize !== undefined) {
			settings.minSamples = Math.min(50, settings.windowSize);
		}
		breaker = Object.keys(settings).length ? settings : undefined;
	}
	return { retry: Object.keys(retry).length ? retry : undefined, breaker };
}
