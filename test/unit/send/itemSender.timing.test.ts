import { sendMessages } from '../../../lib/send/itemSender';
import type { OutgoingMessage, SendResult } from '../../../lib/send/itemSender';
import { smtpSettingsFor, smtpServersClosedAfterAll } from '../../helpers/smtp';
import type { ScriptAction, ScriptContext } from '../../helpers/smtp';
import { seeded } from '../../helpers/random';

jest.setTimeout(60_000);

const server = smtpServersClosedAfterAll();


function messagesTo(addresses: string[]): OutgoingMessage[] {
	return addresses.map((to, i) => ({
		ref: i,
		from: 'News <news@sender.example>',
		to,
		subject: `Issue for ${to}`,
		text: `Hello ${to}`,
		html: `<p>Hello ${to}</p>`,
	}));
}

const noWait = () => Promise.resolve();

describe('sendMessages (item mode)', () => {
	it('sends every message over one pool and reports results in input order', async () => {
		const srv = await server();
		const addresses = Array.from({ length: 60 }, (_, i) => `reader${i}@example.org`);
		const report = await sendMessages(messagesTo(addresses), {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 3 } }),
		});
		expect(report.outcome).toBe('completed');
		expect(report.counts).toEqual({ sent: 60, failed: 0, unknown: 0, skipped: 0 });
		expect(report.message).toBe('Sent 60 of 60.');
		expect(report.results.map((r) => r.ref)).toEqual(addresses.map((_, i) => i));
		for (const result of report.results) {
			expect(result).toMatchObject({ status: 'sent', attempts: 1, rejected: [] });
			expect(result.messageId).toMatch(/^<.+@.+>$/);
			expect(result.response).toMatch(/^250 /);
			expect(result.accepted).toEqual([addresses[result.ref as number]]);
		}
		expect(srv.messages).toHaveLength(60);
		expect(srv.stats.connections).toBeLessThanOrEqual(3);
		expect(report.limits).toBe('unlimited');
	});

	it('with 421/451 to a random 10% and 550 to a fixed set: every deliverable address gets exactly one message', async () => {
		const random = seeded(20261101);
		const permanent = new Set(Array.from({ length: 25 }, (_, i) => `gone${i}@example.org`));
		// about 10% of delivery attempts are deferred: 421 or 451 to RCPT, or 451 after the data
		const script = (ctx: ScriptContext): ScriptAction | undefined => {
			if (ctx.stage === 'rcpt' && permanent.has(ctx.address)) {
				return { reply: 550, message: '5.1.1 Mailbox does not exist' };
			}
			if (ctx.stage === 'rcpt') {
				const roll = random();
				if (roll < 0.04) return { reply: 421, message: '4.7.0 Too many connections, slow down' };
				if (roll < 0.08) return { reply: 451, message: '4.3.0 Temporary failure, try again' };
			}
			if (ctx.stage === 'data' && random() < 0.03) {
				return { reply: 451, message: '4.3.0 Queue write failed, try again' };
			}
			return undefined;
		};
		const srv = await server({ script, keepRaw: false });
		const deliverable = Array.from({ length: 275 }, (_, i) => `ok${i}@example.org`);
		const all = [...deliverable, ...permanent].sort(() => random() - 0.5);
		const delays: number[] = [];
		const report = await sendMessages(messagesTo(all), {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 4 } }),
			retry: { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 400 },
			breaker: false,
			sleep: async (ms) => {
				delays.push(ms);
			},
			random,
		});

		expect(report.outcome).toBe('completed');
		const received = srv.byRecipient();
		for (const address of deliverable) expect(received.get(address)?.length).toBe(1);
		for (const address of permanent) expect(received.has(address)).toBe(false);
		expect(srv.messages).toHaveLength(deliverable.length);

		const byAddress = new Map<string, SendResult>(
			report.results.map((r) => [all[r.ref as number], r]),
		);
		for (const address of permanent) {
			expect(byAddress.get(address)).toMatchObject({
				status: 'failed',
				error: { kind: 'permanent', responseCode: 550, enhancedStatus: '5.1.1' },
			});
			// refused once, never retried (an earlier attempt may have been deferred at MAIL FROM)
			expect(srv.events.filter((e) => e.address === address && e.reply === 550)).toHaveLength(1);
		}
		for (const address of deliverable) expect(byAddress.get(address)!.status).toBe('sent');
		expect(report.counts).toEqual({ sent: 275, failed: 25, unknown: 0, skipped: 0 });

		// deferrals happened and were retried, each within the attempt limit and with backoff
		const deferred = srv.events.filter((e) => e.reply === 421 || e.reply === 451);
		expect(deferred.length).toBeGreaterThan(15);
		expect(deferred.some((e) => e.reply === 421 && e.stage === 'rcpt')).toBe(true);
		expect(deferred.some((e) => e.reply === 451 && e.stage === 'data')).toBe(true);
		const retried = report.results.filter((r) => r.attempts > 1);
		expect(retried.length).toBeGreaterThan(10);
		expect(Math.max(...report.results.map((r) => r.attempts))).toBeLessThanOrEqual(8);
		expect(delays.length).toBe(report.results.reduce((sum, r) => sum + r.attempts - 1, 0));
		expect(Math.max(...delays)).toBeLessThanOrEqual(400);
	});

	it('gives up on an address that is always deferred, after maxAttempts', async () => {
		const srv = await server({
			script: (ctx) =>
				ctx.stage === 'rcpt' && ctx.address === 'busy@example.org'
					? { reply: 451, message: '4.2.1 Mailbox busy' }
					: undefined,
		});
		const report = await sendMessages(messagesTo(['busy@example.org', 'fine@example.org']), {
			smtp: smtpSettingsFor(srv),
			retry: { maxAttempts: 3, baseDelayMs: 1 },
			sleep: noWait,
		});
		expect(report.results[0]).toMatchObject({
			status: 'failed',
			attempts: 3,
			error: { kind: 'retryable', responseCode: 451 },
		});
		expect(report.results[0].error!.message).toMatch(
			/^Gave up after 3 attempts: Temporarily refused/,
		);
		expect(srv.events.filter((e) => e.address === 'busy@example.org')).toHaveLength(3);
		expect(report.results[1].status).toBe('sent');
	});

	it('records a message lost after its body was sent as unknown and never retries it', async () => {
		const srv = await server({
			script: (ctx) =>
				ctx.stage === 'data' && ctx.address === 'lost@example.org' ? { drop: true } : undefined,
		});
		const report = await sendMessages(
			messagesTo(['a@example.org', 'lost@example.org', 'b@example.org']),
			{
				smtp: smtpSettingsFor(srv, { pool: { maxConnections: 1 } }),
				sleep: noWait,
			},
		);
		expect(report.outcome).toBe('completed');
		expect(report.results[1]).toMatchObject({
			status: 'unknown',
			attempts: 1,
			error: { kind: 'unknown' },
		});
		expect(srv.events.filter((e) => e.address === 'lost@example.org')).toHaveLength(1);
		expect(report.results[0].status).toBe('sent');
		expect(report.results[2].status).toBe('sent');
		expect(report.message).toBe('Sent 2 of 3, 1 unknown.');
	});

	it('stops the whole run at once on an authentication failure, with a clear message', async () => {
		const srv = await server({ auth: { user: 'mailer', pass: 'right-password' } });
		const addresses = Array.from({ length: 500 }, (_, i) => `r${i}@example.org`);
		const started = Date.now();
		const report = await sendMessages(messagesTo(addresses), {
			smtp: smtpSettingsFor(srv, {
				user: 'mailer',
				password: 'stale-password-42',
				pool: { maxConnections: 2 },
			}),
			sleep: noWait,
		});
		expect(Date.now() - started).toBeLessThan(5000);
		expect(report.outcome).toBe('fatal');
		expect(report.message).toMatch(
			/^Stopped: Authentication failed for user "mailer": the server said "535/,
		);
		expect(report.message).not.toContain('stale-password-42');
		expect(report.fatalError).toMatchObject({ kind: 'fatal', code: 'EAUTH' });
		expect(srv.messages).toHaveLength(0);
		expect(srv.stats.authFailures).toBeLessThanOrEqual(2);
		expect(report.counts).toEqual({ sent: 0, failed: 0, unknown: 0, skipped: 500 });
		expect(report.results).toHaveLength(500);
		expect(report.results[499].error!.message).toMatch(/^Not sent: Stopped: Authentication failed/);
	});

	it('pauses when the failure rate over the last sends passes the threshold', async () => {
		const srv = await server({
			script: (ctx) =>
				ctx.stage === 'rcpt' && /^bad/.test(ctx.address)
					? { reply: 550, message: '5.1.1 Unknown user' }
					: undefined,
			keepRaw: false,
		});
		const addresses = Array.from({ length: 400 }, (_, i) =>
			i % 5 < 3 ? `bad${i}@example.org` : `good${i}@example.org`,
		);
		const report = await sendMessages(messagesTo(addresses), {
			smtp: smtpSettingsFor(srv),
			breaker: { windowSize: 50, thresholdPct: 50, minSamples: 20 },
			maxInFlight: 8,
		});
		expect(report.outcome).toBe('paused');
		expect(report.message).toMatch(
			/^Paused: \d+ of the last \d+ sends failed \(\d+(\.\d+)?%, limit 50%\)/,
		);
		expect(report.breaker!.tripped).toBe(true);
		const attempted = report.counts.sent + report.counts.failed;
		expect(attempted).toBeGreaterThanOrEqual(20);
		expect(attempted).toBeLessThan(60);
		expect(report.counts.skipped).toBe(400 - attempted);
		expect(srv.messages.length).toBe(report.counts.sent);
	});

	it('keeps a bounded number of messages in flight for a large lazy input', async () => {
		const srv = await server({ keepRaw: false });
		let produced = 0;
		let completed = 0;
		let maxAhead = 0;
		async function* generate(): AsyncGenerator<OutgoingMessage> {
			for (let i = 0; i < 600; i++) {
				produced++;
				maxAhead = Math.max(maxAhead, produced - completed);
				yield {
					ref: i,
					from: 'a@sender.example',
					to: `r${i}@example.org`,
					subject: 's',
					text: 't',
				};
			}
		}
		const report = await sendMessages(generate(), {
			smtp: smtpSettingsFor(srv, { pool: { maxConnections: 2 } }),
			collectResults: false,
			onResult: () => {
				completed++;
			},
		});
		expect(report.counts.sent).toBe(600);
		expect(report.results).toEqual([]);
		expect(completed).toBe(600);
		// default window: max(8, maxConnections * 4) = 8
		expect(maxAhead).toBeLessThanOrEqual(9);
		expect(srv.messages).toHaveLength(600);
	});

	it('stops at the daily cap and reports the rest as skipped', async () => {
		const srv = await server();
		const report = await sendMessages(
			messagesTo(Array.from({ length: 8 }, (_, i) => `r${i}@example.org`)),
			{
				smtp: smtpSettingsFor(srv),
				limiter: { perDay: 5 },
				maxInFlight: 2,
			},
		);
		expect(report.outcome).toBe('daily-cap');
		expect(report.counts).toEqual({ sent: 5, failed: 0, unknown: 0, skipped: 3 });
		expect(report.message).toMatch(/daily sending limit of 5 messages/);
		expect(report.limits).toBe('5/day');
		expect(srv.messages).toHaveLength(5);
	});

	it('applies the rate limit to the sends', async () => {
		const srv = await server();
		const report = await sendMessages(
			messagesTo(Array.from({ length: 21 }, (_, i) => `r${i}@example.org`)),
			{
				smtp: smtpSettingsFor(srv),
				limiter: { perSecond: 20 },
			},
		);
		expect(report.counts.sent).toBe(21);
		// 21 messages at 20/s take a second to start; unthrottled they arrive within ~100 ms. Arrival
		// times carry the SMTP round trip's jitter on a busy machine, hence the margin.
		const times = srv.messages.map((m) => m.receivedAt);
		expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(600);
		expect(report.limits).toBe('20/s');
	});

	it('stops when the signal aborts, leaving the rest skipped', async () => {
		const srv = await server();
		const controller = new AbortController();
		let seen = 0;
		const report = await sendMessages(
			messagesTo(Array.from({ length: 200 }, (_, i) => `r${i}@example.org`)),
			{
				smtp: smtpSettingsFor(srv),
				limiter: { perSecond: 200 },
				onResult: () => {
					if (++seen === 10) controller.abort();
				},
				signal: controller.signal,
			},
		);
		expect(report.outcome).toBe('aborted');
		expect(report.counts.sent).toBeGreaterThanOrEqual(10);
		expect(report.counts.sent).toBeLessThan(40);
		expect(report.counts.sent + report.counts.skipped).toBe(200);
		expect(srv.messages).toHaveLength(report.counts.sent);
	});

	it('fails a message without a recipient and carries on', async () => {
		const srv = await server();
		const report = await sendMessages(
			[
				{ ref: 'first', from: 'a@sender.example', subject: 'no one', text: 'x' },
				{ ref: 'second', from: 'a@sender.example', to: 'r@example.org', subject: 's', text: 'x' },
			],
			{ smtp: smtpSettingsFor(srv) },
		);
		expect(report.results[0]).toMatchObject({
			ref: 'first',
			status: 'failed',
			attempts: 0,
			error: {
				kind: 'permanent',
				message: 'Message first has no recipient: set "to" (or cc, bcc).',
			},
		});
		expect(report.results[1]).toMatchObject({ ref: 'second', status: 'sent' });
	});

	it("ends with the caller's error when onResult or the input fails, after the messages in flight", async () => {
		const srv = await server();
		const reported: Array<string | number> = [];
		await expect(
			sendMessages(messagesTo(Array.from({ length: 30 }, (_, i) => `r${i}@example.org`)), {
				smtp: smtpSettingsFor(srv),
				maxInFlight: 4,
				onResult: (result) => {
					reported.push(result.ref);
					if (reported.length === 6) throw new Error('send log write failed');
				},
			}),
		).rejects.toThrow('send log write failed');
		// the run stopped reading: only the messages already in flight (window of 4) came after it
		expect(reported.length).toBeLessThanOrEqual(6 + 4);
		// everything that reached the server was reported
		expect(srv.messages.length).toBeLessThanOrEqual(reported.length);

		async function* broken(): AsyncGenerator<OutgoingMessage> {
			yield { ref: 0, from: 'a@sender.example', to: 'x@example.org', text: 'x' };
			throw new Error('cursor lost');
		}
		const before = srv.messages.length;
		let results = 0;
		await expect(
			sendMessages(broken(), { smtp: smtpSettingsFor(srv), onResult: () => void results++ }),
		).rejects.toThrow('cursor lost');
		expect(results).toBe(1);
		expect(srv.messages.length).toBe(before + 1);
	});

	it('rejects invalid SMTP settings before sending anything', async () => {
		await expect(
			sendMessages(messagesTo(['a@example.org']), {
				smtp: { host: '', port: 25, security: 'none' },
			}),
		).rejects.toThrow(/SMTP host is empty/);
	});

	it('returns the warning for plain-text SMTP', async () => {
		const srv = await server();
		const report = await sendMessages(messagesTo(['a@example.org']), {
			smtp: smtpSettingsFor(srv),
		});
		expect(report.warnings[0]).toMatch(/Security is "none"/);
	});
});
