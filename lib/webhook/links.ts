/**
 * The endpoints behind the links Compose Message signs: unsubscribe (RFC 8058 one-click and a
 * confirmation page), the open pixel and the click redirect. A token that does not verify gets
 * 403 and records nothing; a proof mail's token (empty subscriber id) is answered normally and
 * changes nothing.
 */
import type { NormalisedEvent } from '../events';
import {
	eventTimeOf,
	type LinkSigner,
	type LinkTokenClaims,
	type LinkTokenFailure,
	type SqlSubscriberStore,
	subscriberWithList,
} from '../store';
import { countCampaignEvent, isRowId, lockCampaigns, resolveComplaintPause } from './campaignEvents';
import { formFields, gifResponse, htmlResponse, linkToken, redirectResponse, textResponse } from './http';
import { inRetriedTransaction, readSubscriber, WEBHOOK_ACTOR } from './record';
import type { HandlerResult, HttpRequest, HttpResponse, RecordedEvent, RecordOptions } from './types';

export interface LinkHandlerOptions extends RecordOptions {
	/** Clock in milliseconds (token expiry, event times); tests only. */
	now?: () => number;
}

type StoreSource = SqlSubscriberStore | (() => Promise<SqlSubscriberStore>);

const STATUSES_ALREADY_OUT = new Set(['unsubscribed', 'complained', 'trashed']);

function resolveStore(store: StoreSource): Promise<SqlSubscriberStore> {
	return typeof store === 'function' ? store() : Promise.resolve(store);
}

function refusal(status: number, reason: string, response: HttpResponse): HandlerResult {
	return { response, events: [], rejected: { status, reason } };
}

/** What is wrong with a link token, for the refusal record (no token contents). */
export function tokenProblem(reason: LinkTokenFailure | 'missing'): string {
	switch (reason) {
		case 'missing':
			return 'The link has no token';
		case 'expired':
			return 'The link has expired';
		case 'malformed':
			return 'The link token is malformed';
		default:
			return 'The link token does not verify (tampered or signed with another secret)';
	}
}

function verifyToken(
	signer: LinkSigner,
	purpose: 'unsubscribe' | 'open' | 'click',
	token: string | undefined,
	now: number,
): { ok: true; claims: LinkTokenClaims } | { ok: false; reason: string } {
	if (!token) return { ok: false, reason: tokenProblem('missing') };
	const verified = signer.verify(purpose, token, now);
	return verified.ok ? verified : { ok: false, reason: tokenProblem(verified.reason) };
}

function linkEvent(
	kind: 'unsubscribe' | 'open' | 'click',
	claims: LinkTokenClaims,
	recipient: string,
	occurredAt: string,
): RecordedEvent {
	const event: NormalisedEvent = {
		provider: 'link',
		eventId: `${kind}:${claims.campaignId ?? ''}:${claims.subscriberId}:${Date.parse(occurredAt)}`,
		messageId: null,
		recipient,
		kind,
		smtpStatus: null,
		diagnostic: null,
		occurredAt,
		campaignId: claims.campaignId ?? null,
		subscriberId: claims.subscriberId || null,
	};
	if (kind === 'click') event.url = claims.url ?? null;
	return {
		...event,
		duplicate: false,
		unknownRecipient: false,
		statusAfter: null,
		subscribers: [],
		suppressed: false,
		campaignCounted: false,
		campaignPaused: false,
	};
}

const INVALID_LINK_PAGE = {
	title: 'This link is not valid',
	paragraphs: [
		'The unsubscribe link could not be verified. It may have been changed or cut off by your mail program.',
		'Please use the complete link from the most recent message, or reply to the sender.',
	],
};

/**
 * Unsubscribe. POST (the RFC 8058 one-click `List-Unsubscribe=One-Click`, or the confirmation
 * page's button) unsubscribes at once; GET only shows the confirmation page, because mail
 * scanners fetch links and a GET must never change anything.
 */
