/**
 * The send log's at-most-once core under random interleavings, on both backends: several runs of
 * one campaign claim, mark `sending`, hand over, record, give back, renew, stall past their lease
 * and die at random points on a virtual clock, while subscribers unsubscribe; then one last run
 * drains the campaign. Whatever the order, nobody is handed over twice, nobody unsubscribed is
 * handed over after unsubscribing, every recipient ends in exactly one final state that says what
 * happened (an outcome is the one recorded; `unknown` only where a run died with the message in
 * flight), everyone else is handed over exactly once, and the counters agree with the log.
 *
 * The store's run calls are driven directly (as lib/campaign's runner calls them), so a seed is a
 * replayable schedule: a failure names its seed and step.
 */
import { createCampaign } from '../../../lib/campaign';
import type { LogResult } from '../../../lib/store';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { BACKENDS, storePerTest } from '../../helpers/stores';
import { actor, address, expectCountersMatchLog, logStates, seeded, TEMPLATE } from './helpers';

jest.setTimeout(120_000);

const LEASE = 1_000;
const SEEDS = [1, 2, 3, 4, 5, 6];
const STEPS = 160;

interface Run {
	owner: string;
	/** Claimed, not yet marked, in claim order. */
	claimed: string[];
	/** Handed over (subscriber id → address), outcome not recorded yet. */
	inFlight: Map<string, string>;
	alive: boolean;
}

/** What the schedule did, to hold the store's end state against. */
interface Ledger {
	/** Times each address was handed over. */
	handed: Map<string, number>;
	/** Subscriber ids handed over. */
	handedIds: Set<string>;
	/** Ids marked `sending` by a run that died before handing them over. */
	lostBeforeHanding: Set<string>;
	/** Outcomes the store took (read back after each record): id → state. */
	written: Map<string, string>;
	/** Subscriber id → step at which it was unsubscribed. */
	unsubscribedAt: Map<string, number>;
	/** Subscriber id → step at which it was handed over. */
	handedAt: Map<string, number>;
}

type Audience = 'one list' | 'two lists';

async function seedAudience(store: SqlSubscriberStore, audience: Audience): Promise<{ listIds: string[]; rowIds: string[] }> {
	const add = async (name: string, emails: string[]) => {
		const list = await store.createList({ name }, actor);
		await store.bulkUpsert(list.id, emails.map((email) => ({ email, name: email.split('@')[0], fields: { plan: name } })), {}, actor);
		return list.id;
	};
	const listIds =
		audience === 'one list'
			? [await add('Only', Array.from({ length: 40 }, (_, i) => address(i)))]
			: [
					// 30 people on A, 20 on B, 10 of them on both: 40 addresses, one message each
					await add('A', Array.from({ length: 30 }, (_, i) => address(i))),
					await add('B', Array.from({ length: 20 }, (_, i) => address(i + 20))),
				];
	const rows = await store.sql.all('SELECT id FROM subscribers ORDER BY id');
	return { listIds, rowIds: rows.map((r) => String(r.id)) };
}

const outcome = (subscriberId: string, email: string, state: 'sent' | 'failed'): LogResult => ({
	subscriberId,
	state,
	attempts: 1,
	messageId: null,
	response: state === 'sent' ? '250 ok' : '451 try later',
	responseCode: state === 'sent' ? 250 : 451,
	error: state === 'sent' ? null : '451 try later',
	bounce: null,
	email,
});

