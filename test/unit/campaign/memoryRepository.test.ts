/**
 * The campaign run against an in-memory CampaignRunRepository: no database, a real SMTP server.
 * Shows that the runner depends on nothing but that interface, and checks what it does with it:
 * who is mailed, the states it records, and a stopped or paused run resumed without resending.
 */
import { runCampaign, type CampaignRunRepository } from '../../../lib/campaign';
import type {
	Actor,
	Campaign,
	ClaimOptions,
	ClaimResult,
	FlushOutcome,
	LogResult,
	MarkResult,
	RecipientState,
	RunEnd,
	RunStart,
	SubscriberStatus,
} from '../../../lib/store';
import { smtpServersClosedAfterAll, smtpSettingsFor, type TestSmtpServer } from '../../helpers/smtp';

interface Member {
	id: string;
	email: string;
	name: string;
	status: SubscriberStatus;
}

interface LogRow {
	state: RecipientState;
	owner: string | null;
	leaseUntil: number;
	attempts: number;
	error: string | null;
}

const PENDING: RecipientState[] = ['queued', 'claimed', 'sending'];

/** The campaign tables as plain objects, with the store's rules in their simplest form. */
class MemoryCampaignRuns implements CampaignRunRepository {
	readonly log = new Map<string, LogRow>();
	readonly suppressed = new Set<string>();
	private cursor = 0;
	private maxId = 0;
	readonly calls: string[] = [];

	constructor(
		readonly campaign: Campaign,
		readonly members: Member[],
	) {}

	async get(id: string): Promise<Campaign | null> {
		return id === this.campaign.id ? structuredClone(this.campaign) : null;
	}

	private unclaimed(): Member[] {
		return this.members.filter((m) => Number(m.id) > this.cursor && Number(m.id) <= this.maxId && m.status === 'active');
	}

	private remaining(): number {
		if (this.campaign.status === 'finished' || this.campaign.status === 'cancelled') return 0;
		const waiting = [...this.log.values()].filter((row) => PENDING.includes(row.state)).length;
		return waiting + this.unclaimed().length;
	}

	async progress(id: string): Promise<{ campaign: Campaign; remaining: number } | null> {
		const campaign = await this.get(id);
		return campaign ? { campaign, remaining: this.remaining() } : null;
	}

	async start(_id: string, options: { now: number; resume: boolean; actor: Actor }): Promise<RunStart> {
		this.calls.push('start');
		const c = this.campaign;
		if (c.status === 'finished' || c.status === 'cancelled') return { run: false, campaign: c, remaining: 0, reason: 'finished' };
		if (c.status === 'paused' && !options.resume) return { run: false, campaign: c, remaining: this.remaining(), reason: 'not-runnable' };
		if (c.status === 'running' || c.startedAt) {
			c.status = 'running';
			c.pauseReason = null;
			return { run: true, campaign: c };
		}
		this.maxId = Math.max(0, ...this.members.map((m) => Number(m.id)));
		c.status = 'running';
		c.startedAt = new Date(options.now).toISOString();
		c.totalRecipients = this.unclaimed().length;
		return { run: true, campaign: c };
	}

	async claim(_id: string, options: ClaimOptions): Promise<ClaimResult> {
		this.calls.push('claim');
		if (this.campaign.status !== 'running') return { status: this.campaign.status, ids: [], exhausted: true, recoveredUnknown: 0 };
		const ids: string[] = [];
		for (const [id, row] of this.log) {
			const putBack = row.state === 'queued' || (row.state === 'claimed' && row.leaseUntil < options.now);
			if (putBack && ids.length < options.size) {
				Object.assign(row, { state: 'claimed', owner: options.owner, leaseUntil: options.now + options.leaseMs });
				ids.push(id);
			}
		}
		const fresh = this.unclaimed().slice(0, options.size - ids.length);
		for (const member of fresh) {
			this.log.set(member.id, { state: 'claimed', owner: options.owner, leaseUntil: options.now + options.leaseMs, attempts: 0, error: null });
			ids.push(member.id);
		}
		const reachedEnd = fresh.length < options.size - (ids.length - fresh.length);
		this.cursor = reachedEnd ? this.maxId : Number(fresh[fresh.length - 1]?.id ?? this.cursor);
		ids.sort((a, b) => Number(a) - Number(b));
		return { status: 'running', ids, exhausted: reachedEnd && ids.length < options.size, recoveredUnknown: 0 };
	}

