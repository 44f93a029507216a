/**
 * Records one returned message the bounce classifier read (lib/bounce classifyBounce), through
 * the same recording step as the webhooks (recordEvents: exactly once, bounce policy, campaign
 * counters, complaint brake). Used by the mailbox trigger and any other way in from a mailbox.
 *
 * Matching, most exact first: the signed VERP return path the bounce was delivered to (it names
 * campaign and subscriber, whatever the bouncing MTA did to the message); else the recipient's
 * address, with the quoted X-Bulk-Mail-Campaign/Subscriber headers counting only for the row of
 * that very address (anyone can write headers into a message sent to the bounce box). A forged
 * token ignores the whole message. Auto-replies, delays and delivery reports never count.
 */
import { createHash } from 'node:crypto';

import { readVerpAddress, type Classification, type ClassifiedRecipient, type VerpKey } from '../bounce';
import { CORRELATION_HEADERS, type DeliveryEventKind, type NormalisedEvent } from '../events';
import type { SqlSubscriberStore } from '../store';
import { recordEvents } from './record';
import type { RecordedEvent, RecordOptions } from './types';

export interface ReturnedMailOptions extends RecordOptions {
	/** The store credential's signing secret (or a LinkSigner), to read VERP return paths. */
	verpSecret?: VerpKey | null;
	/** The returned message's own Message-ID: with the recipient, the id that records it once. */
	bounceMessageId?: string | null;
	/** When the message arrived (ISO 8601); now by default. */
	receivedAt?: string;
}

export interface ReturnedMailResult {
	outcome: 'recorded' | 'ignored';
	/** Why nothing was recorded (ignored), in plain words. */
	reason: string | null;
	/** How the bounce was tied to the store. */
	matchedBy: 'verp' | 'address' | null;
	events: RecordedEvent[];
}

const NOT_COUNTED: Partial<Record<Classification['type'], string>> = {
	'auto-reply': 'an auto-reply (vacation, out of office) is not a bounce',
	delayed: 'a delay report: the receiving side is still trying',
	delivered: 'a delivery report of a successful delivery',
	'not-bounce': 'not a bounce, complaint or delivery report',
};

function ignored(reason: string): ReturnedMailResult {
	return { outcome: 'ignored', reason, matchedBy: null, events: [] };
}

/** A stable id per (returned message, recipient): the same message seen again records nothing. */
function eventIdBase(classification: Classification, bounceMessageId: string | null | undefined): string {
	const given = bounceMessageId?.trim().replace(/^<|>$/g, '');
	if (given) return `mail:${given.slice(0, 300)}`;
	const digest = createHash('sha256')
		.update(JSON.stringify([classification.type, classification.returnPath, classification.original?.messageId ?? null, classification.recipients]))
		.digest('hex');
	return `mail:sha256:${digest}`;
}

function kindOf(recipient: ClassifiedRecipient): DeliveryEventKind {
	return recipient.kind;
}

/**
 * Records a classified returned message. Never throws for the message's content: what cannot be
 * recorded comes back `ignored` with the reason; a store error propagates (retry the message).
 */
export async function recordReturnedMail(
	store: SqlSubscriberStore,
	classification: Classification,
	options: ReturnedMailOptions = {},
): Promise<ReturnedMailResult> {
	const skip = NOT_COUNTED[classification.type];
	if (skip) return ignored(skip);
	if (!classification.recipients.length) return ignored(`a ${classification.type} that names no recipient`);
	const occurredAt = options.receivedAt ? new Date(options.receivedAt).toISOString() : new Date().toISOString();
	const base = eventIdBase(classification, options.bounceMessageId);
	const original = classification.original;
	const quoted = original?.headers ?? {};
	const event = (recipient: ClassifiedRecipient, address: string, ids: { campaignId: string | null; subscriberId: string | null }): NormalisedEvent => ({
		provider: 'dsn',
		eventId: `${base}:${address.toLowerCase()}`,
		messageId: original?.messageId ?? null,
		recipient: address,
		kind: kindOf(recipient),
		reason: recipient.reason,
		smtpStatus: recipient.status ?? recipient.replyCode,
		diagnostic: recipient.diagnostic,
		occurredAt,
		...ids,
	});

	const reading = options.verpSecret && classification.returnPath ? readVerpAddress(classification.returnPath, options.verpSecret) : null;
	if (reading?.status === 'forged') {
		return ignored(`the return path ${classification.returnPath} looks like ours but ${reading.reason}: nothing was changed`);
	}
	if (reading?.status === 'ok') {
		// One message went to one subscriber: the token says who, whatever address the bounce names.
		const subscriber = await store.getSubscriber({ id: reading.subscriberId });
		if (!subscriber) return ignored(`the VERP token names subscriber ${reading.subscriberId}, who is not in this store`);
		const events = [event(classification.recipients[0], subscriber.email, reading)];
		return { outcome: 'recorded', reason: null, matchedBy: 'verp', events: await recordEvents(store, events, options) };
	}

	const headerIds = {
		campaignId: quoted[CORRELATION_HEADERS.campaignId.toLowerCase()]?.trim() || null,
		subscriberId: quoted[CORRELATION_HEADERS.subscriberId.toLowerCase()]?.trim() || null,
	};
	const seen = new Set<string>();
	const events: NormalisedEvent[] = [];
	for (const recipient of classification.recipients) {
		const address = recipient.address.trim();
		if (!address.includes('@') || seen.has(address.toLowerCase())) continue;
		seen.add(address.toLowerCase());
		events.push(event(recipient, address, headerIds));
	}
	if (!events.length) return ignored('no recipient of the message is an e-mail address');
	const recorded = await recordEvents(store, events, options);
	const unknown = recorded.every((entry) => entry.unknownRecipient && !entry.duplicate);
	return {
		outcome: 'recorded',
		reason: unknown ? 'no subscriber of this store has the address(es) it names' : null,
		matchedBy: 'address',
		events: recorded,
	};
}
