/**
 * A campaign's life outside a run: creating it (the template checked now, not at send time),
 * the rules of pause, resume, cancel and schedule, its progress, and its recipients. The rows
 * themselves are read and written by the store (lib/store campaigns / sendLog).
 */
import { compileTemplate, ComposeError } from '../compose';
import {
	campaignWithRemaining,
	changeCampaign,
	checkCampaignId,
	checkLimitAs,
	pausedProviders,
	type ProviderPause,
	getCampaign as readCampaign,
	insertCampaign,
	listCampaigns as readCampaigns,
	recipientPage,
	reactionAddresses,
	type ReactionAddresses,
	recordCampaignEventIn,
	validateFilter,
	campaignExists,
	type Actor,
	type DecidedChange,
	type Page,
	type SqlSubscriberStore,
} from '../store';
import {
	CampaignError,
	RECIPIENT_STATES,
	type Campaign,
	type CampaignEventType,
	type CampaignInput,
	type CampaignProgress,
	type CampaignSender,
	type CampaignStatus,
	type CampaignTemplate,
	type RecipientEntry,
	type RecipientState,
	type StoredComposeOptions,
} from './types';
import { checkAudience } from './audience';

const MAX_NAME = 200;
/** Only used to check that a template with signed links compiles; never stored or sent. */
const VALIDATION_SECRET = 'campaign-validation-only-secret';

function parseSendAt(value: unknown): string | null {
	if (value === undefined || value === null || value === '') return null;
	const time = value instanceof Date ? value.getTime() : Date.parse(String(value));
	if (!Number.isFinite(time)) {
		throw new CampaignError(
			`The send-at time '${String(value).slice(0, 60)}' is not a date and time; use ISO 8601 such as 2026-12-01T09:00:00Z`,
			'invalid',
		);
	}
	return new Date(time).toISOString();
}

function storedComposeOptions(options: unknown): StoredComposeOptions {
	if (options === undefined || options === null) return {};
	if (typeof options !== 'object' || Array.isArray(options)) {
		throw new CampaignError('Compose options must be an object', 'invalid');
	}
	if (
		'secret' in (options as Record<string, unknown>) &&
		(options as Record<string, unknown>).secret
	) {
		throw new CampaignError(
			'The link-signing secret is not stored with a campaign: leave it out of the compose options and give it to each run (composeSecret)',
			'invalid',
		);
	}
	const { secret: _secret, ...rest } = options as Record<string, unknown>;
	return rest as StoredComposeOptions;
}

/** The sender settings without anything secret (password, DKIM key, CA, Redis URL). */
export function storedSender(sender: CampaignInput['sender']): CampaignSender {
	if (!sender) return {};
	const result: CampaignSender = {};
	if (sender.smtp) {
		const {
			password: _p,
			dkim,
			caCertificates: _ca,
			...smtp
		} = sender.smtp as Record<string, unknown> & {
			dkim?: { domainName: string; keySelector: string };
		};
		result.smtp = {
			...(smtp as unknown as CampaignSender['smtp'] & object),
			...(dkim ? { dkim: { domainName: dkim.domainName, keySelector: dkim.keySelector } } : {}),
		};
	}
	if (sender.limiter) {
		const { redis, now: _now, ...limits } = sender.limiter;
		result.limiter = { ...limits, ...(redis?.id ? { redisId: redis.id } : {}) };
	}
	if (sender.retry) result.retry = { ...sender.retry };
	if (sender.breaker !== undefined)
		result.breaker = sender.breaker === false ? false : { ...sender.breaker };
	return result;
}

/** What every new campaign needs checked, a follow-up too: name, template (compiled now), sender, send-at, key. */
export function campaignBasics(input: Pick<CampaignInput, 'name' | 'template' | 'composeOptions' | 'sender' | 'sendAt' | 'createKey'>) {
	if (!input || typeof input !== 'object')
		throw new CampaignError('Campaign details are missing', 'invalid');
	const name = String(input.name ?? '').trim();
	if (!name) throw new CampaignError('The campaign name is empty', 'invalid');
	if (name.length > MAX_NAME)
		throw new CampaignError(`The campaign name is longer than ${MAX_NAME} characters`, 'invalid');
	const options = storedComposeOptions(input.composeOptions);
	if (!input.template || typeof input.template !== 'object') {
		throw new CampaignError(
			'The campaign needs a template: { subject, html and/or text, from }',
			'invalid',
		);
	}
	try {
		compileTemplate(input.template, {
			...options,
			secret: options.baseUrl ? VALIDATION_SECRET : undefined,
		});
	} catch (error) {
		if (error instanceof ComposeError)
			throw new CampaignError(`The campaign template is not valid: ${error.message}`, 'invalid');
		throw error;
	}
	const template: CampaignTemplate = { spec: { ...input.template }, options };
	return {
		name,
		template,
		sender: storedSender(input.sender),
		sendAt: parseSendAt(input.sendAt),
		createKey: checkCreateKey(input.createKey),
	};
}

