import {
	confirmSubscription,
	EventConfigError,
	verifyAndParse,
	type CommonVerifyOptions,
	type ProviderConfigs,
	type SnsTransportOptions,
	type WebhookProvider,
} from '../events';
import type { SqlSubscriberStore } from '../store';
import { jsonResponse } from './http';
import { recordEvents } from './record';
import type { HandlerResult, HttpRequest, RecordedEvent, RecordOptions } from './types';

export type EventsConfig<P extends WebhookProvider> = ProviderConfigs[P] & CommonVerifyOptions;

export interface EventsHandlerOptions extends RecordOptions {
	/** How the SNS SubscribeURL is fetched (tests point it at a local HTTPS server). */
	snsTransport?: SnsTransportOptions;
}

/**
 * The provider events endpoint. Verifies the request (signature, timestamp, replay, size)
 * before anything else; a refused request records nothing. Verified events are recorded in
 * one transaction (exactly once per provider event id) and answered 200 with the counts.
 *
 * Answers: 200 recorded (or handshake answered) · 400 malformed · 401 bad or stale signature ·
 * 403 not accepted (e.g. SNS topic) · 405 not POST · 413 too large · 502 SNS confirmation
 * failed · 503 store (or signing certificate) unreachable, retry later.
 * Throws EventConfigError when the provider's secrets are not configured.
 */
export async function handleEventsRequest<P extends WebhookProvider>(
	store: SqlSubscriberStore | (() => Promise<SqlSubscriberStore>),
	provider: P,
	request: HttpRequest,
	config: EventsConfig<P>,
	options: EventsHandlerOptions = {},
): Promise<HandlerResult> {
	const verified = await verifyAndParse(
		provider,
		{ method: request.method, headers: request.headers ?? {}, rawBody: request.rawBody as Buffer },
		config,
	);
	if (!verified.ok) {
		return {
			response: jsonResponse(verified.status, { ok: false, error: verified.reason }),
			events: [],
			rejected: { status: verified.status, reason: verified.reason },
		};
	}

	if (verified.subscription) {
		const handshake = verified.subscription;
		if (handshake.type !== 'SubscriptionConfirmation') {
			return {
				response: jsonResponse(200, { ok: true, subscription: handshake.type }),
				events: [],
				subscription: { ...handshake, confirmed: false },
			};
		}
		try {
			await confirmSubscription(handshake, { ...(config as SnsTransportOptions), ...options.snsTransport });
		} catch (error) {
			return {
				response: jsonResponse(502, { ok: false, error: error.message }),
				events: [],
				subscription: { ...handshake, confirmed: false, error: error.message },
			};
		}
		return {
			response: jsonResponse(200, { ok: true, subscription: 'confirmed', topicArn: handshake.topicArn }),
			events: [],
			subscription: { ...handshake, confirmed: true },
		};
	}

	let recorded;
	let warning: string | undefined;
	const onHistoryFailure = (error: Error, events: number) => {
		warning = historyWarning(error, events);
		options.onHistoryFailure?.(error, events);
	};
	try {
		const opened = typeof store === 'function' ? await store() : store;
		recorded = await recordEvents(opened, verified.events, { ...options, onHistoryFailure });
	} catch (error) {
		if (error instanceof EventConfigError) throw error;
		return {
			response: jsonResponse(503, { ok: false, error: 'The subscriber store is unavailable; retry later' }),
			events: [],
			rejected: { status: 503, reason: `Store error: ${safeMessage(error)}` },
		};
	}
	const duplicates = recorded.filter((event) => event.duplicate).length;
	const unknown = recorded.filter((event) => event.unknownRecipient).length;
	const reply = verified.reply;
	const response = reply
		? {
				status: reply.status,
				headers: { 'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8' },
				body: reply.body ?? '',
			}
		: jsonResponse(200, {
				ok: true,
				received: recorded.length,
				recorded: recorded.length - duplicates,
				duplicates,
				unknownRecipients: unknown,
				ignored: verified.ignored.length,
			});
	return { response, events: recorded, ignored: verified.ignored, ...(warning ? { warning } : {}) };
}

/** The log line for a batch whose events were recorded but whose report history was not. */
export function historyWarning(error: Error, events: number): string {
	return `recorded and counted ${events} event(s), but the campaign report's event history of them could not be written, so the report's timeline lacks them: ${safeMessage(error)}`;
}

/** An error message without anything that looks like a connection string or password. */
export function safeMessage(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.replace(/\b[a-z]+:\/\/[^\s]*/gi, '<url>').slice(0, 300);
}

/**
 * Which recorded events start a workflow execution: new (not duplicate) events of the chosen
 * kinds, for addresses the store knows. An event for an address that is not in the store changed
 * nothing and is only acknowledged, unless the operator asked for those too (anyone can post a
 * correctly signed event for any address the sender ever mailed, or a click on an old link).
 */
export function eventsToStart<E extends RecordedEvent>(
	events: readonly E[],
	kinds: readonly string[],
	options: { unknownRecipients?: boolean } = {},
): E[] {
	return events.filter(
		(event) =>
			!event.duplicate &&
			kinds.includes(event.kind) &&
			(!event.unknownRecipient || options.unknownRecipients === true),
	);
}
