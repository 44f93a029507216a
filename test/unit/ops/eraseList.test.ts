/**
 * Erasing a list entirely, on both backends: no personal data of its people left in any table
 * (on SQLite, not even in the file's bytes), suppression hashes kept so they are never mailed
 * again, the other list untouched, everything audited.
 */
import { existsSync, readFileSync } from 'node:fs';
import { eraseList } from '../../../lib/ops';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { BACKENDS, storeFixture, type Backend, type StoreFixture } from '../../helpers/stores';
import { NEWSLETTER_PEOPLE, OTHER_PERSON, seedCustomer, type Customer } from './customer';
import { actor } from './helpers';

jest.setTimeout(60_000);

/** What must not survive anywhere: each person's address (any case), name and custom values. */
const PERSONAL = NEWSLETTER_PEOPLE.flatMap((person) => [
	person.email,
	person.email.split('@')[0],
	...(person.name.startsWith('=') ? ['HYPERLINK'] : [person.name]),
	...Object.values(person.fields),
]);

/** Every row of every table of the store, as text. */
async function everyTableAsText(store: SqlSubscriberStore, backend: Backend): Promise<string> {
	const tables =
		backend === 'sqlite'
			? await store.sql.all("SELECT name FROM sqlite_master WHERE type = 'table'")
			: await store.sql.all('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()');
	expect(tables.length).toBeGreaterThanOrEqual(7);
	const parts: string[] = [];
	for (const { name } of tables) {
		parts.push(JSON.stringify(await store.sql.all(`SELECT * FROM "${String(name)}"`)));
	}
	return parts.join('\n');
}

function expectNothingPersonal(text: string): void {
	const lower = text.toLowerCase();
	for (const value of PERSONAL) expect({ value, found: lower.includes(value.toLowerCase()) }).toEqual({ value, found: false });
}

describe.each(BACKENDS)('erase a list entirely on %s', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let customer: Customer;

	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
		customer = await seedCustomer(store);
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
	});

	it('removes every trace of its people from every table, keeps their suppression hashes, and audits it', async () => {
		// Before: the data is there (so the checks below can fail).
		const before = await everyTableAsText(store, backend);
		expect(before.toLowerCase()).toContain('alice.anders@example.org');
		expect(before).toContain('<bounce.me@example.org>');
		expect(before).toContain('Carol Quitter');

		const result = await eraseList(store, 'Newsletter', actor, { batchSize: 2 });
		expect(result).toMatchObject({
			listId: customer.newsletterId,
			name: 'Newsletter',
			subscribersErased: NEWSLETTER_PEOPLE.length,
			// Alice was suppressed already and Erin erased before: their hashes existed.
			suppressionsAdded: NEWSLETTER_PEOPLE.length - 2,
			walCheckpointed: backend === 'sqlite' ? true : null,
			compacted: false,
		});
		// Bob's "250 OK" and Bounce's "550 … <address>" replies are gone; Alice was skipped with a reason.
		expect(result.sendLogRedacted).toBe(3);

		expectNothingPersonal(await everyTableAsText(store, backend));
		expect(await store.getList(customer.newsletterId)).toBeNull();
		expect(await store.countSubscribers({ listId: customer.newsletterId, includeTrashed: true })).toBe(0);

		// Never mailed again: each address is still suppressed, by hash only.
		for (const person of NEWSLETTER_PEOPLE) expect(await store.isSuppressed(person.email)).toBe(true);
		const suppressions = (await store.getSuppressions({ limit: 100 })).items;
		for (const person of NEWSLETTER_PEOPLE) {
			expect(suppressions.find((entry) => entry.hash === store.hashEmail(person.email))).toMatchObject({ email: null });
		}
		const again = await store.upsertSubscriber(customer.customersId, { email: 'ALICE.anders@example.org' }, {}, actor);
		expect(again.outcome).toBe('skipped-suppressed');

		// The other list and the campaign's record stay.
		expect(await store.getSubscriber({ listId: customer.customersId, email: OTHER_PERSON.email })).toMatchObject({ name: OTHER_PERSON.name });
		const campaign = await store.sql.get('SELECT sent, failed FROM campaigns WHERE id = ?', [customer.campaignId]);
		expect([Number(campaign!.sent), Number(campaign!.failed)]).toEqual([1, 1]);
		const log = await store.sql.all('SELECT state, response_code FROM send_log WHERE campaign_id = ? ORDER BY subscriber_id', [customer.campaignId]);
		expect(log.map((row) => row.state).sort()).toEqual(['failed', 'sent', 'skipped']);

		// Audited: the list erase with its counts, and each subscriber.
		const listAudit = await store.getAuditLog({ action: 'list.erase' }, { limit: 10 });
		expect(listAudit.items).toHaveLength(1);
		expect(listAudit.items[0]).toMatchObject({
			entityType: 'list',
			entityId: customer.newsletterId,
			actor: { type: 'test', id: 'ops-tests' },
			details: { name: 'Newsletter', subscribersErased: 6, suppressionsAdded: 4, sendLogRedacted: 3 },
		});
		for (const id of customer.ids.values()) {
			const entries = await store.getAuditLog({ entityId: id, action: 'subscriber.erase' }, { limit: 10 });
			expect(entries.items.some((entry) => entry.details.via === 'list.erase')).toBe(true);
		}
		await expect(eraseList(store, 'Newsletter', actor)).rejects.toThrow("There is no list named or numbered 'Newsletter'");
	});

	if (backend === 'sqlite') {
		for (const compact of [false, true]) {
			it(`leaves no personal data in the file's bytes (${compact ? 'with VACUUM' : 'secure delete and checkpoint alone'})`, async () => {
				const file = (await store.info()).location;
				const bytesOf = () => Buffer.concat([readFileSync(file), existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0)]).toString('latin1');
				expect(bytesOf()).toContain('alice.anders@example.org');

				const result = await eraseList(store, customer.newsletterId, actor, { compact });
				expect(result).toMatchObject({ compacted: compact, walCheckpointed: true });
				const bytes = bytesOf();
				expectNothingPersonal(bytes);
				// The grep does find what is still there: the other list's person.
				expect(bytes).toContain(OTHER_PERSON.email);
				expect(bytes).toContain(OTHER_PERSON.name);
			});
		}
	}
});
