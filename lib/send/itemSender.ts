import type { SMTPPoolSentMessageInfo } from 'nodemailer';
import { FailureRateBreaker } from './breaker';
import { classifySendError } from './errors';
import type { ClassifiedSendError } from './errors';
import { createLimiter, DailyCapReachedError, describeLimits } from './limiter';
import type { LimiterConfig, SendLimiter } from './limiter';
import { backoffDelay, resolveRetryPolicy, sleep as realSleep } from './retry';
import {
	acceptsPrebuiltMessages,
	createHandoverTracker,
	createPooledTransport,
	handoverStage,
	sendWireMessage,
	toWireMessage,
	validateSmtpSettings,
} from './transport';
import type { HandoverTracker, PooledTransport, WireMessage } from './transport';
import {
	addresses,
	emptyCounts,
	failedResult,
	type OutgoingMessage,
	type RunOutcome,
	type SendMessagesOptions,
	type SendResult,
	type SendRunReport,
	stoppedError,
	toResultError,
} from './sendResults';
import { firstRecipient, recipientDomain } from './recipients';

export {
	type OutgoingMessage,
	type RunOutcome,
	type SendMessagesOptions,
	type SendResult,
	type SendResultError,
	type SendStatus,
	type SendRunReport,
} from './sendResults';
export { firstRecipient, recipientDomain } from './recipients';

type StopState = { outcome: Exclude<RunOutcome, 'completed'>; message: string };

const STOPPED = Symbol('stopped');

function isSendLimiter(value: unknown): value is SendLimiter {
	return Boolean(value) && typeof (value as SendLimiter).schedule === 'function';
}

/**
 * Item mode: sends every message through one pooled transport, within the limits, retrying
 * deferrals, and reports one result per message. Never throws for a message or SMTP problem: a
 * fatal error (auth, TLS, host) or a tripped breaker ends the run with that outcome. Throws for
 * invalid settings or an unreachable Redis limiter (before anything is sent), and with the
 * caller's own error when the input iterator or `onResult` throws (after the messages already in
 * flight have finished and been reported).
 *
 * Long on purpose: this is the per-message hot path, and its closures share the run's counters,
 * in-flight window and stop state; splitting it would add a call layer per message.
 */
