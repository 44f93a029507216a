/**
 * The store contract: one suite, run against every backend (sqlite.test.ts, postgres.test.ts),
 * so both behave the same.
 */
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { LATEST_SCHEMA_VERSION } from '../../lib/store/migrations';
import { StoreError, type Actor } from '../../lib/store/types';
import { storeFixture, type Backend, type StoreFixture } from '../helpers/stores';

const actor: Actor = { type: 'test', id: 'contract' };

export function storeContract(backend: Backend): void {
	describe(`subscriber store contract (${backend})`, () => {
		let fixture: StoreFixture;
		let store: SqlSubscriberStore;

		beforeEach(async () => {
			fixture = storeFixture(backend);
			store = await fixture.open();
		});

		afterEach(async () => {
			await store.close();
			await fixture.cleanup();
		});

		describe('lists', () => {
			it('creates, finds by id or name, renames and refuses duplicate names', async () => {
				const list = await store.createList({ name: 'Newsletter', description: 'weekly' }, actor);
				expect(list).toMatchObject({ name: 'Newsletter', description: 'weekly' });
				expect((await store.getList(list.id))?.name).toBe('Newsletter');
				expect((await store.getList('newsletter'))?.id).toBe(list.id);
				await expect(store.createList({ name: 'NEWSLETTER' }, actor)).rejects.toThrow(/already exists/);
				const renamed = await store.renameList(list.id, 'Weekly', actor);
				expect(renamed.name).toBe('Weekly');
				expect(await store.getList('Newsletter')).toBeNull();
				expect((await store.getLists()).map((l) => l.name)).toEqual(['Weekly']);
			});

			it('deletes a list with its subscribers and audits it', async () => {
				const list = await store.createList({ name: 'Doomed' }, actor);
				await store.bulkUpsert(list.id, [{ email: 'a@example.com' }, { email: 'b@example.com' }], {}, actor);
				expect(await store.deleteList(list.id, actor)).toEqual({ deleted: true, subscribers: 2 });
				expect(await store.getList(list.id)).toBeNull();
				expect(await store.countSubscribers({ includeTrashed: true })).toBe(0);
				const audit = await store.getAuditLog({ entityId: list.id, action: 'list.delete' }, { limit: 10 });
				expect(audit.items).toHaveLength(1);
				expect(audit.items[0].details).toMatchObject({ subscribersRemoved: 2 });
				await expect(store.deleteList(list.id, actor)).rejects.toThrow(/no list with id/);
			});
		});

		describe('subscribers', () => {
			it('creates, updates (merging fields) and reports unchanged', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const created = await store.upsertSubscriber(list.id, { email: 'ann@example.com', name: 'Ann', fields: { city: 'Osaka' } }, {}, actor);
				expect(created.outcome).toBe('created');
				expect(created.subscriber).toMatchObject({ email: 'ann@example.com', name: 'Ann', status: 'active', fields: { city: 'Osaka' } });
				const updated = await store.upsertSubscriber(list.id, { email: 'ann@example.com', fields: { plan: 'gold' } }, {}, actor);
				expect(updated.outcome).toBe('updated');
				expect(updated.subscriber?.fields).toEqual({ city: 'Osaka', plan: 'gold' });
				expect(updated.subscriber?.name).toBe('Ann');
				const same = await store.upsertSubscriber(list.id, { email: 'ann@example.com', name: 'Ann' }, {}, actor);
				expect(same.outcome).toBe('unchanged');
			});

			it('compares the domain case-insensitively but keeps the local part', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await store.upsertSubscriber(list.id, { email: 'Bob@Example.COM' }, {}, actor);
				const again = await store.upsertSubscriber(list.id, { email: 'Bob@example.com', name: 'Bob' }, {}, actor);
				expect(again.outcome).toBe('updated');
				const other = await store.upsertSubscriber(list.id, { email: 'bob@example.com' }, {}, actor);
				expect(other.outcome).toBe('created');
				expect(await store.countSubscribers({ listId: list.id })).toBe(2);
				expect((await store.getSubscriber({ listId: list.id, email: 'Bob@EXAMPLE.com' }))?.name).toBe('Bob');
			});

			it('names a bad address in the error', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await expect(store.upsertSubscriber(list.id, { email: 'bob@' }, {}, actor)).rejects.toThrow("'bob@' is not a valid e-mail address");
				await expect(store.upsertSubscriber('999999', { email: 'a@example.com' }, {}, actor)).rejects.toThrow(/no list with id '999999'/);
			});

			it('pages in a stable order and filters by status, search and custom field', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const rows = Array.from({ length: 25 }, (_, i) => ({
					email: `user${String(i).padStart(2, '0')}@example.com`,
					name: i % 5 === 0 ? `Tanaka ${i}` : `User ${i}`,
					fields: { plan: i % 2 ? 'gold' : 'free' },
				}));
				await store.bulkUpsert(list.id, rows, {}, actor);
				const seen: string[] = [];
				let cursor: string | null = null;
				do {
					const page = await store.getSubscribers({ listId: list.id }, { limit: 10, cursor });
					seen.push(...page.items.map((s) => s.email));
					cursor = page.next;
				} while (cursor);
				expect(seen).toEqual(rows.map((r) => r.email));
				expect((await store.getSubscribers({ search: 'tanaka' }, { limit: 100 })).items).toHaveLength(5);
				expect((await store.getSubscribers({ search: '_' }, { limit: 100 })).items).toHaveLength(0);
				expect(await store.countSubscribers({ field: { name: 'plan', value: 'gold' } })).toBe(12);
				const first = (await store.getSubscribers({ listId: list.id }, { limit: 1 })).items[0];
				await store.setStatus(first.id, 'stopped', {}, actor);
				expect(await store.countSubscribers({ listId: list.id, status: 'stopped' })).toBe(1);
				expect(await store.countSubscribers({ listId: list.id, status: ['active', 'stopped'] })).toBe(25);
				await expect(store.getSubscribers({ status: 'gone' as never }, { limit: 1 })).rejects.toThrow(/not a subscriber status/);
			});

			it('updates a subscriber and refuses an address already on the list', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const a = (await store.upsertSubscriber(list.id, { email: 'a@example.com' }, {}, actor)).subscriber!;
				await store.upsertSubscriber(list.id, { email: 'b@example.com' }, {}, actor);
				const changed = await store.updateSubscriber(a.id, { name: 'Alice', fields: { x: 1 } }, actor);
				expect(changed).toMatchObject({ name: 'Alice', fields: { x: 1 } });
				await expect(store.updateSubscriber(a.id, { email: 'b@example.com' }, actor)).rejects.toThrow(/already on this list/);
			});
		});

		describe('consent safety', () => {
			it('never reactivates an unsubscribed, bounced or complained address without explicit consent', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				for (const status of ['unsubscribed', 'bounced', 'complained'] as const) {
					const email = `${status}@example.com`;
					const s = (await store.upsertSubscriber(list.id, { email }, {}, actor)).subscriber!;
					await store.setStatus(s.id, status, {}, actor);
					const upsert = await store.upsertSubscriber(list.id, { email, status: 'active' }, {}, actor);
					expect(upsert.statusKept).toBe(status);
					expect(upsert.subscriber?.status).toBe(status);
					await expect(store.setStatus(s.id, 'active', {}, actor)).rejects.toThrow(/needs explicit consent/);
					await expect(store.updateSubscriber(s.id, { status: 'active' }, actor)).rejects.toThrow(StoreError);
					const bulk = await store.bulkUpsert(list.id, [{ email, status: 'active' }], {}, actor);
					expect(bulk.updated + bulk.unchanged).toBe(1);
					expect((await store.getSubscriber({ id: s.id }))?.status).toBe(status);
					const consented = await store.setStatus(s.id, 'active', { allowReactivate: true }, actor);
					expect(consented.status).toBe('active');
				}
			});

			it('does not create a suppressed address unless the caller consents', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await store.suppress('Spam.Trap@Example.com', 'imported', 'test', actor);
				expect(await store.isSuppressed('spam.trap@example.com')).toBe(true);
				const refused = await store.upsertSubscriber(list.id, { email: 'spam.trap@example.com' }, {}, actor);
				expect(refused.outcome).toBe('skipped-suppressed');
				expect(refused.subscriber).toBeNull();
				const allowed = await store.upsertSubscriber(list.id, { email: 'spam.trap@example.com' }, { allowReactivate: true }, actor);
				expect(allowed.outcome).toBe('created');
				expect(await store.isSuppressed('spam.trap@example.com')).toBe(false);
			});
		});

		describe('bulk writes', () => {
			it('counts outcomes, honours modes and reports in-run duplicates through the store', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await store.upsertSubscriber(list.id, { email: 'old@example.com', name: 'Old' }, {}, actor);
				const runId = 'run-1';
				const first = await store.bulkUpsert(
					list.id,
					[
						{ email: 'new1@example.com', ref: 2 },
						{ email: 'old@example.com', name: 'Old', ref: 3 },
						{ email: 'not-an-email', ref: 4 },
						{ email: 'new1@EXAMPLE.com', ref: 5 },
					],
					{ importRunId: runId },
					actor,
				);
				expect(first).toMatchObject({ created: 1, updated: 0, unchanged: 1, duplicates: 1, skipped: 1 });
				expect(first.rejected).toEqual([
					{ ref: 4, email: "not-an-email", outcome: "invalid" },
					{ ref: 5, email: "new1@EXAMPLE.com", outcome: "duplicate" },
				]);
				// A later batch of the same run: both addresses were already written by this run.
				const second = await store.bulkUpsert(
					list.id,
					[
						{ email: 'new1@example.com', ref: 6 },
						{ email: 'old@example.com', ref: 7 },
						{ email: 'new2@example.com', ref: 8 },
						{ email: 'new2@example.com', ref: 9 },
					],
					{ importRunId: runId },
					actor,
				);
				expect(second).toMatchObject({ created: 1, duplicates: 3 });
				expect(second.rejected.map((r) => r.ref)).toEqual([6, 7, 9]);
				const createOnly = await store.bulkUpsert(list.id, [{ email: 'old@example.com', name: 'X' }, { email: 'n3@example.com' }], { mode: 'createOnly' }, actor);
				expect(createOnly).toMatchObject({ created: 1, skipped: 1 });
				const updateOnly = await store.bulkUpsert(list.id, [{ email: 'old@example.com', name: 'Y' }, { email: 'n4@example.com' }], { mode: 'updateOnly' }, actor);
				expect(updateOnly).toMatchObject({ updated: 1, skipped: 1 });
				expect(updateOnly.rejected[0].outcome).toBe('skipped-missing');
				expect((await store.getSubscriber({ listId: list.id, email: 'old@example.com' }))?.name).toBe('Y');
			});

			it('rolls a batch back whole when one row fails', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await expect(
					store.bulkUpsert(list.id, [{ email: 'ok@example.com' }, { email: 'bad@example.com', status: 'weird' as never }], {}, actor),
				).rejects.toThrow(/not a subscriber status/);
				expect(await store.countSubscribers({ listId: list.id })).toBe(0);
			});

			it('unsubscribes, trashes and suppresses listed addresses', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await store.bulkUpsert(list.id, [{ email: 'a@example.com' }, { email: 'b@example.com' }], {}, actor);
				const unsub = await store.bulkStatus(list.id, [{ email: 'a@example.com', ref: 2 }, { email: 'zz@example.com', ref: 3 }], 'unsubscribe', actor);
				expect(unsub).toEqual({ changed: 1, missing: [{ email: 'zz@example.com', ref: 3 }] });
				expect((await store.getSubscriber({ listId: list.id, email: 'a@example.com' }))?.status).toBe('unsubscribed');
				await store.bulkStatus(list.id, [{ email: 'b@example.com' }], 'trash', actor);
				expect(await store.countSubscribers({ listId: list.id })).toBe(1);
				expect(await store.countSubscribers({ listId: list.id, includeTrashed: true })).toBe(2);
				const sup = await store.bulkStatus(list.id, [{ email: 'never@example.com' }], 'suppress', actor);
				expect(sup.changed).toBe(1);
				expect(await store.isSuppressed('never@example.com')).toBe(true);
			});

			it('keeps names and fields with quotes, backslashes, commas and braces intact in bulk writes', async () => {
				const list = await store.createList({ name: 'Awkward' }, actor);
				const names = ['O"Brien, Jr.', 'back\\slash \\"', 'NULL', '{brace}', '', 'ünï 日本 😀'];
				const rows = names.map((name, index) => ({ email: `awk${index}@example.com`, name, fields: { note: name } }));
				expect(await store.bulkUpsert(list.id, rows, {}, actor)).toMatchObject({ created: names.length });
				const page = await store.getSubscribers({ listId: list.id }, { limit: 10 });
				expect(page.items.map((s) => [s.name, s.fields.note])).toEqual(names.map((name) => [name, name]));
				const again = await store.bulkUpsert(list.id, rows, {}, actor);
				expect(again).toMatchObject({ created: 0, updated: 0, unchanged: names.length });
			});

			it('updates a batch mixing status changes and kept statuses, with their match copies', async () => {
				const list = await store.createList({ name: 'Mixed' }, actor);
				const emails = ['m0@example.com', 'm1@example.com', 'm2@example.com', 'm3@example.com'];
				await store.bulkUpsert(list.id, emails.map((email) => ({ email, name: 'plain', fields: { n: 1 } })), {}, actor);
				const result = await store.bulkUpsert(
					list.id,
					[
						{ email: emails[0], status: 'unsubscribed', name: 'STRAßE' },
						{ email: emails[1], fields: { city: 'İzmir', n: '12' } },
						{ email: emails[2], status: 'unsubscribed' },
						{ email: emails[3], name: 'plain' },
					],
					{},
					actor,
				);
				expect(result).toMatchObject({ updated: 3, unchanged: 1 });
				const rows = await store.sql.all<{ email: string; name: string; fields: string; status: string; name_fold: unknown; fields_match: unknown }>(
					'SELECT email, name, fields, status, name_fold, fields_match FROM subscribers WHERE list_id = ? ORDER BY email',
					[list.id],
				);
				const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
				expect(rows.map((r) => [r.email, r.name, JSON.parse(r.fields), r.status, r.name_fold])).toEqual([
					[emails[0], 'STRAßE', { n: 1 }, 'unsubscribed', 'strasse'],
					[emails[1], 'plain', { n: '12', city: 'İzmir' }, 'active', null],
					[emails[2], 'plain', { n: 1 }, 'unsubscribed', null],
					[emails[3], 'plain', { n: 1 }, 'active', null],
				]);
				const one = { n: { k6e: 1 } };
				expect(rows.map((r) => json(r.fields_match))).toEqual([one, { t: { k63697479: 'i̇zmir' }, n: { k6e: 12 } }, one, one]);
				expect(await store.countSubscribers({ listId: list.id, status: 'unsubscribed' })).toBe(2);
				expect(await store.countSubscribers({ listId: list.id, status: 'active' })).toBe(2);
			});

			it('applies a listed batch set-based: repeats count once, complaints stay, each change audited', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const emails = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
				await store.bulkUpsert(list.id, emails.map((email) => ({ email })), {}, actor);
				const complainer = await store.getSubscriber({ listId: list.id, email: 'c@example.com' });
				await store.setStatus(complainer!.id, 'complained', {}, actor);
				const result = await store.bulkStatus(
					list.id,
					[
						{ email: 'a@EXAMPLE.com', ref: 2 },
						{ email: 'not-an-address', ref: 3 },
						{ email: 'a@example.com', ref: 4 },
						{ email: 'c@example.com', ref: 5 },
						{ email: 'b@example.com', ref: 6 },
						{ email: 'gone@example.com', ref: 7 },
					],
					'unsubscribe',
					actor,
				);
				expect(result.changed).toBe(2);
				expect(result.missing).toEqual([
					{ email: 'not-an-address', ref: 3 },
					{ email: 'gone@example.com', ref: 7 },
				]);
				const statuses = await Promise.all(emails.map((email) => store.getSubscriber({ listId: list.id, email })));
				expect(statuses.map((s) => s?.status)).toEqual(['unsubscribed', 'unsubscribed', 'complained', 'active']);
				const audit = await store.getAuditLog({ action: 'subscriber.status' }, { limit: 100 });
				const changes = audit.items.filter((entry) => entry.details.to === 'unsubscribed');
				expect(changes.map((entry) => entry.entityId)).toEqual([statuses[0]!.id, statuses[1]!.id]);
				expect(changes.every((entry) => entry.details.from === 'active' && entry.actor.id === 'contract')).toBe(true);

				const trashed = await store.bulkStatus(list.id, [{ email: 'd@example.com' }, { email: 'a@example.com' }], 'trash', actor);
				expect(trashed).toEqual({ changed: 2, missing: [] });
				expect(await store.countSubscribers({ listId: list.id, status: 'trashed' })).toBe(2);

				const suppressed = await store.bulkStatus(
					list.id,
					[{ email: 'x@example.com' }, { email: 'X@example.com' }, { email: 'y@example.com' }, { email: 'bad' }],
					'suppress',
					actor,
				);
				expect(suppressed).toEqual({ changed: 2, missing: [{ email: 'bad' }] });
				expect(await store.isSuppressed('x@example.com')).toBe(true);
				expect(await store.isSuppressed('y@example.com')).toBe(true);
				const again = await store.bulkStatus(list.id, [{ email: 'y@example.com' }, { email: 'z@example.com' }], 'suppress', actor);
				expect(again.changed).toBe(1);
				const added = await store.getAuditLog({ action: 'suppression.add' }, { limit: 100 });
				expect(added.items).toHaveLength(3);
				expect(new Set(added.items.map((entry) => entry.entityId)).size).toBe(3);
				expect(added.items.every((entry) => entry.details.reason === 'imported')).toBe(true);
			});
		});

		describe('erase', () => {
			it('removes personal data and keeps only a suppression hash', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const s = (await store.upsertSubscriber(list.id, { email: 'private@example.com', name: 'Private Person', fields: { phone: '123' } }, {}, actor)).subscriber!;
				await store.eraseSubscriber(s.id, actor);
				const erased = await store.getSubscriber({ id: s.id });
				expect(erased).toMatchObject({ name: '', fields: {}, status: 'trashed' });
				expect(erased?.email).not.toContain('private');
				const suppressions = await store.getSuppressions({ limit: 10 });
				expect(suppressions.items).toHaveLength(1);
				expect(suppressions.items[0].email).toBeNull();
				expect(await store.isSuppressed('private@example.com')).toBe(true);
				expect((await store.upsertSubscriber(list.id, { email: 'private@example.com' }, {}, actor)).outcome).toBe('skipped-suppressed');
				const audit = await store.getAuditLog({}, { limit: 100 });
				expect(JSON.stringify(audit.items)).not.toContain('private@example.com');
				expect(JSON.stringify(audit.items)).not.toContain('Private Person');
			});
		});

		describe('bounce policy', () => {
			it('marks bounced after one hard bounce and applies an event id only once', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const s = (await store.upsertSubscriber(list.id, { email: 'hard@example.com' }, {}, actor)).subscriber!;
				const first = await store.applyDeliveryEvent({ type: 'hard', subscriberId: s.id, eventId: 'evt-1', diagnostic: '550 5.1.1 no such user' }, actor);
				expect(first.subscribers[0]).toMatchObject({ status: 'bounced', changed: true });
				const again = await store.applyDeliveryEvent({ type: 'hard', subscriberId: s.id, eventId: 'evt-1' }, actor);
				expect(again).toMatchObject({ applied: false, duplicate: true });
				expect(await store.getSubscriber({ id: s.id })).toMatchObject({ hardBounces: 1, status: 'bounced', lastError: '550 5.1.1 no such user' });
			});

			it('marks bounced after three soft bounces within 30 days only', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				const s = (await store.upsertSubscriber(list.id, { email: 'soft@example.com' }, {}, actor)).subscriber!;
				const day = 24 * 3600 * 1000;
				const t0 = Date.parse('2026-01-01T00:00:00Z');
				await store.applyDeliveryEvent({ type: 'soft', subscriberId: s.id, occurredAt: new Date(t0).toISOString() }, actor);
				await store.applyDeliveryEvent({ type: 'soft', subscriberId: s.id, occurredAt: new Date(t0 + 40 * day).toISOString() }, actor);
				await store.applyDeliveryEvent({ type: 'soft', subscriberId: s.id, occurredAt: new Date(t0 + 45 * day).toISOString() }, actor);
				expect(await store.getSubscriber({ id: s.id })).toMatchObject({ status: 'active', softBounces: 2 });
				const third = await store.applyDeliveryEvent({ type: 'soft', subscriberId: s.id, occurredAt: new Date(t0 + 50 * day).toISOString() }, actor);
				expect(third.subscribers[0].status).toBe('bounced');
			});

			it('turns a complaint into complained plus suppression, by e-mail across lists', async () => {
				const a = await store.createList({ name: 'A' }, actor);
				const b = await store.createList({ name: 'B' }, actor);
				await store.upsertSubscriber(a.id, { email: 'angry@example.com' }, {}, actor);
				await store.upsertSubscriber(b.id, { email: 'angry@example.com' }, {}, actor);
				const result = await store.applyDeliveryEvent({ type: 'complaint', email: 'ANGRY@example.com', eventId: 'c-1' }, actor);
				expect(result.subscribers.map((s) => s.status)).toEqual(['complained', 'complained']);
				expect(result.suppressed).toBe(true);
				expect(await store.isSuppressed('angry@example.com')).toBe(true);
			});

			it('keeps policy as a validated store setting', async () => {
				expect(await store.getBouncePolicy()).toMatchObject({ hardBounceLimit: 1, softBounceLimit: 3, softBounceWindowDays: 30 });
				const changed = await store.setBouncePolicy({ hardBounceLimit: 2 }, actor);
				expect(changed.hardBounceLimit).toBe(2);
				await expect(store.setBouncePolicy({ softBounceLimit: 0 }, actor)).rejects.toThrow(/softBounceLimit/);
				const list = await store.createList({ name: 'L' }, actor);
				const s = (await store.upsertSubscriber(list.id, { email: 'h2@example.com' }, {}, actor)).subscriber!;
				await store.applyDeliveryEvent({ type: 'hard', subscriberId: s.id }, actor);
				expect((await store.getSubscriber({ id: s.id }))?.status).toBe('active');
				await store.applyDeliveryEvent({ type: 'hard', subscriberId: s.id }, actor);
				expect((await store.getSubscriber({ id: s.id }))?.status).toBe('bounced');
			});
		});

		describe('audit log', () => {
			it('gives each entry a unique id and cannot be changed', async () => {
				const list = await store.createList({ name: 'L' }, actor);
				await store.renameList(list.id, 'M', actor);
				const log = await store.getAuditLog({}, { limit: 10 });
				expect(log.items.map((e) => e.action)).toEqual(['list.create', 'list.rename']);
				expect(new Set(log.items.map((e) => e.id)).size).toBe(2);
				expect(log.items[0].actor).toEqual(actor);
				await expect(store.sql.run('UPDATE audit_log SET action = ?', ['x'])).rejects.toThrow(/append-only/);
				await expect(store.sql.run('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
			});
		});

		describe('isolation and migrations', () => {
			it('keeps two stores apart', async () => {
				const otherFixture = storeFixture(backend);
				const other = await otherFixture.open();
				try {
					await store.createList({ name: 'Mine' }, actor);
					expect(await other.getLists()).toEqual([]);
					expect(await other.getList('Mine')).toBeNull();
				} finally {
					await other.close();
					await otherFixture.cleanup();
				}
			});

			it('migrates once when several processes open a new store at once', async () => {
				const fresh = storeFixture(backend);
				const stores = await Promise.all([fresh.open(), fresh.open(), fresh.open()]);
				try {
					for (const s of stores) expect((await s.info()).schemaVersion).toBe(LATEST_SCHEMA_VERSION);
					await stores[0].createList({ name: 'Shared' }, actor);
					expect((await stores[2].getLists()).map((l) => l.name)).toEqual(['Shared']);
				} finally {
					for (const s of stores) await s.close();
					await fresh.cleanup();
				}
			});
		});
	});
}
