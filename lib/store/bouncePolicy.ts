import type { BouncePolicy, DeliveryEventType, SubscriberStatus } from './types';
import { DEFAULT_BOUNCE_POLICY } from './types';

/** The delivery-relevant part of a subscriber row. */
export interface BounceState {
	status: SubscriberStatus;
	hardBounces: number;
	softBounces: number;
	/** ISO times of the soft bounces still inside the window (oldest first). */
	softBounceTimes: string[];
	complaints: number;
}

export interface BounceDecision {
	next: BounceState;
	statusChanged: boolean;
	/** Whether the address must also go on the store-wide suppression list. */
	suppress: boolean;
}

/** Statuses a bounce may move to `bounced`; an unsubscribed or complained row keeps its status. */
const BOUNCEABLE: readonly SubscriberStatus[] = ['active', 'pending', 'stopped'];

export function validateBouncePolicy(input: Partial<BouncePolicy>): BouncePolicy {
	const policy = { ...DEFAULT_BOUNCE_POLICY, ...input };
	for (const key of ['hardBounceLimit', 'softBounceLimit', 'softBounceWindowDays'] as const) {
		const value = policy[key];
		if (!Number.isInteger(value) || value < 1 || value > 1000) {
			throw new Error(`Bounce policy '${key}' must be a whole number from 1 to 1000 (got ${String(value)})`);
		}
	}
	policy.suppressOnComplaint = Boolean(policy.suppressOnComplaint);
	policy.suppressOnBounce = Boolean(policy.suppressOnBounce);
	return policy;
}

/**
 * The one place that decides what a delivery event does to a subscriber. Bulk Send (refusals),
 * the Bounce Webhook (provider events) and returned mail reach it through the store's
 * applyDeliveryEvent, with the kind the shared reason rules gave (lib/bounce): hard counts toward
 * the hard limit, soft toward the soft window, sender never against the subscriber.
 */
export function decideBounce(
	state: BounceState,
	event: { type: DeliveryEventType; occurredAt: string },
	policy: BouncePolicy,
): BounceDecision {
	const next: BounceState = { ...state, softBounceTimes: [...state.softBounceTimes] };
	let suppress = false;

	switch (event.type) {
		case 'hard':
			next.hardBounces += 1;
			if (next.hardBounces >= policy.hardBounceLimit && BOUNCEABLE.includes(next.status)) {
				next.status = 'bounced';
				suppress = policy.suppressOnBounce;
			}
			break;
		case 'soft': {
			const windowStart =
				Date.parse(event.occurredAt) - policy.softBounceWindowDays * 24 * 60 * 60 * 1000;
			next.softBounceTimes = [...next.softBounceTimes, event.occurredAt]
				.filter((time) => Date.parse(time) >= windowStart)
				.sort()
				.slice(-policy.softBounceLimit);
			next.softBounces = next.softBounceTimes.length;
			if (next.softBounces >= policy.softBounceLimit && BOUNCEABLE.includes(next.status)) {
				next.status = 'bounced';
				suppress = policy.suppressOnBounce;
			}
			break;
		}
		case 'sender':
			// our IP, domain or message was refused: recorded (with its reason), never held against the address
			break;
		case 'complaint':
			next.complaints += 1;
			if (next.status !== 'trashed') next.status = 'complained';
			suppress = policy.suppressOnComplaint;
			break;
		case 'unsubscribe':
			if (next.status !== 'trashed' && next.status !== 'complained') next.status = 'unsubscribed';
			break;
	}
	return { next, statusChanged: next.status !== state.status, suppress };
}