export async function sendMessages(
	messages: Iterable<OutgoingMessage> | AsyncIterable<OutgoingMessage>,
	options: SendMessagesOptions,
): Promise<SendRunReport> {
	const started = Date.now();
	const warnings = validateSmtpSettings(options.smtp);
	const policy = resolveRetryPolicy(options.retry);
	const wait = options.sleep ?? realSleep;
	const collect = options.collectResults !== false;
	const skipRemaining = options.skipRemainingOnStop !== false;
	const maxConnections = options.smtp.pool?.maxConnections ?? 5;
	const maxInFlight = Math.max(
		1,
		Math.floor(options.maxInFlight ?? Math.max(8, maxConnections * 4)),
	);
	const breaker = options.breaker === false ? null : new FailureRateBreaker(options.breaker ?? {});

	const ownLimiter = !isSendLimiter(options.limiter);
	const limiter = isSendLimiter(options.limiter)
		? options.limiter
		: await createLimiter(options.limiter as LimiterConfig | undefined);
	const ownTransport = !options.transport;
	let transport: PooledTransport | null = null;

	const results: Array<SendResult | undefined> = [];
	const counts = emptyCounts();
	let stop: StopState | null = null;
	let fatalError: ClassifiedSendError | undefined;

	const requestStop = (state: StopState) => {
		if (!stop) stop = state;
	};
	let transportClosed = false;
	// only a transport this run owns is closed early; the caller's stays open for its other uses
	const closeTransport = () => {
		if (transportClosed || !transport || !ownTransport) return;
		transportClosed = true;
		transport.close();
	};
	const onAbort = () =>
		requestStop({
			outcome: 'aborted',
			message: 'The run was stopped before every message was sent.',
		});
	if (options.signal) {
		if (options.signal.aborted) onAbort();
		else options.signal.addEventListener('abort', onAbort, { once: true });
	}

	const finish = async (seq: number, result: SendResult) => {
		counts[result.status]++;
		if (collect) results[seq] = result;
		if (
			breaker &&
			(result.status === 'sent' || result.status === 'failed' || result.status === 'unknown')
		) {
			if (breaker.record(result.status === 'sent')) {
				requestStop({
					outcome: 'paused',
					message: `Paused: ${breaker.describe()}. Check the failures before resuming.`,
				});
			}
		}
		if (options.onResult) await options.onResult(result);
	};

	const skippedResult = (ref: number | string, attempts: number, reason: string): SendResult => ({
		ref,
		status: 'skipped',
		messageId: null,
		accepted: [],
		rejected: [],
		response: null,
		attempts,
		error: stoppedError(reason),
	});

	// Long: one message's attempts and retries, sharing the run's counters and stop state (hot path, no extra layer).
	const sendOne = async (message: OutgoingMessage, seq: number): Promise<void> => {
		const ref = message && message.ref !== undefined ? message.ref : seq;
		if (!message || typeof message !== 'object') {
			await finish(seq, {
				ref,
				status: 'failed',
				messageId: null,
				accepted: [],
				rejected: [],
				response: null,
				attempts: 0,
				error: {
					kind: 'permanent',
					message: `Message ${ref} is not an object.`,
					code: null,
					responseCode: null,
					enhancedStatus: null,
					command: null,
				},
			});
			return;
		}
		const recipient = firstRecipient(message);
		if (!recipient) {
			await finish(seq, {
				ref,
				status: 'failed',
				messageId: null,
				accepted: [],
				rejected: [],
				response: null,
				attempts: 0,
				error: {
					kind: 'permanent',
					message: `Message ${ref} has no recipient: set "to" (or cc, bcc).`,
					code: 'EENVELOPE',
					responseCode: null,
					enhancedStatus: null,
					command: null,
				},
			});
			return;
		}
		const domain = recipientDomain(recipient);
		const { ref: _ref, ...given } = message;
		// built once, before the limiter, and reused by every attempt
		const wire: WireMessage = prebuild ? toWireMessage(given) : { options: given };
		let attempts = 0;
		for (;;) {
			const current = stop as StopState | null;
			if (current) {
				await finish(seq, skippedResult(ref, attempts, `Not sent: ${current.message}`));
				return;
			}
			let tracker: HandoverTracker | null = null;
			let info: SMTPPoolSentMessageInfo;
			try {
				info = await limiter.schedule(domain, () => {
					if (stop) return Promise.reject(STOPPED);
					attempts++;
					tracker = createHandoverTracker();
					return sendWireMessage(transport!, wire, tracker);
				});
			} catch (error) {
				if (error === STOPPED) continue;
				if (error instanceof DailyCapReachedError) {
					requestStop({ outcome: 'daily-cap', message: error.message });
					continue;
				}
				const stage = tracker ? handoverStage(tracker) : 'before-data';
				if (transportClosed) {
					// the pool was closed under this message because of a fatal error elsewhere
					if (stage !== 'data-sent') continue;
					await finish(
						seq,
						failedResult(ref, 'unknown', attempts, classifySendError(error, stage, options.smtp)),
					);
					return;
				}
				const classified = classifySendError(error, stage, options.smtp);
				if (classified.kind === 'fatal') {
					fatalError ??= classified;
					requestStop({ outcome: 'fatal', message: `Stopped: ${classified.message}` });
					// every queued message would fail the same way (and cost another login attempt)
					closeTransport();
					if (stage === 'data-sent') {
						await finish(seq, failedResult(ref, 'unknown', attempts, classified));
					} else {
						await finish(seq, {
							...skippedResult(ref, attempts, `Not sent: ${classified.message}`),
							error: toResultError(classified),
						});
					}
					return;
				}
				if (classified.kind === 'retryable') {
					if (attempts < policy.maxAttempts) {
						await wait(backoffDelay(attempts, policy, options.random));
						continue;
					}
					await finish(
						seq,
						failedResult(ref, 'failed', attempts, {
							...classified,
							message: `Gave up after ${attempts} attempts: ${classified.message}`,
						}),
					);
					return;
				}
				await finish(
					seq,
					failedResult(
						ref,
						classified.kind === 'unknown' ? 'unknown' : 'failed',
						attempts,
						classified,
					),
				);
				return;
			}
			// outside the try: an error thrown by onResult must not be taken for a send error
			await finish(seq, {
				ref,
				status: 'sent',
				messageId: info.messageId ?? null,
				accepted: addresses(info.accepted),
				rejected: addresses(info.rejected),
				response: info.response ?? null,
				attempts,
			});
			return;
		}
	};

	const iterator: Iterator<OutgoingMessage> | AsyncIterator<OutgoingMessage> =
		Symbol.asyncIterator in Object(messages)
			? (messages as AsyncIterable<OutgoingMessage>)[Symbol.asyncIterator]()
			: (messages as Iterable<OutgoingMessage>)[Symbol.iterator]();

	let seq = 0;
	let sourceDone = false;
	let prebuild = false;
	try {
		transport = options.transport ?? createPooledTransport(options.smtp, options.defaults);
		prebuild = acceptsPrebuiltMessages(transport);
		// a counting window: at most maxInFlight messages between "read from the input" and "done"
		let active = 0;
		let failure: unknown = null;
		let wake: (() => void) | null = null;
		const settle = () => {
			active--;
			const resume = wake;
			wake = null;
			resume?.();
		};
		while (!stop && failure === null) {
			if (active >= maxInFlight) {
				await new Promise<void>((resolve) => {
					wake = resolve;
				});
				continue;
			}
			let next: IteratorResult<OutgoingMessage>;
			try {
				next = await iterator.next();
			} catch (error) {
				// the input failed (e.g. a database cursor): finish what is in flight, then rethrow
				failure = error ?? new Error('The message source failed');
				sourceDone = true;
				break;
			}
			if (next.done) {
				sourceDone = true;
				break;
			}
			active++;
			sendOne(next.value, seq++).then(settle, (error) => {
				// onResult threw (e.g. the send log could not be written): end the run with it
				failure ??= error ?? new Error('onResult failed');
				settle();
			});
		}
		while (active > 0) {
			await new Promise<void>((resolve) => {
				wake = resolve;
			});
		}
		if (failure !== null) throw failure;
		const current = stop as StopState | null;
		if (current && skipRemaining && !sourceDone) {
			for (;;) {
				const next = await iterator.next();
				if (next.done) break;
				const ref = next.value && next.value.ref !== undefined ? next.value.ref : seq;
				await finish(seq++, skippedResult(ref, 0, `Not sent: ${current.message}`));
			}
			sourceDone = true;
		}
	} finally {
		options.signal?.removeEventListener('abort', onAbort);
		if (!sourceDone) {
			await (iterator as AsyncIterator<OutgoingMessage>).return?.();
		}
		if (ownTransport && transport && !transportClosed) transport.close();
		if (ownLimiter) await limiter.disconnect();
	}

	const finalStop = stop as StopState | null;
	const total = counts.sent + counts.failed + counts.unknown + counts.skipped;
	return {
		outcome: finalStop ? finalStop.outcome : 'completed',
		message: finalStop
			? finalStop.message
			: `Sent ${counts.sent} of ${total}` +
				(counts.failed ? `, ${counts.failed} failed` : '') +
				(counts.unknown ? `, ${counts.unknown} unknown` : '') +
				'.',
		results: collect ? (results.filter(Boolean) as SendResult[]) : [],
		counts,
		fatalError,
		breaker: breaker?.snapshot(),
		warnings,
		limits: describeLimits(limiter.limits),
		durationMs: Date.now() - started,
	};
}