	async markSending(_id: string, ids: string[], options: { owner: string; now: number; leaseMs: number }): Promise<MarkResult> {
		this.calls.push('markSending');
		if (this.campaign.status !== 'running') return { status: this.campaign.status, ready: [], skipped: 0 };
		const ready: MarkResult['ready'] = [];
		let skipped = 0;
		for (const id of ids) {
			const row = this.log.get(id)!;
			if (row.state !== 'claimed' || row.owner !== options.owner) continue;
			const member = this.members.find((m) => m.id === id)!;
			if (member.status !== 'active' || this.suppressed.has(member.email)) {
				Object.assign(row, { state: 'skipped', error: 'not mailable' });
				skipped++;
				this.campaign.counters.skipped++;
				continue;
			}
			Object.assign(row, { state: 'sending', leaseUntil: options.now + options.leaseMs });
			ready.push({ id, email: member.email, name: member.name, fields: {} });
		}
		return { status: 'running', ready, skipped };
	}

	async record(_id: string, results: LogResult[], options: { owner: string }): Promise<FlushOutcome> {
		this.calls.push('record');
		const outcome: FlushOutcome = { status: this.campaign.status, sent: 0, failed: 0, unknown: 0, queued: 0, bounced: 0 };
		for (const result of results) {
			const row = this.log.get(result.subscriberId);
			if (!row || row.state !== 'sending' || row.owner !== options.owner) continue;
			Object.assign(row, { state: result.state, attempts: result.attempts, error: result.error, owner: result.state === 'queued' ? null : row.owner });
			outcome[result.state]++;
			if (result.bounce?.kind === 'hard') outcome.bounced++;
		}
		const counters = this.campaign.counters;
		counters.sent += outcome.sent;
		counters.failed += outcome.failed;
		counters.unknown += outcome.unknown;
		counters.bounced += outcome.bounced;
		return outcome;
	}

	private requeue(ids: string[] | null, state: RecipientState, owner: string): number {
		let changed = 0;
		for (const [id, row] of this.log) {
			if ((ids === null || ids.includes(id)) && row.state === state && row.owner === owner) {
				Object.assign(row, { state: 'queued', owner: null });
				changed++;
			}
		}
		return changed;
	}

	async unmarkSending(_id: string, ids: string[], options: { owner: string }): Promise<number> {
		return this.requeue(ids, 'sending', options.owner);
	}

	async releaseClaims(_id: string, options: { owner: string }): Promise<number> {
		this.calls.push('releaseClaims');
		return this.requeue(null, 'claimed', options.owner);
	}

	async renewLeases(): Promise<void> {}

	async end(_id: string, options: { now: number; pauseReason: string | null; lastError: string | null }): Promise<RunEnd> {
		this.calls.push('end');
		const c = this.campaign;
		if (c.status === 'running' && options.pauseReason) Object.assign(c, { status: 'paused', pauseReason: options.pauseReason });
		c.lastError = options.lastError;
		const remaining = this.remaining();
		let finishedNow = false;
		if (c.status === 'running' && remaining === 0) {
			Object.assign(c, { status: 'finished', finishedAt: new Date(options.now).toISOString() });
			finishedNow = true;
		}
		return { campaign: structuredClone(c), remaining, finishedNow };
	}

	async sentInLastDay(): Promise<number> {
		return 0;
	}

	// this in-memory store keeps no per-provider figures: nothing is ever paused
	async providerPauses(): Promise<[]> {
		return [];
	}

	async resumeProviders(): Promise<{ providers: string[]; requeued: number }> {
		return { providers: [], requeued: 0 };
	}

	states(): Record<string, number> {
		const counts: Record<string, number> = {};
		for (const row of this.log.values()) counts[row.state] = (counts[row.state] ?? 0) + 1;
		return counts;
	}
}

function newCampaign(): Campaign {
	const at = new Date().toISOString();
	return {
		id: '7',
		name: 'In memory',
		listId: '1',
		audience: { listIds: ['1'], segment: null, followUp: null, timeZone: null, frozen: null },
		filter: {},
		template: { spec: { subject: 'Hello {{ name }}', text: 'Hi {{ name }}', from: 'News <news@sender.example>' }, options: {} },
		sender: {},
		status: 'draft',
		sendAt: null,
		maxSubscriberId: null,
		totalRecipients: null,
		counters: { sent: 0, failed: 0, unknown: 0, skipped: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, delivered: 0, senderRefused: 0 },
		pauseReason: null,
		lastError: null,
		createdAt: at,
		updatedAt: at,
		startedAt: null,
		finishedAt: null,
		createKey: null,
	};
}

function members(count: number): Member[] {
	return Array.from({ length: count }, (_, i) => ({
		id: String(i + 1),
		email: `reader${i + 1}@example.org`,
		name: `Reader ${i + 1}`,
		status: 'active' as SubscriberStatus,
	}));
}

function received(server: TestSmtpServer): Map<string, number> {
	const counts = new Map<string, number>();
	for (const message of server.messages) for (const to of message.to) counts.set(to, (counts.get(to) ?? 0) + 1);
	return counts;
}