export async function handleUnsubscribe(
	store: StoreSource,
	signer: LinkSigner,
	request: HttpRequest,
	options: LinkHandlerOptions = {},
): Promise<HandlerResult> {
	const method = String(request.method).toUpperCase();
	const now = options.now?.() ?? Date.now();
	const isPost = method === 'POST';
	if (!isPost && method !== 'GET') {
		return refusal(405, 'Only GET and POST are accepted', textResponse(405, 'Method not allowed'));
	}
	const form = isPost ? formFields(request) : undefined;
	const token = linkToken(request, form);
	const verified = verifyToken(signer, 'unsubscribe', token, now);
	if (!verified.ok) return refusal(403, verified.reason, htmlResponse(403, INVALID_LINK_PAGE));
	const { claims } = verified;

	if (!isPost) {
		// Read-only: show who is unsubscribed from what, and a button that posts back.
		let email = '';
		let listName = '';
		if (isRowId(claims.subscriberId)) {
			const opened = await resolveStore(store);
			const row = await subscriberWithList(opened.sql, claims.subscriberId);
			email = row ? row.email : '';
			listName = row ? row.listName : '';
		}
		const who = email ? `${email}${listName ? ` from “${listName}”` : ''}` : 'this address';
		return {
			response: htmlResponse(200, {
				title: 'Unsubscribe',
				paragraphs: [`Do you want to unsubscribe ${who}? You will not receive these messages any more.`],
				form: { action: `?t=${encodeURIComponent(token as string)}`, fields: {}, button: 'Unsubscribe' },
			}),
			events: [],
		};
	}

	const done = htmlResponse(200, {
		title: 'You are unsubscribed',
		paragraphs: ['You will not receive these messages any more.'],
	});
	if (!claims.subscriberId) return { response: done, events: [] }; // a proof mail: no one
	const occurredAt = new Date(now).toISOString();
	const actor = options.actor ?? WEBHOOK_ACTOR;
	const pause = resolveComplaintPause(options.complaintPause);
	const opened = await resolveStore(store);
	const event = await inRetriedTransaction(opened, async (tx) => {
		const result = linkEvent('unsubscribe', claims, '', occurredAt);
		await lockCampaigns(tx, [claims.campaignId ?? null], { history: true });
		const subscriber = await readSubscriber(tx, claims.subscriberId);
		if (!subscriber) return { ...result, unknownRecipient: true };
		result.recipient = subscriber.email;
		if (STATUSES_ALREADY_OUT.has(subscriber.status)) {
			result.duplicate = true;
			result.statusAfter = subscriber.status;
			result.subscribers = [{ id: subscriber.id, listId: subscriber.listId, status: subscriber.status, changed: false }];
			return result;
		}
		const applied = await opened.applyDeliveryEventIn(
			tx,
			{ type: 'unsubscribe', subscriberId: subscriber.id, occurredAt, source: 'unsubscribe-link' },
			actor,
		);
		result.subscribers = applied.subscribers.map(({ id, listId, status, changed }) => ({ id, listId, status, changed }));
		result.statusAfter = applied.subscribers[0]?.status ?? null;
		if (claims.campaignId) {
			const outcome = await countCampaignEvent(
				tx,
				{ kind: 'unsubscribe', campaignId: claims.campaignId, subscriberId: subscriber.id, occurredAt },
				pause,
				actor,
			);
			result.campaignCounted = outcome.counted;
			await opened.recordCampaignHistoryIn(tx, [
				{ campaignId: claims.campaignId, subscriberId: subscriber.id, type: 'unsubscribe', occurredAt },
			]);
		}
		return result;
	});
	return { response: done, events: [event] };
}

/** The open pixel: always a 1×1 GIF for a valid token, the open counted once per recipient. */
export async function handleOpen(
	store: StoreSource,
	signer: LinkSigner,
	request: HttpRequest,
	options: LinkHandlerOptions = {},
): Promise<HandlerResult> {
	const now = options.now?.() ?? Date.now();
	const verified = verifyToken(signer, 'open', linkToken(request), now);
	if (!verified.ok) return refusal(403, verified.reason, textResponse(403, 'Forbidden'));
	const recorded = await answeredAnyway(() => recordLinkHit(store, 'open', verified.claims, now, options, request));
	return { response: gifResponse(), ...recorded };
}

/** The click redirect: 302 to the one URL the token was signed for, the click counted. */
export async function handleClick(
	store: StoreSource,
	signer: LinkSigner,
	request: HttpRequest,
	options: LinkHandlerOptions = {},
): Promise<HandlerResult> {
	const now = options.now?.() ?? Date.now();
	const verified = verifyToken(signer, 'click', linkToken(request), now);
	if (!verified.ok) return refusal(403, verified.reason, textResponse(403, 'This link is not valid'));
	if (verified.claims.trap) {
		await recordTrapHit(store, verified.claims, now, request);
		return { response: textResponse(200, ''), events: [] };
	}
	const target = safeRedirectTarget(verified.claims.url);
	if (!target) {
		return refusal(400, 'The signed link has no http(s) target URL', textResponse(400, 'This link has no target'));
	}
	const recorded = await answeredAnyway(() => recordLinkHit(store, 'click', verified.claims, now, options, request));
	return { response: redirectResponse(target), ...recorded };
}

/**
 * A verified open or click gets its pixel or redirect even when the store cannot record it (an
 * outage, a lock held too long): the reader still reaches the page, the hit goes uncounted, and
 * the error is handed back for the log. Unsubscribes do not come here: they must not look done.
 */
async function answeredAnyway(record: () => Promise<RecordedEvent[]>): Promise<Pick<HandlerResult, 'events' | 'unrecorded'>> {
	try {
		return { events: await record() };
	} catch (error) {
		return { events: [], unrecorded: error instanceof Error ? error : new Error(String(error)) };
	}
}

