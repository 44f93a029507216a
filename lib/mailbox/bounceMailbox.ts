/**
 * The bounce mailbox: every message in the folder is classified (lib/bounce classifyBounce), what
 * it reports is recorded by the one recording step every way in shares (lib/webhook
 * recordReturnedMail: VERP matching, exactly-once, bounce policy, campaign counters), and the
 * message moves on. This module only joins the IMAP reading to those two.
 *
 * Seen twice — a copy put back, a message that reached the folder twice, a poll that died
 * between recording and moving — a message is recorded once: its own Message-ID, with each
 * recipient, is the event id the store applies once.
 */
import { classifyBounce, type Classification } from '../bounce';
import type { Actor, SqlSubscriberStore } from '../store';
import { recordReturnedMail, type ReturnedMailResult } from '../webhook';
import { drainMailbox } from './imapMailbox';
import { bounceMessageIdOf, unreadableReason } from './messageKey';
import type { DrainReport, MailboxMessage, MailboxSettings, MessageOutcome, MessageVerdict } from './types';

export interface BounceMailboxOptions {
	actor: Actor;
	/** The store credential's signing secret: reads the VERP return paths (forged ones are refused). */
	verpSecret?: string | null;
	/** Classify a few messages without recording or moving anything ("Fetch Test Event"). */
	preview?: boolean;
	/** Told when a recorded bounce's report history could not be written (lib/webhook RecordOptions). */
	onHistoryFailure?: (error: Error, events: number) => void;
}

/** What one readable message was, and what the store did with it. */
export interface ReadMessage {
	/** The returned message's own Message-ID, when it has one. */
	messageId: string | null;
	type: Classification['type'];
	format: Classification['format'];
	recipients: Classification['recipients'];
	returnPath: Classification['returnPath'];
	note: string | null;
	/** What the store did; null in a preview. */
	recorded: ReturnedMailResult | null;
}

interface Where {
	uid: number;
	movedTo: string;
	size: number;
	truncated: boolean;
}

export type BounceMailboxOutcome = (ReadMessage & Where) | ({ type: 'unreadable'; reason: string } & Where);

export interface BounceMailboxReport {
	outcomes: BounceMailboxOutcome[];
	remaining: number;
	stopped?: DrainReport<unknown>['stopped'];
}

const PREVIEW_MESSAGES = 5;

async function readOne(
	store: SqlSubscriberStore,
	message: MailboxMessage,
	options: BounceMailboxOptions,
): Promise<MessageVerdict<ReadMessage>> {
	const unreadable = unreadableReason(message.source);
	if (unreadable) return { disposition: 'unreadable', reason: unreadable };
	let classification: Classification;
	try {
		classification = classifyBounce(message.source);
	} catch (error) {
		// The message's content tripped the reader: set it aside rather than retry it forever.
		return { disposition: 'unreadable', reason: `the bounce reader failed on it: ${(error as Error).message}` };
	}
	const messageId = bounceMessageIdOf(message.source);
	const recorded = options.preview
		? null
		: await recordReturnedMail(store, classification, {
				actor: options.actor,
				verpSecret: options.verpSecret || null,
				bounceMessageId: messageId,
				onHistoryFailure: options.onHistoryFailure,
			});
	return {
		disposition: 'processed',
		result: {
			messageId,
			type: classification.type,
			format: classification.format,
			recipients: classification.recipients,
			returnPath: classification.returnPath,
			note: classification.note ?? null,
			recorded,
		},
	};
}

function toOutcome(outcome: MessageOutcome<ReadMessage>): BounceMailboxOutcome {
	const where: Where = { uid: outcome.uid, movedTo: outcome.movedTo, size: outcome.size, truncated: outcome.truncated };
	if (outcome.disposition === 'unreadable') return { type: 'unreadable', reason: outcome.reason, ...where };
	return { ...outcome.result, ...where };
}

/** Reads the bounce mailbox once: one outcome per message, in the order they arrived. */
export async function readBounceMailbox(
	settings: MailboxSettings,
	store: SqlSubscriberStore,
	options: BounceMailboxOptions,
): Promise<BounceMailboxReport> {
	const report = await drainMailbox(settings, (message) => readOne(store, message, options), {
		move: !options.preview,
		maxMessages: options.preview ? PREVIEW_MESSAGES : undefined,
	});
	return { outcomes: report.outcomes.map(toOutcome), remaining: report.remaining, stopped: report.stopped };
}