/**
 * Creates a campaign (status `draft`, or `scheduled` with a send-at time). The template is
 * compiled once here so a broken template fails now, naming the problem, not at send time.
 * The audience: one or more lists in order and/or a segment (audience.ts).
 */
export async function createCampaign(
	store: SqlSubscriberStore,
	input: CampaignInput,
	actor: Actor,
): Promise<Campaign & { created: boolean }> {
	const basics = campaignBasics(input);
	const audience = await checkAudience(store, input);
	const filter = validateFilter(input.filter);
	const listId = audience.listIds[0] ?? '0';
	return insertCampaign(store.sql, { ...basics, listId, audience, filter }, actor);
}

const MAX_CREATE_KEY = 200;

function checkCreateKey(value: unknown): string | null {
	if (value === undefined || value === null) return null;
	const key = String(value).trim();
	if (!key) return null;
	if (key.length > MAX_CREATE_KEY)
		throw new CampaignError(`The campaign key is longer than ${MAX_CREATE_KEY} characters`, 'invalid');
	return key;
}

export async function getCampaign(store: SqlSubscriberStore, id: string): Promise<Campaign | null> {
	return readCampaign(store.sql, id);
}

export async function listCampaigns(
	store: SqlSubscriberStore,
	options: {
		status?: CampaignStatus | CampaignStatus[];
		listId?: string;
		limit?: number;
		cursor?: string | null;
	} = {},
): Promise<Page<Campaign>> {
	return readCampaigns(store.sql, options);
}

/** Stops a running or scheduled campaign; runs in progress stop after their in-flight messages. */
export async function pauseCampaign(
	store: SqlSubscriberStore,
	id: string,
	actor: Actor,
	reason = 'Paused by request',
): Promise<Campaign> {
	return changeCampaign(store.sql, id, (campaign): DecidedChange | null => {
		const status = campaign.status;
		if (status === 'paused') return null;
		if (status !== 'running' && status !== 'scheduled' && status !== 'draft') {
			throw new CampaignError(
				`Campaign ${campaign.id} is ${status}; only a draft, scheduled or running campaign can be paused`,
				'conflict',
			);
		}
		return {
			set: { status: 'paused', pauseReason: String(reason).slice(0, 1000) },
			audit: { action: 'campaign.pause', details: { from: status, reason } },
		};
	}, actor);
}

/** Makes a paused campaign runnable again (it sends on its next run). */
export async function resumeCampaign(store: SqlSubscriberStore, id: string, actor: Actor): Promise<Campaign> {
	return changeCampaign(store.sql, id, (campaign): DecidedChange | null => {
		const status = campaign.status;
		if (status !== 'paused') {
			if (status === 'running' || status === 'scheduled' || status === 'draft') return null;
			throw new CampaignError(`Campaign ${campaign.id} is ${status} and cannot be resumed`, 'conflict');
		}
		const next: CampaignStatus = campaign.startedAt ? 'running' : campaign.sendAt ? 'scheduled' : 'draft';
		return { set: { status: next, pauseReason: null }, audit: { action: 'campaign.resume', details: { to: next } } };
	}, actor);
}

/** Ends a campaign for good: nobody else is mailed (messages already in flight finish). */
export async function cancelCampaign(store: SqlSubscriberStore, id: string, actor: Actor): Promise<Campaign> {
	return changeCampaign(store.sql, id, (campaign): DecidedChange | null => {
		const status = campaign.status;
		if (status === 'cancelled') return null;
		if (status === 'finished') {
			throw new CampaignError(`Campaign ${campaign.id} has finished; there is nothing left to cancel`, 'conflict');
		}
		return {
			set: { status: 'cancelled', finishedAt: new Date().toISOString() },
			audit: { action: 'campaign.cancel', details: { from: status } },
		};
	}, actor);
}

