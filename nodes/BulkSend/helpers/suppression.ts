/**
 * Item mode's suppression check against the subscriber store. Item mode sends whatever the
 * input says, so with a store credential every recipient is checked just before the run:
 *
 * - an address on the store's suppression list is never mailed;
 * - an item that names its subscriber (`subscriberId`, as Compose Message writes it) is sent
 *   only while that subscriber is `active` (not pending, unsubscribed, bounced, complained,
 *   stopped or trashed);
 * - any other address found in the store is sent only if it is active in at least one list,
 *   and never when it bounced or complained in any list (those are facts about the address);
 * - an address the store does not know is sent (transactional mail to non-subscribers);
 * - a `pending` subscriber gets only its double opt-in confirmation message: an item that
 *   carries a confirmation mark, checked (and used up) by the recipient's `confirmation`.
 */
import type { MailingList, SqlSubscriberStore } from '../../../lib/store';

export interface RecipientToCheck {
	email: string;
	subscriberId: string | null;
	/**
	 * For an item that says it is a confirmation message: null when its mark is genuine for this
	 * message and not used before (it is used up then), else why not. Asked only when the named
	 * subscriber is pending and nothing else stops the message.
	 */
	confirmation?: () => Promise<string | null>;
}

const ADDRESS_BLOCKING = new Set(['bounced', 'complained']);

/**
 * For each recipient, why it must not be mailed, or null when it may be. Looks every address
 * up once, whatever the number of items naming it.
 */
export async function suppressionReasons(
	store: SqlSubscriberStore,
	recipients: RecipientToCheck[],
): Promise<Array<string | null>> {
	let lists: MailingList[] | null = null;
	const suppressed = new Map<string, boolean>();
	const byAddress = new Map<string, string | null>();

	const isSuppressed = async (email: string): Promise<boolean> => {
		let value = suppressed.get(email);
		if (value === undefined) {
			value = await store.isSuppressed(email);
			suppressed.set(email, value);
		}
		return value;
	};

	const addressReason = async (email: string): Promise<string | null> => {
		if (byAddress.has(email)) return byAddress.get(email) ?? null;
		lists ??= await store.getLists();
		const found: Array<{ list: MailingList; status: string }> = [];
		for (const list of lists) {
			const subscriber = await store.getSubscriber({ listId: list.id, email });
			if (subscriber) found.push({ list, status: subscriber.status });
		}
		let reason: string | null = null;
		const blocking = found.find((entry) => ADDRESS_BLOCKING.has(entry.status));
		if (blocking) {
			reason = `the address is ${blocking.status} in list '${blocking.list.name}'`;
		} else if (found.length && !found.some((entry) => entry.status === 'active')) {
			reason = `the address is ${found[0].status} in list '${found[0].list.name}' and active in no list`;
		}
		byAddress.set(email, reason);
		return reason;
	};

	const reasons: Array<string | null> = [];
	for (const recipient of recipients) {
		const email = recipient.email.trim().toLowerCase();
		if (await isSuppressed(email)) {
			reasons.push("the address is on the store's suppression list");
			continue;
		}
		if (recipient.subscriberId) {
			const subscriber = await store.getSubscriber({ id: recipient.subscriberId });
			if (subscriber && subscriber.email.toLowerCase() === email) {
				if (subscriber.status === 'pending' && recipient.confirmation) {
					const refused = await recipient.confirmation();
					reasons.push(refused === null ? null : `subscriber ${subscriber.id} is pending and ${refused}`);
					continue;
				}
				reasons.push(
					subscriber.status === 'active'
						? null
						: `subscriber ${subscriber.id} is ${subscriber.status}`,
				);
				continue;
			}
		}
		reasons.push(await addressReason(email));
	}
	return reasons;
}