describe.each(BACKENDS)('send log interleavings on %s', (backend) => {
	const opened = storePerTest(backend);

	describe.each<Audience>(['one list', 'two lists'])('a campaign to %s', (audience) => {
		const coverage = { runs: 0, unknown: 0, skipped: 0, givenBack: 0, refused: 0 };
		it.each(SEEDS)('seed %i: at most once, nothing lost, counters agree', async (seed) => {
			const store = opened.store;
			const runs = store.campaignRuns;
			const rand = seeded(seed * 7919 + (audience === 'one list' ? 0 : 104729));
			const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)];
			const { listIds, rowIds } = await seedAudience(store, audience);
			const campaign = await createCampaign(
				store,
				{ name: `Interleavings ${seed}`, ...(listIds.length === 1 ? { listId: listIds[0] } : { listIds }), template: TEMPLATE },
				actor,
			);
			let now = Date.parse('2026-12-01T00:00:00.000Z');
			expect((await runs.start(campaign.id, { now, resume: false, actor })).run).toBe(true);

			const ledger: Ledger = {
				handed: new Map(),
				handedIds: new Set(),
				lostBeforeHanding: new Set(),
				written: new Map(),
				unsubscribedAt: new Map(),
				handedAt: new Map(),
			};
			const all: Run[] = [];
			const live = () => all.filter((run) => run.alive);
			const spawn = () => {
				const run: Run = { owner: `run-${all.length + 1}`, claimed: [], inFlight: new Map(), alive: true };
				all.push(run);
				return run;
			};
			const hand = (run: Run, id: string, email: string, step: number) => {
				ledger.handed.set(email, (ledger.handed.get(email) ?? 0) + 1);
				ledger.handedIds.add(id);
				ledger.handedAt.set(id, step);
				run.inFlight.set(id, email);
			};
			const record = async (run: Run, ids: string[], at: string) => {
				if (!ids.length) return;
				const results = ids.map((id) => outcome(id, run.inFlight.get(id)!, rand() < 0.8 ? 'sent' : 'failed'));
				for (const id of ids) run.inFlight.delete(id);
				await runs.record(campaign.id, results, { owner: run.owner, now, actor });
				// each outcome was taken, or refused because the row was already `unknown` (its lease lapsed and another run recovered it)
				const rows = await store.sql.all(
					`SELECT subscriber_id, state FROM send_log WHERE campaign_id = ? AND subscriber_id IN (${ids.map(() => '?').join(', ')})`,
					[campaign.id, ...ids],
				);
				const stateOf = new Map(rows.map((row) => [String(row.subscriber_id), String(row.state)]));
				for (const result of results) {
					const state = String(stateOf.get(result.subscriberId));
					if (state === result.state) ledger.written.set(result.subscriberId, state);
					else if (state === 'unknown') coverage.refused++;
					else throw new Error(`${at}: recorded ${result.state} for ${result.subscriberId}, the log says ${state}`);
				}
			};
			spawn();
			spawn();

			for (let step = 0; step < STEPS; step++) {
				const at = `seed ${seed}, step ${step}`;
				now += Math.floor(rand() * 400); // a run that does not renew stalls past its lease in a few steps
				if (!live().length || (live().length < 4 && rand() < 0.04)) spawn();
				const run = pick(live());
				const action = rand();
				if (action < 0.22) {
					const claim = await runs.claim(campaign.id, { owner: run.owner, now, leaseMs: LEASE, size: 1 + Math.floor(rand() * 8), retryUnknown: false });
					run.claimed.push(...claim.ids.filter((id) => !run.claimed.includes(id)));
				} else if (action < 0.45 && run.claimed.length) {
					const chunk = run.claimed.splice(0, 1 + Math.floor(rand() * 5));
					const marked = await runs.markSending(campaign.id, chunk, { owner: run.owner, now, leaseMs: LEASE });
					const fate = rand();
					if (fate < 0.06) {
						// dies between the mark's commit and SMTP
						for (const r of marked.ready) ledger.lostBeforeHanding.add(r.id);
						run.alive = false;
						continue;
					}
					// a run stopping gives back what it marked but did not hand over
					const giveBack = fate < 0.14 ? marked.ready.slice(Math.floor(marked.ready.length / 2)) : [];
					for (const r of marked.ready) if (!giveBack.includes(r)) hand(run, r.id, r.email, step);
					if (giveBack.length) {
						await runs.unmarkSending(campaign.id, giveBack.map((r) => r.id), { owner: run.owner, now });
						coverage.givenBack += giveBack.length;
					}
				} else if (action < 0.65 && run.inFlight.size) {
					const ids = [...run.inFlight.keys()];
					await record(run, ids.slice(0, 1 + Math.floor(rand() * ids.length)), at);
				} else if (action < 0.8) {
					await runs.renewLeases(campaign.id, { owner: run.owner, now, leaseMs: LEASE });
				} else if (action < 0.85) {
					// a run that ends gives back its claims after recording what it handed over, or, ending
					// with an error (a flush that failed), only some of it: the rest stays in flight
					const ids = [...run.inFlight.keys()];
					const failing = rand() < 0.5;
					if (ids.length) await record(run, failing ? ids.slice(0, Math.floor(ids.length / 2)) : ids, at);
					await runs.releaseClaims(campaign.id, { owner: run.owner, now });
					run.claimed = [];
					run.alive = false;
				} else if (action < 0.9) {
					run.alive = false; // kill -9: claims and messages in flight left behind
				} else if (action < 0.96) {
					const id = pick(rowIds);
					if (!ledger.unsubscribedAt.has(id)) {
						await store.setStatus(id, 'unsubscribed', {}, actor);
						ledger.unsubscribedAt.set(id, step);
					}
				}
				for (const [email, n] of ledger.handed) if (n > 1) throw new Error(`${at}: ${email} handed over ${n} times`);
			}

			// every lease lapses; one last run drains the campaign
			now += 10 * LEASE;
			const drain = spawn();
			for (let guard = 0; ; guard++) {
				if (guard > 200) throw new Error(`seed ${seed}: the drain did not end`);
				const claim = await runs.claim(campaign.id, { owner: drain.owner, now, leaseMs: LEASE, size: 10, retryUnknown: false });
				if (claim.ids.length) {
					const marked = await runs.markSending(campaign.id, claim.ids, { owner: drain.owner, now, leaseMs: LEASE });
					for (const r of marked.ready) hand(drain, r.id, r.email, STEPS);
					await record(drain, [...drain.inFlight.keys()], 'drain');
				}
				if (claim.exhausted && !claim.ids.length) break;
			}
			// a dead run's messages in flight are `unknown` now; were it only stalled, its late outcomes change nothing
			for (const run of all) {
				if (run.inFlight.size) await runs.record(campaign.id, [...run.inFlight].map(([id, email]) => outcome(id, email, 'sent')), { owner: run.owner, now, actor });
			}
			const end = await runs.end(campaign.id, { now, pauseReason: null, lastError: null, actor });
			expect(end.campaign.status).toBe('finished');

			// what the store ended with, held against what the schedule did
			const log = await store.sql.all(
				'SELECT l.subscriber_id, l.state, s.email FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id WHERE l.campaign_id = ? ORDER BY l.subscriber_id',
				[campaign.id],
			);
			const violations: string[] = [];
			for (const [email, n] of ledger.handed) if (n !== 1) violations.push(`${email} handed over ${n} times`);
			const logged = new Map(log.map((r) => [String(r.email), r]));
			if (logged.size !== log.length) violations.push('an address has two send-log rows');
			for (let i = 0; i < 40; i++) {
				const email = address(i);
				const row = logged.get(email);
				if (!row) {
					// a keyset claim never logs a subscriber who unsubscribed before their turn
					const ids = await store.sql.all('SELECT id FROM subscribers WHERE email = ?', [email]);
					if (!ids.some((r) => ledger.unsubscribedAt.has(String(r.id)))) violations.push(`${email}: no send-log row`);
					if (ledger.handed.has(email)) violations.push(`${email}: handed over with no send-log row`);
					continue;
				}
				const id = String(row.subscriber_id);
				const state = String(row.state);
				const written = ledger.written.get(id);
				let expected: string;
				if (written) expected = written; // a recorded outcome is never overwritten
				else if (ledger.handedIds.has(id) || ledger.lostBeforeHanding.has(id)) expected = 'unknown'; // its run died with it in flight
				else expected = ledger.unsubscribedAt.has(id) ? 'skipped' : 'handed over';
				if (state !== expected) violations.push(`${email} (${id}): ${state}, expected ${expected}`);
				const unsubscribed = ledger.unsubscribedAt.get(id);
				const handedAt = ledger.handedAt.get(id);
				if (unsubscribed !== undefined && handedAt !== undefined && handedAt > unsubscribed) {
					violations.push(`${email}: handed over at step ${handedAt}, after unsubscribing at step ${unsubscribed}`);
				}
			}
			expect(violations).toEqual([]);
			await expectCountersMatchLog(store, campaign.id);
			coverage.runs += all.length;
			const states = await logStates(store, campaign.id);
			coverage.unknown += states.unknown ?? 0;
			coverage.skipped += states.skipped ?? 0;
		});

		it('the seeds reached every case: runs dying with messages in flight, give-backs, late outcomes refused, unsubscribes', () => {
			expect(coverage.runs).toBeGreaterThan(SEEDS.length * 3);
			expect(coverage.unknown).toBeGreaterThan(0);
			expect(coverage.givenBack).toBeGreaterThan(0);
			expect(coverage.refused).toBeGreaterThan(0);
			expect(coverage.skipped).toBeGreaterThan(0);
		});
	});
});
