import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { validateProviderPause, type ProviderPausePolicy } from '../../../lib/bounce';
import type { OperationContext } from './resources';

/** Bulk Send's one VERP option (campaign Run Options and message Options). */
export const bounceDomainOption: INodeProperties = {
	displayName: 'Bounce Domain (VERP)',
	name: 'bounceDomain',
	type: 'string',
	default: '',
	placeholder: 'e.g. bounce.example.com',
	description:
		'Send each message with its own signed return path, bounces+…@this domain, so every bounce names its campaign and subscriber exactly. Needs the store credential (its Signing Secret signs the token) and an MX record for this domain pointing at the mailbox you read bounces from. Leave empty when the relay rewrites the return path (Amazon SES, Gmail, Microsoft 365).',
};

/** The campaign Run Options of the per-provider pause. */
export const providerPauseOptions: INodeProperties[] = [
	{
		displayName: 'Provider Pause: Refusals',
		name: 'providerPauseRefusals',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 20,
		description:
			'Stop sending to one receiving provider (Microsoft, Google, Yahoo, docomo, …) after this many refusals of our mail (blocked, reputation, authentication, content) in the window, while the rest of the campaign goes on; 0 never pauses a provider',
	},
	{
		displayName: 'Provider Pause: Share of Attempts (%)',
		name: 'providerPauseShare',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: 50,
		description: 'The refusals must also be at least this share of the attempts to that provider in the window',
	},
	{
		displayName: 'Provider Pause: Window (Minutes)',
		name: 'providerPauseWindow',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1440 },
		default: 5,
	},
];

export const resumeProvidersOption: INodeProperties = {
	displayName: 'Resume Paused Providers',
	name: 'resumeProviders',
	type: 'boolean',
	default: false,
	description:
		'Whether the recipients held for a paused provider are sent again (Get Status says which provider and why). Leave off when a Schedule trigger runs this node, so a pause holds.',
};

/** VERP settings from the Bounce Domain option, or null when it is empty. */
export async function readVerp(op: OperationContext, bounceDomain: unknown): Promise<{ bounceDomain: string; key: string } | null> {
	const domain = String(bounceDomain ?? '').trim();
	if (!domain) return null;
	const { secret } = await op.resources.links();
	if (!secret) {
		throw new Error(
			'Bounce Domain (VERP) signs each return path with the subscriber store credential’s Signing Secret: select a Bulk Mail Subscriber Store credential that has one',
		);
	}
	return { bounceDomain: domain, key: secret };
}

/** The per-provider pause settings of Run Options (0 refusals: off). */
export function readProviderPause(options: IDataObject): Partial<ProviderPausePolicy> | false {
	if (options.providerPauseRefusals !== undefined && Number(options.providerPauseRefusals) === 0) return false;
	const number = (value: unknown) => (value === undefined ? undefined : Number(value));
	const share = number(options.providerPauseShare);
	return validateProviderPause({
		...(options.providerPauseRefusals !== undefined ? { minRefusals: number(options.providerPauseRefusals) } : {}),
		...(share !== undefined ? { minShare: share / 100 } : {}),
		...(options.providerPauseWindow !== undefined ? { windowMinutes: number(options.providerPauseWindow) } : {}),
	});
}
