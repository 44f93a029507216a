/**
 * Sender health per receiving provider: when one provider refuses our mail for our own sake
 * (blocked, reputation, authentication, content, rate), sending to it pauses while the rest of
 * the campaign goes on. The rule and its plain-words reason live here; the store counts and
 * keeps the pauses (lib/store providerPauses), the campaign run holds the provider's recipients.
 */
import { describeProvider, type ReceivingProvider } from './providers';
import type { FailureReason } from './types';

export interface ProviderPausePolicy {
	/** Sender-side refusals in the window before a provider can pause (default 20). */
	minRefusals: number;
	/** …that are at least this share of the provider's attempts in the window (default 0.5). */
	minShare: number;
	/** The window, in minutes (default 5). */
	windowMinutes: number;
}

export const DEFAULT_PROVIDER_PAUSE: ProviderPausePolicy = { minRefusals: 20, minShare: 0.5, windowMinutes: 5 };

export function validateProviderPause(input: Partial<ProviderPausePolicy> = {}): ProviderPausePolicy {
	const policy = { ...DEFAULT_PROVIDER_PAUSE, ...input };
	if (!Number.isInteger(policy.minRefusals) || policy.minRefusals < 1 || policy.minRefusals > 100_000) {
		throw new Error(`Provider pause: refusals must be a whole number from 1 to 100000 (got ${String(input.minRefusals)})`);
	}
	if (!(policy.minShare > 0 && policy.minShare <= 1)) {
		throw new Error(`Provider pause: the share of attempts must be above 0 % and at most 100 % (got ${String(input.minShare)})`);
	}
	if (!Number.isInteger(policy.windowMinutes) || policy.windowMinutes < 1 || policy.windowMinutes > 1440) {
		throw new Error(`Provider pause: the window must be a whole number of minutes from 1 to 1440 (got ${String(input.windowMinutes)})`);
	}
	return policy;
}

export interface ProviderWindow {
	attempts: number;
	refusals: number;
}

export function shouldPauseProvider(window: ProviderWindow, policy: ProviderPausePolicy): boolean {
	return window.refusals >= policy.minRefusals && window.refusals >= policy.minShare * Math.max(window.attempts, window.refusals);
}

/** What the operator can do about a refusal, by its reason. */
function adviceFor(reason: FailureReason | null): string {
	switch (reason) {
		case 'authfailure':
			return 'check SPF, DKIM and DMARC for your From domain';
		case 'requireptr':
			return 'give your sending IP a reverse DNS (PTR) name that resolves back to it';
		case 'speeding':
		case 'toomanyconn':
			return 'send to it more slowly (a per-domain limit in Bulk Send’s throttling)';
		case 'spamdetected':
		case 'contenterror':
		case 'policyviolation':
		case 'virusdetected':
		case 'mesgtoobig':
			return 'check the message content and size';
		default:
			return 'check your sending IP’s reputation (blocklists, the provider’s postmaster tools)';
	}
}

/** `Microsoft (outlook.com, hotmail.com, …) is refusing our mail: 550 5.7.1 … — check …`. */
export function providerPauseReason(
	provider: ReceivingProvider,
	window: ProviderWindow & { diagnostic: string | null; reason: FailureReason | null },
	policy: ProviderPausePolicy,
): string {
	const said = window.diagnostic ? `: ${window.diagnostic.length > 200 ? `${window.diagnostic.slice(0, 199)}…` : window.diagnostic}` : '';
	return (
		`${describeProvider(provider)} is refusing our mail${said} ` +
		`(${window.refusals} of ${window.attempts} attempts in the last ${policy.windowMinutes} minutes) — ${adviceFor(window.reason)}`
	);
}
