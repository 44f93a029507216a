/**
 * The Bounce Webhook engine (no n8n imports): every request the trigger serves, as plain
 * functions from a request to a response plus the recorded events.
 *
 *   handleEventsRequest(store, provider, request, config, options?) → HandlerResult
 *     provider events (SES/SNS, SendGrid, Mailgun, Postmark, Brevo, generic HMAC, DSN): verified
 *     first (lib/events verifyAndParse), then recorded exactly once in one transaction.
 *   handleUnsubscribe(store, signer, request, options?)  RFC 8058 one-click POST; GET shows a
 *     confirmation page whose button POSTs (a GET never changes anything).
 *   handleOpen(store, signer, request, options?)   1×1 GIF, the open counted once per recipient.
 *   handleClick(store, signer, request, options?)  302 to the signed URL only, click counted.
 *     Both answer even when the store cannot record the hit (then `unrecorded` says why).
 *   handleConfirm(store, signer, request, options?)   double opt-in: GET shows a button, POST
 *     confirms (pending → active, consent recorded with IP and user agent); idempotent.
 *   handlePreferences(store, signer, request, options?)   the lists of the token's address; POST
 *     leaves the chosen ones or all. Pages in English and Japanese (lib/webhook/pages.ts).
 *   recordEvents(store, events, options?)          the recording step on its own.
 *   recordReturnedMail(store, classification, { verpSecret, bounceMessageId, … })  one returned
 *     message read by lib/bounce classifyBounce (mailbox): VERP first, then the address; once.
 *   cachedStore(config) / cachedSigner(secret)     per-process caches for the adapter.
 *
 * `store` may be an opened SqlSubscriberStore or a function that opens it (called only once a
 * request has been verified). A HandlerResult's `response` is what to answer; `events` are the
 * verified events with what the store did (duplicate, unknownRecipient, statusAfter, …);
 * `rejected` says why a request was refused (nothing recorded).
 */
export * from './types';
export { eventsToStart, handleEventsRequest, historyWarning, safeMessage, type EventsConfig, type EventsHandlerOptions } from './events';
export { handleClick, handleOpen, handleUnsubscribe, safeRedirectTarget, type LinkHandlerOptions } from './links';
export { EVENT_ID_RETENTION_MS, forgetOldEventIds, recordEvents, WEBHOOK_ACTOR } from './record';
export { recordReturnedMail, type ReturnedMailOptions, type ReturnedMailResult } from './returnedMail';
export { handleConfirm, handlePreferences, type OptinHandlerOptions, type OptinHandlerResult, type OptinOutcome } from './optin';
export { PAGE_LANGUAGES, PAGE_TEXTS, pickLanguage, type PageLanguage, type PageLanguageOption } from './pages';
export {
	campaignCounterFor,
	countCampaignEvent,
	pauseOnComplaintRate,
	resolveComplaintPause,
} from './campaignEvents';
export { escapeHtml, jsonResponse, textResponse, TRANSPARENT_GIF } from './http';
export { cachedSigner, cachedStore, cachedStoreCount, closeCachedStores } from './storeCache';
export { handleReport, type ReportHandlerOptions } from './report';
export {
	DEFAULT_REPORT_LINK_DAYS,
	MAX_REPORT_LINK_DAYS,
	REPORT_PATH,
	reportLinkUrl,
	signReportLink,
	storeTag,
	verifyReportLink,
	type ReportLinkClaims,
	type ReportLinkFailure,
	type ReportLinkResult,
} from './reportLink';
