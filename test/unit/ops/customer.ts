import { createCampaign, runCampaign } from '../../../lib/campaign';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { smtpSettingsFor, startSmtpServer } from '../../helpers/smtp';
import { actor } from './helpers';

/** The people of the list that gets erased: every place their data can end up is exercised. */
export const NEWSLETTER_PEOPLE = [
	{ email: 'alice.anders@example.org', name: 'Alice Anders', fields: { city: 'Osaka', phone: '+81 6 1234 5678' } },
	{ email: 'bob.formula@example.org', name: '=HYPERLINK("http://evil.example","Bob")', fields: { note: '@SUM(A1:A2)' } },
	{ email: 'carol.quit@example.org', name: 'Carol Quitter', fields: {} },
	{ email: 'dave.trash@example.org', name: 'Dave Trashman', fields: {} },
	{ email: 'erin.erased@example.org', name: 'Erin Erased', fields: {} },
	{ email: 'bounce.me@example.org', name: 'Bounce Person', fields: {} },
];

export const OTHER_PERSON = { email: 'frank.keeper@example.com', name: 'Frank Keeper' };
export const SPAM_TRAP = 'spam.trap@example.net';

export interface Customer {
	newsletterId: string;
	customersId: string;
	campaignId: string;
	/** Subscriber ids by e-mail (the erased one under its original address). */
	ids: Map<string, string>;
}

/**
 * A store as a customer leaves it after a while: two lists, subscribers in several statuses
 * (one erased already), suppressions with and without the address, a campaign that was sent —
 * one recipient refused by the SMTP server with a reply that quotes the address — and the audit
 * log of all of it.
 */
export async function seedCustomer(store: SqlSubscriberStore): Promise<Customer> {
	const newsletter = await store.createList({ name: 'Newsletter', description: 'Monthly news' }, actor);
	const customers = await store.createList({ name: 'Customers' }, actor);
	const ids = new Map<string, string>();
	for (const person of NEWSLETTER_PEOPLE) {
		const result = await store.upsertSubscriber(newsletter.id, { ...person, source: 'signup-form' }, {}, actor);
		ids.set(person.email, result.subscriber!.id);
	}
	await store.upsertSubscriber(customers.id, { ...OTHER_PERSON, source: 'crm' }, {}, actor);
	await store.setStatus(ids.get('carol.quit@example.org')!, 'unsubscribed', { reason: 'link' }, actor);
	await store.setStatus(ids.get('dave.trash@example.org')!, 'trashed', {}, actor);
	await store.eraseSubscriber(ids.get('erin.erased@example.org')!, actor);
	await store.suppress(SPAM_TRAP, 'spam-trap', 'manual', actor);
	// Suppressed with the clear address kept, before the list is erased.
	await store.suppress('alice.anders@example.org', 'manual', 'operator', actor);

	const server = await startSmtpServer({
		keepRaw: false,
		script: ({ stage, address }) =>
			stage === 'rcpt' && address.startsWith('bounce.me@')
				? { reply: 550, message: `5.1.1 <${address}>: Recipient address rejected: User unknown` }
				: undefined,
	});
	try {
		const campaign = await createCampaign(
			store,
			{
				name: 'November news',
				listId: newsletter.id,
				template: { subject: 'News for {{ name }}', html: '<p>Hello {{ name }}</p>', from: 'News <news@sender.example>' },
			},
			actor,
		);
		const summary = await runCampaign(store, campaign.id, { smtp: smtpSettingsFor(server), batchSize: 2 });
		if (summary.outcome !== 'finished') throw new Error(`seed campaign: ${summary.message}`);
		return { newsletterId: newsletter.id, customersId: customers.id, campaignId: campaign.id, ids };
	} finally {
		await server.close();
	}
}
