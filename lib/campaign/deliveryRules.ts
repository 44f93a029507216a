/**
 * The rules of sending for messages that do not come from a campaign's send log (Bulk Send's
 * item mode and proofs): who may be mailed, the double opt-in exception, and what a refused
 * recipient means for the store. Campaign runs apply the same rules inside their send log.
 *
 * - an address on the store's suppression list is never mailed;
 * - a message that names its subscriber (`subscriberId`, as Compose Message writes it) is sent
 *   only while that subscriber is `active` (not pending, unsubscribed, bounced, complained,
 *   stopped or trashed);
 * - any other address found in the store is sent only if it is active in at least one list,
 *   and never when it bounced or complained in any list (those are facts about the address);
 * - an address the store does not know is sent (transactional mail to non-subscribers);
 * - a `pending` subscriber gets only its double opt-in confirmation message: one that carries a
 *   genuine, unexpired, unused confirmation mark for exactly that message (used up here).
 */
import type { ComposedMessage } from '../compose';
import { consumeConfirmation, verifyConfirmationMark } from '../optin';
import { bounceOf, type SendResult } from '../send';
import type { Actor, MailingList, SqlSubscriberStore } from '../store';

export interface RecipientToCheck {
	email: string;
	subscriberId: string | null;
	/** The message as given and its confirmation mark, for an item that says it is one. */
	confirmation?: { message: ComposedMessage; mark: unknown };
}

const ADDRESS_BLOCKING = new Set(['bounced', 'complained']);

/**
 * Why a pending subscriber must not get this message, or null: the mark must be genuine for
 * exactly this message (Subscriber List → Send Confirmation sealed it) and not used before; it
 * is used up here, so the confirmation goes out once.
 */
async function confirmationRefusal(
	store: SqlSubscriberStore,
	linkSecret: string | null,
	confirmation: { message: ComposedMessage; mark: unknown },
): Promise<string | null> {
	const check = verifyConfirmationMark(linkSecret, confirmation.message, confirmation.mark);
	if (!check.ok) return `the item is not its confirmation message: ${check.reason}`;
	const fresh = await consumeConfirmation(store, confirmation.message.to.address, check.mark.nonce);
	return fresh ? null : 'this confirmation message was sent already, or a newer one replaced it';
}

/** Looks each address up once, however many recipients name it. */
class AddressLookup {
	private lists: MailingList[] | null = null;
	private readonly suppressed = new Map<string, boolean>();
	private readonly reasons = new Map<string, string | null>();

	constructor(private readonly store: SqlSubscriberStore) {}

	async isSuppressed(email: string): Promise<boolean> {
		let value = this.suppressed.get(email);
		if (value === undefined) {
			value = await this.store.isSuppressed(email);
			this.suppressed.set(email, value);
		}
		return value;
	}

	/** Why an address the message does not tie to one subscriber must not be mailed, or null. */
	async addressRefusal(email: string): Promise<string | null> {
		if (this.reasons.has(email)) return this.reasons.get(email) ?? null;
		this.lists ??= await this.store.getLists();
		const found: Array<{ list: MailingList; status: string }> = [];
		for (const list of this.lists) {
			const subscriber = await this.store.getSubscriber({ listId: list.id, email });
			if (subscriber) found.push({ list, status: subscriber.status });
		}
		let reason: string | null = null;
		const blocking = found.find((entry) => ADDRESS_BLOCKING.has(entry.status));
		if (blocking) {
			reason = `the address is ${blocking.status} in list '${blocking.list.name}'`;
		} else if (found.length && !found.some((entry) => entry.status === 'active')) {
			reason = `the address is ${found[0].status} in list '${found[0].list.name}' and active in no list`;
		}
		this.reasons.set(email, reason);
		return reason;
	}
}

/**
 * For each recipient, why it must not be mailed, or null when it may be. `linkSecret` is the
 * store's link-signing secret, which seals confirmation marks.
 */
export async function deliveryRefusals(
	store: SqlSubscriberStore,
	recipients: RecipientToCheck[],
	linkSecret: string | null = null,
): Promise<Array<string | null>> {
	const lookup = new AddressLookup(store);
	const reasons: Array<string | null> = [];
	for (const recipient of recipients) {
		const email = recipient.email.trim().toLowerCase();
		if (await lookup.isSuppressed(email)) {
			reasons.push("the address is on the store's suppression list");
			continue;
		}
		const subscriber = recipient.subscriberId
			? await store.getSubscriber({ id: recipient.subscriberId })
			: null;
		if (!subscriber || subscriber.email.toLowerCase() !== email) {
			reasons.push(await lookup.addressRefusal(email));
		} else if (subscriber.status === 'pending' && recipient.confirmation) {
			const refused = await confirmationRefusal(store, linkSecret, recipient.confirmation);
			reasons.push(refused === null ? null : `subscriber ${subscriber.id} is pending and ${refused}`);
		} else {
			reasons.push(subscriber.status === 'active' ? null : `subscriber ${subscriber.id} is ${subscriber.status}`);
		}
	}
	return reasons;
}

/** A sent message's outcome with the recipient it was for. */
export interface SendOutcome {
	result: SendResult;
	to: string;
	subscriberId: string | null;
}

/**
 * Records what refused recipients mean through the store's bounce policy: a hard bounce for a
 * recipient the server refused for good, a soft one for one still deferred after the last retry
 * (lib/send bounceOf decides). Returns the outcomes that could not be recorded, with why; the
 * others are in the store.
 */
export async function applySendBounces(
	store: SqlSubscriberStore,
	outcomes: SendOutcome[],
	actor: Actor,
): Promise<Array<{ outcome: SendOutcome; error: string }>> {
	const unrecorded: Array<{ outcome: SendOutcome; error: string }> = [];
	for (const outcome of outcomes) {
		// every kind is recorded with its reason; the store's policy never holds a sender one against the subscriber
		const bounce = bounceOf(outcome.result);
		if (!bounce) continue;
		try {
			await store.applyDeliveryEvent(
				{
					type: bounce.kind,
					reason: bounce.reason,
					subscriberId: outcome.subscriberId,
					email: outcome.subscriberId ? null : outcome.to,
					diagnostic: bounce.diagnostic,
					source: 'bulk-send',
				},
				actor,
			);
		} catch (error) {
			unrecorded.push({ outcome, error: error instanceof Error ? error.message : String(error) });
		}
	}
	return unrecorded;
}
