/**
 * The sending engine's SMTP side (no n8n imports, no store). Building blocks:
 *
 * - transport.ts: `SmtpSettings` (host, port, security 'tls' | 'starttls' | 'none', minimum TLS
 *   version, auth, EHLO name, allowSelfSigned, DKIM, pool, timeouts);
 *   `validateSmtpSettings(s): string[]` (throws SmtpSettingsError, returns warnings);
 *   `createPooledTransport(s, defaults?)` → one nodemailer pool (file/URL access off; fills a
 *   HandoverTracker passed under HANDOVER_TRACKER_KEY); `verifySmtp(s)` → `{ ok, message,
 *   reason, warnings }` for a credential test; `describeConnectionError(err, s)`.
 *   `toWireMessage(options)` → the message prebuilt by lib/compose/rawMessage (plain text/HTML,
 *   as toSendMailOptions makes them) or the options for nodemailer to compose;
 *   `sendWireMessage(transport, wire, tracker)` hands a prebuilt one straight to the pool (its
 *   envelope, Message-ID and bytes, DKIM-signed by the transport): nodemailer's per-message
 *   composing (MailComposer, a stream per part) was most of the sender's CPU.
 * - errors.ts: `classifySendError(err, stage?, s?)` → `{ kind: 'retryable' | 'permanent' |
 *   'unknown' | 'fatal', message, code, responseCode, enhancedStatus, command, response }`.
 *   `stage` comes from `handoverStage(tracker)`: a connection lost after the end-of-data "."
 *   is 'unknown' (never retried), before it 'retryable'.
 * - retry.ts: `backoffDelay(failedAttempts, policy, random?)` (full jitter), `withRetry(fn, opts)`.
 * - limiter.ts: `createLimiter(config)` → `SendLimiter { schedule(domain, fn), dailyRemaining(),
 *   limits, disconnect() }` on Bottleneck (per second/minute/hour/day, max concurrent, provider
 *   presets, per-domain rules, warm-up, optional Redis clustering via `redis: { id, url }`).
 *   Always `disconnect()` in a finally.
 * - breaker.ts: `FailureRateBreaker` over the last N outcomes (`resolveBreakerOptions` checks them).
 * - config.ts: `validateSendConfig({ smtp, limiter?, retry?, breaker? })` checks a whole run's
 *   settings once, before anything connects; returns the SMTP warnings.
 * - itemSender.ts: `sendMessages(messages, options)` → `SendRunReport` — item mode: one pooled
 *   transport per run, limiter, retries, breaker, bounded in-flight window, one result per
 *   message (`sent | failed | unknown | skipped`). Campaign mode can reuse it with
 *   `collectResults: false`, `onResult` (record each outcome in the send log as it happens),
 *   `skipRemainingOnStop: false`, a shared `limiter`/`transport`, and `signal` for a time budget.
 */
export * from './transport';
export * from './errors';
export * from './retry';
export * from './limiter';
export * from './breaker';
export * from './itemSender';
export * from './bounce';
export * from './config';
