/**
 * The campaign engine of Bulk Send (campaign mode; no n8n imports). A campaign sends one
 * Compose template to the active subscribers of a list, reading them from the store in keyset
 * batches and composing each message on the fly, so memory stays flat for any list size. A send
 * log keyed by (campaign, subscriber) makes runs resumable and delivery at most once.
 *
 * For the n8n node (Bulk Send, resource Campaign) — every function takes the opened
 * `SqlSubscriberStore` (lib/store openStore) and, where it changes something, an audit `Actor`:
 *
 *   createCampaign(store, { name, listId? | listIds?: string[] (ordered), segment?: { segmentId }
 *     | { definition }, timeZone?, filter?: { search?, field?: { name, value } },
 *     template: { subject, html?, text?, from, replyTo? }, composeOptions?: (Compose options
 *     without `secret`), sender?: { smtp?, limiter?, retry?, breaker? }, sendAt? }, actor)
 *                                → Campaign (status 'draft', or 'scheduled' with sendAt)
 *     The template is compiled once to reject errors now (CampaignError 'invalid', naming the
 *     problem). Stored: the template and compose options (no secret), the sender settings
 *     without password, DKIM key, CA or Redis URL.
 *     Audience (schema 9, campaign.audience): an address on several of the lists gets one
 *     message, made with its active row on the first list in order; the segment is evaluated
 *     per row and frozen at the start (definition copied, evaluation time = start).
 *   createFollowUp(store, { campaignId, name, template, unless?: 'opened' | 'clicked',
 *     opens?: 'any' | 'human', composeOptions?, sender?, sendAt?, createKey? }, actor)
 *                                → Campaign: to C's recipients whose send succeeded and who did
 *     not open (click), minus bounced, complained and unsubscribed ones.
 *   getCampaign(store, id)       → Campaign | null
 *   listCampaigns(store, { status?, listId?, limit?, cursor? }) → { items, next }
 *   scheduleCampaign(store, id, sendAt | null, actor)  (before it starts)
 *   pauseCampaign(store, id, actor, reason?) / resumeCampaign(store, id, actor) /
 *   cancelCampaign(store, id, actor)   → Campaign; runs in progress stop after their in-flight
 *     messages (they notice within one batch write).
 *   campaignStatus(store, id)    → { campaign, counters, handled, remaining, inFlight,
 *     progressPct, message }
 *   getRecipients(store, id, { state?: RecipientState | RecipientState[], limit?, cursor? })
 *                                → { items: RecipientEntry[], next } (subscriber order, keyset)
 *   getReactionAddresses(store, id, max): the addresses that bounced, complained or unsubscribed (at most max each)
 *   recordCampaignEvent(store, { campaignId, subscriberId, type: 'opened' | 'clicked' |
 *     'bounced' | 'complained' | 'unsubscribed' | 'delivered' }) → boolean (counted once per
 *     recipient; recordCampaignEventIn(tx, …) inside a caller's transaction, for the webhook)
 *   sendCampaignProof(store, id, { to: string[] (≤ 20), smtp, transport?, composeSecret?, baseUrl?,
 *     asSubscriberId? }) → { sent, failed, results: [{ to, status, messageId, error }] }: a test
 *     send ("[TEST]" subject, no tracking, no campaign counters or send log), in any status.
 *   runCampaign(store | CampaignRunRepository, id, { smtp (with password), transport?, limiter? (config or a shared
 *     SendLimiter), retry?, breaker?, composeSecret?, baseUrl?, timeBudgetMs?, batchSize?,
 *     maxInFlight?, inFlightWindow?, retryUnknown?, resume?, leaseMs?, owner?, now?, signal?,
 *     maxFailuresInSummary?, actor? })
 *                                → CampaignRunSummary { campaignId, status, outcome, message,
 *     sentThisRun, failedThisRun, unknownThisRun, skippedThisRun, recoveredUnknown, remaining,
 *     inFlightWindow, durationMs, failures (≤ maxFailuresInSummary), failuresOmitted, warnings,
 *     limits }. The node outputs this as its one summary item and `failures` on the second
 *     output. Throws CampaignRunError (with `.summary`) when SMTP authentication/TLS/host
 *     fails: the campaign stays running with `lastError` set, so fixing the credential and
 *     running again continues.
 *
 * The run (CampaignRun in runner.ts) knows the store only through CampaignRunRepository
 * (repository.ts): the store's SqlCampaignRuns implements it; a test may pass its own.
 *
 * For messages outside a campaign's send log (item mode, proofs), deliveryRules.ts:
 *   deliveryRefusals(store, [{ email, subscriberId, confirmation? }], linkSecret) → why each
 *     recipient must not be mailed, or null (suppression, status, the double opt-in mark);
 *   applySendBounces(store, [{ result, to, subscriberId }], actor) → the bounce policy for
 *     refused recipients; returns those that could not be recorded.
 *   wallClockToUtc(value, timeZone) → a picker's zone-less send-at time as UTC.
 *
 * How a run works:
 * - A draft or due scheduled campaign becomes `running` on its first run, which fixes its
 *   membership: subscriber rows of its lists with id ≤ the highest id at that moment, matching
 *   the filter and the segment (its definition and evaluation time frozen then). A campaign whose send-at time has not come does nothing (outcome 'not-due'). A paused
 *   campaign does nothing unless run with `resume: true` (or resumeCampaign first).
 * - Recipients are claimed in keyset batches (`batchSize`, default 500) in one short
 *   transaction that locks the campaign row (PostgreSQL `FOR UPDATE`, put-back rows with
 *   `SKIP LOCKED`; SQLite `BEGIN IMMEDIATE`), written to the send log as `claimed` with this run
 *   as owner and a lease. Concurrent runs (overlapping Schedule slices, queue-mode workers,
 *   several processes) therefore never share a recipient. The next batch is claimed while the
 *   current one is being sent.
 * - Just before sending, each chunk re-reads the subscribers' status and the suppression list
 *   in one transaction: someone no longer active (unsubscribed mid-campaign, bounced, deleted)
 *   or suppressed is marked `skipped`; the others are marked `sending` and that is committed
 *   before any of them is handed to SMTP. Outcomes (`sent`, `failed`, `unknown`) and counters
 *   are written in batches, one transaction per batch.
 * - At most once: a recipient still `sending` whose lease ran out (its process died) becomes
 *   `unknown` and is never mailed again unless a run says `retryUnknown: true`. Only the
 *   in-flight window (`inFlightWindow`, default 6 × maxInFlight, at least 128) can end up so.
 *   Leases are renewed by a live run; `leaseMs` (default 120 s) is how long a dead run's
 *   recipients wait before another run takes them over. Every run of a campaign must use the
 *   same clock (`now` is for tests and must not run ahead of the others').
 * - SMTP outcomes come from the send engine (lib/send sendMessages, the same code as item mode):
 *   5xx → `failed`, never retried; 4xx or a connection lost before the hand-over → retried with
 *   backoff, then `failed`; lost after the end of data → `unknown`. A refusal is a bounce of the
 *   kind the shared reason rules give (lib/bounce classifyFailure): hard and soft go through the
 *   store's bounce policy, sender (blocked, reputation, authentication, content) never counts
 *   against the subscriber and goes to the campaign's sender health (`senderRefused`).
 * - Per-provider pause (`providerPause`, default 20 sender-side refusals that are ≥ 50 % of a
 *   receiving provider's attempts in 5 minutes; lib/bounce receivingProvider groups domains):
 *   that provider's recipients are `held` while the rest goes on; campaignStatus and the summary
 *   name it in plain words; a run with `resumeProviders: true` queues them again. `verp`: each
 *   message's return path is a signed bounces+<campaign>-<subscriber>-<mac>@<bounce domain>.
 * - Other SMTP outcomes: authentication/TLS → the run stops (CampaignRunError). The failure-
 *   rate breaker pauses the campaign with `pauseReason`. A daily cap ends the run; without
 *   Redis, each run's day budget starts from what the store's campaigns sent in the last 24 h.
 *   maxInFlight defaults to maxConnections × 4, or about 2 s worth at a slow rate limit.
 * - `timeBudgetMs`: the run stops handing out messages when it is used up (backoff waits end
 *   early), lets in-flight messages finish, puts its unsent claims back and returns with
 *   `remaining` > 0; the next run continues. A Schedule trigger can drive a long campaign so.
 */
export {
	cancelCampaign,
	campaignStatus,
	createCampaign,
	getCampaign,
	getRecipients,
	getReactionAddresses,
	listCampaigns,
	pauseCampaign,
	recordCampaignEvent,
	recordCampaignEventIn,
	resumeCampaign,
	scheduleCampaign,
	type CampaignEventType,
} from './campaigns';
export {
	MAX_PROOF_RECIPIENTS,
	sendCampaignProof,
	type ProofOptions,
	type ProofReport,
} from './proof';
export { createFollowUp } from './followUp';
export { MAX_CAMPAIGN_LISTS } from './audience';
export { CampaignRunError, runCampaign } from './runner';
export { applySendBounces, deliveryRefusals, type RecipientToCheck, type SendOutcome } from './deliveryRules';
export { wallClockToUtc } from './sendAt';
export type { CampaignRunRepository } from './repository';
export { pausedProviders, resumeProviders, type ProviderPause } from '../store';
export * from './types';