/** Sets or clears the send-at time of a campaign that has not started. */
export async function scheduleCampaign(
	store: SqlSubscriberStore,
	id: string,
	sendAt: string | Date | null,
	actor: Actor,
): Promise<Campaign> {
	const at = parseSendAt(sendAt);
	return changeCampaign(store.sql, id, (campaign): DecidedChange => {
		const status = campaign.status;
		if (status !== 'draft' && status !== 'scheduled' && !(status === 'paused' && !campaign.startedAt)) {
			throw new CampaignError(
				`Campaign ${campaign.id} is ${status}; only a campaign that has not started can be scheduled`,
				'conflict',
			);
		}
		const next: CampaignStatus = status === 'paused' ? 'paused' : at ? 'scheduled' : 'draft';
		return { set: { status: next, sendAt: at }, audit: { action: 'campaign.schedule', details: { sendAt: at } } };
	}, actor);
}

/** The campaign with its counters and progress. */
export async function campaignStatus(store: SqlSubscriberStore, id: string): Promise<CampaignProgress> {
	const found = await campaignWithRemaining(store.sql, checkCampaignId(id));
	if (!found) throw new CampaignError(`There is no campaign with id '${id}'`, 'not-found');
	const { campaign, remaining, inFlight, held } = found;
	const providerPauses = [...(await pausedProviders(store.sql, campaign.id)).values()];
	const c = campaign.counters;
	const handled = c.sent + c.failed + c.unknown + c.skipped;
	const progressPct =
		handled + remaining === 0 ? 100 : Math.floor((handled * 10000) / (handled + remaining)) / 100;
	return {
		campaign,
		counters: c,
		handled,
		remaining,
		inFlight,
		progressPct,
		message: describeStatus(campaign, remaining, providerPauses, held),
		providerPauses,
		held,
	};
}

export function describeStatus(
	campaign: Campaign,
	remaining: number,
	providerPauses: ProviderPause[] = [],
	held = 0,
): string {
	const status = describeRunStatus(campaign, remaining);
	if (!providerPauses.length || campaign.status === 'finished' || campaign.status === 'cancelled') return status;
	const pauses = providerPauses.map((pause) => pause.reason).join(' ');
	return `${status} Not sending to ${providerPauses.map((pause) => pause.name).join(', ')} (${held} recipients held): ${pauses}. Start with Resume Paused Providers sends to them again.`;
}

function describeRunStatus(campaign: Campaign, remaining: number): string {
	const c = campaign.counters;
	const done = `${c.sent} sent, ${c.failed} failed, ${c.unknown} unknown, ${c.skipped} skipped`;
	switch (campaign.status) {
		case 'draft':
			return `Draft: ${remaining} recipients would be mailed when it starts.`;
		case 'scheduled':
			return `Scheduled for ${campaign.sendAt}: ${remaining} recipients.`;
		case 'running':
			return `Running: ${done}; ${remaining} to go.`;
		case 'paused':
			return `Paused (${campaign.pauseReason ?? 'no reason given'}): ${done}; ${remaining} to go.`;
		case 'cancelled':
			return `Cancelled: ${done}.`;
		case 'finished':
			return `Finished: ${done}.`;
	}
}

/** Per-recipient states from the send log, in subscriber order, paged (keyset). */
export async function getRecipients(
	store: SqlSubscriberStore,
	id: string,
	options: {
		state?: RecipientState | RecipientState[];
		limit?: number;
		cursor?: string | null;
	} = {},
): Promise<Page<RecipientEntry>> {
	const campaignId = checkCampaignId(id);
	const limit = checkLimitAs(options.limit ?? 100, CampaignError);
	const states = options.state === undefined ? [] : ([] as RecipientState[]).concat(options.state);
	for (const state of states) {
		if (!RECIPIENT_STATES.includes(state)) {
			throw new CampaignError(
				`'${state}' is not a recipient state; use one of ${RECIPIENT_STATES.join(', ')}`,
				'invalid',
			);
		}
	}
	if (!(await campaignExists(store.sql, campaignId))) {
		throw new CampaignError(`There is no campaign with id '${campaignId}'`, 'not-found');
	}
	return recipientPage(store.sql, campaignId, states, limit, options.cursor);
}

export { recordCampaignEventIn, type CampaignEventType };

export async function recordCampaignEvent(
	store: SqlSubscriberStore,
	event: { campaignId: string; subscriberId: string; type: CampaignEventType; occurredAt?: string },
): Promise<boolean> {
	return store.transaction((tx) => recordCampaignEventIn(tx, event));
}

/** Addresses of the campaign's recipients who bounced, complained or unsubscribed, at most `max` of each kind. */
export async function getReactionAddresses(store: SqlSubscriberStore, id: string, max: number): Promise<ReactionAddresses> {
	const campaignId = checkCampaignId(id);
	if (!(await campaignExists(store.sql, campaignId))) {
		throw new CampaignError(`There is no campaign with id '${campaignId}'`, 'not-found');
	}
	return reactionAddresses(store.sql, campaignId, max);
}
