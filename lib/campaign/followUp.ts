/**
 * Campaign → Create Follow-Up: a new campaign to the recipients of campaign C whose send
 * succeeded and who did not open it (or did not click), excluding those whose message bounced,
 * who complained or unsubscribed, with its own subject and template. The selection is read by
 * the store (lib/store audience.ts) from C's send log, frozen at the follow-up's start: opens
 * and clicks recorded after it do not count, and each recipient is mailed with the row C used.
 */
import type { Actor, SqlSubscriberStore } from '../store';
import { campaignBasics } from './campaigns';
import { getCampaign as readCampaign, insertCampaign } from '../store';
import {
	CampaignError,
	FOLLOW_UP_OPENS,
	FOLLOW_UP_UNLESS,
	type Campaign,
	type CampaignFollowUp,
	type FollowUpInput,
} from './types';

export async function createFollowUp(
	store: SqlSubscriberStore,
	input: FollowUpInput,
	actor: Actor,
): Promise<Campaign & { created: boolean }> {
	const basics = campaignBasics(input);
	const source = await readCampaign(store.sql, String(input.campaignId ?? '').trim());
	if (!source) throw new CampaignError(`There is no campaign with id '${String(input.campaignId ?? '')}' to follow up`, 'not-found');
	if (!source.startedAt) {
		throw new CampaignError(
			`Campaign ${source.id} is ${source.status} and has not sent anything yet: a follow-up can only follow a campaign that has started`,
			'conflict',
		);
	}
	const followUp: CampaignFollowUp = {
		campaignId: source.id,
		unless: pick(input.unless, FOLLOW_UP_UNLESS, 'opened', 'unless'),
		opens: pick(input.opens, FOLLOW_UP_OPENS, 'any', 'opens'),
	};
	return insertCampaign(
		store.sql,
		{
			...basics,
			listId: source.listId,
			audience: { listIds: source.audience.listIds, segment: null, followUp, timeZone: null },
			filter: {},
		},
		actor,
	);
}

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T, what: string): T {
	if (value === undefined || value === null || value === '') return fallback;
	if (!allowed.includes(value as T)) {
		throw new CampaignError(`'${String(value).slice(0, 40)}' is not a follow-up ${what} option; use one of ${allowed.join(', ')}`, 'invalid');
	}
	return value as T;
}