const startServer = smtpServersClosedAfterAll();

describe('runCampaign on an in-memory repository (no database)', () => {
	it('mails each active, unsuppressed member once, records the outcomes and finishes', async () => {
		const people = members(30);
		people[4].status = 'unsubscribed';
		const repo = new MemoryCampaignRuns(newCampaign(), people);
		repo.suppressed.add('reader8@example.org');
		const server = await startServer({
			keepRaw: false,
			script: (ctx) => (ctx.stage === 'rcpt' && ctx.address === 'reader12@example.org' ? { reply: 550, message: '5.1.1 no such user' } : undefined),
		});
		const summary = await runCampaign(repo, '7', { smtp: smtpSettingsFor(server), batchSize: 8 });

		expect(summary).toMatchObject({ outcome: 'finished', status: 'finished', sentThisRun: 27, failedThisRun: 1, skippedThisRun: 1, remaining: 0 });
		expect(summary.failures).toEqual([
			expect.objectContaining({ subscriberId: '12', email: 'reader12@example.org', state: 'failed', responseCode: 550, bounce: 'hard' }),
		]);
		const counts = received(server);
		expect(counts.size).toBe(27);
		expect([...counts.values()].every((n) => n === 1)).toBe(true);
		for (const absent of ['reader5@example.org', 'reader8@example.org', 'reader12@example.org']) expect(counts.has(absent)).toBe(false);
		expect(repo.states()).toEqual({ sent: 27, failed: 1, skipped: 1 });
		expect(repo.log.has('5')).toBe(false); // never a member of the run: not active when it started
		expect(repo.campaign.counters).toMatchObject({ sent: 27, failed: 1, skipped: 1, bounced: 1 });
		expect(repo.calls[0]).toBe('start');
		expect(repo.calls.at(-1)).toBe('end');
	});

	it('stops on its time budget, puts the unsent back, and the next run continues without resending', async () => {
		const repo = new MemoryCampaignRuns(newCampaign(), members(40));
		const server = await startServer({ keepRaw: false, script: (ctx) => (ctx.stage === 'data' ? { delayMs: 15 } : undefined) });
		const smtp = smtpSettingsFor(server, { pool: { maxConnections: 1 } });

		const first = await runCampaign(repo, '7', { smtp, batchSize: 10, maxInFlight: 1, timeBudgetMs: 120 });
		expect(first.outcome).toBe('stopped');
		expect(first.remaining).toBeGreaterThan(0);
		expect(first.sentThisRun).toBeGreaterThan(0);
		expect(repo.campaign.status).toBe('running');
		// nothing is left claimed or in flight by a run that ended
		expect(repo.states().claimed ?? 0).toBe(0);
		expect(repo.states().sending ?? 0).toBe(0);

		const second = await runCampaign(repo, '7', { smtp, batchSize: 10 });
		expect(second).toMatchObject({ outcome: 'finished', remaining: 0 });
		expect(first.sentThisRun + second.sentThisRun).toBe(40);
		const counts = received(server);
		expect(counts.size).toBe(40);
		expect([...counts.values()].every((n) => n === 1)).toBe(true);
		expect(repo.states()).toEqual({ sent: 40 });
	});

	it('notices a pause during the run, sends nothing while paused, and resumes where it stopped', async () => {
		const repo = new MemoryCampaignRuns(newCampaign(), members(25));
		const server = await startServer({
			keepRaw: false,
			script: (ctx) => {
				if (ctx.stage === 'rcpt' && ctx.address === 'reader3@example.org') {
					repo.campaign.status = 'paused';
					repo.campaign.pauseReason = 'operator';
				}
				return undefined;
			},
		});
		const smtp = smtpSettingsFor(server, { pool: { maxConnections: 1 } });
		const first = await runCampaign(repo, '7', { smtp, batchSize: 5, maxInFlight: 1 });
		expect(first.outcome).toBe('interrupted');
		expect(first.status).toBe('paused');
		const sentFirst = server.messages.length;
		expect(sentFirst).toBeLessThan(25);

		const idle = await runCampaign(repo, '7', { smtp });
		expect(idle).toMatchObject({ outcome: 'not-runnable', sentThisRun: 0 });
		expect(server.messages).toHaveLength(sentFirst);

		const resumed = await runCampaign(repo, '7', { smtp, resume: true });
		expect(resumed).toMatchObject({ outcome: 'finished', status: 'finished' });
		const counts = received(server);
		expect(counts.size).toBe(25);
		expect([...counts.values()].every((n) => n === 1)).toBe(true);
		expect(repo.states()).toEqual({ sent: 25 });
	});
});