/** Only absolute http(s) URLs, re-serialised (so no raw control characters reach a header). */
export function safeRedirectTarget(url: string | undefined): string | null {
	if (!url) return null;
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return null;
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
	return parsed.href;
}

/**
 * Counts an open or click against the token's campaign (once per recipient; a click also
 * counts an open). The event is a duplicate when it was counted before; with no campaign in
 * the token there is nothing to count and it is reported as it came.
 */
async function recordLinkHit(
	store: StoreSource,
	kind: 'open' | 'click',
	claims: LinkTokenClaims,
	now: number,
	options: LinkHandlerOptions,
	request: HttpRequest,
): Promise<RecordedEvent[]> {
	if (!claims.subscriberId) return []; // a proof mail: no one
	const occurredAt = new Date(now).toISOString();
	const opened = await resolveStore(store);
	const actor = options.actor ?? WEBHOOK_ACTOR;
	const pause = resolveComplaintPause(options.complaintPause);
	const event = linkEvent(kind, claims, '', occurredAt);
	if (!isRowId(claims.subscriberId)) return [{ ...event, unknownRecipient: true }];
	const campaignId = claims.campaignId && isRowId(claims.campaignId) ? claims.campaignId : null;
	if (!campaignId) {
		const subscriber = await readSubscriber(opened.sql, claims.subscriberId);
		return [withSubscriber(event, subscriber)];
	}
	return inRetriedTransaction(opened, async (tx) => {
		await lockCampaigns(tx, [campaignId], { history: true });
		const outcome = await countCampaignEvent(
			tx,
			{ kind, campaignId, subscriberId: claims.subscriberId, occurredAt },
			pause,
			actor,
		);
		// Not counted: either counted before (a repeat open or click: a duplicate) or the token's
		// subscriber is no recipient of that campaign (reported as it came).
		let duplicate = false;
		if (!outcome.counted) {
			duplicate = Boolean(await eventTimeOf(tx, campaignId, claims.subscriberId, kind === 'open' ? 'opened' : 'clicked'));
		}
		// every hit goes into the history, classified; the IP address and user agent are not kept
		await opened.recordCampaignHistoryIn(tx, [
			{
				campaignId,
				subscriberId: claims.subscriberId,
				type: kind,
				occurredAt,
				url: claims.url ?? null,
				templateUrl: claims.templateUrl ?? null,
				evidence: { userAgent: headerText(request.headers, 'user-agent'), ip: request.remoteAddress ?? null },
			},
		]);
		const subscriber = await readSubscriber(tx, claims.subscriberId);
		return [{ ...withSubscriber(event, subscriber), campaignCounted: outcome.counted, duplicate }];
	});
}

/** How the campaign report lists the hidden trap link among the message's links. */
const TRAP_LINK_LABEL = '(hidden trap link)';

/**
 * A fetch of the hidden trap link: no reader sees it, so it goes into the campaign history as a
 * machine's click (signal trap-link) and nowhere else — not the campaign's click counter, not the
 * recipient's first-click time (segments, follow-ups), not the trigger's output.
 */
async function recordTrapHit(store: StoreSource, claims: LinkTokenClaims, now: number, request: HttpRequest): Promise<void> {
	const campaignId = claims.campaignId;
	if (!campaignId || !isRowId(campaignId) || !isRowId(claims.subscriberId)) return;
	const opened = await resolveStore(store);
	await inRetriedTransaction(opened, async (tx) => {
		await lockCampaigns(tx, [campaignId], { history: true });
		await opened.recordCampaignHistoryIn(tx, [
			{
				campaignId,
				subscriberId: claims.subscriberId,
				type: 'click',
				occurredAt: new Date(now).toISOString(),
				url: null,
				templateUrl: TRAP_LINK_LABEL,
				evidence: { trapLink: true, userAgent: headerText(request.headers, 'user-agent'), ip: request.remoteAddress ?? null },
			},
		]);
	});
}

function withSubscriber(
	event: RecordedEvent,
	subscriber: Awaited<ReturnType<typeof readSubscriber>>,
): RecordedEvent {
	if (!subscriber) return { ...event, unknownRecipient: true };
	return {
		...event,
		recipient: subscriber.email,
		statusAfter: subscriber.status,
		subscribers: [{ id: subscriber.id, listId: subscriber.listId, status: subscriber.status, changed: false }],
	};
}

function headerText(headers: HttpRequest['headers'], name: string): string | null {
	for (const [key, value] of Object.entries(headers ?? {})) {
		if (key.toLowerCase() !== name) continue;
		const first = Array.isArray(value) ? value[0] : value;
		return typeof first === 'string' && first ? first : null;
	}
	return null;
}
