/**
 * Double opt-in (no n8n imports):
 *
 *   reserveConfirmation(store, subscriber, limits, actor)   one confirmation mail per address,
 *     rate-limited (minimum interval, per-day cap), atomic on both backends → nonce or refusal
 *   renderConfirmation({ template, subscriber, listName, baseUrl, signer, validForHours })
 *     → { message, confirmUrl, expiresAt }; markConfirmation(secret, rendered, nonce) seals it
 *   verifyConfirmationMark(secret, message, mark) + consumeConfirmation(store, email, nonce)
 *     Bulk Send's check before it mails a pending subscriber (the confirmation, once, unchanged)
 *   confirmSubscriberIn(store, tx, id, evidence, actor)     pending → active + consent record
 *   getConsents(store, id)                                   the consent records of a subscriber
 *   purgeUnconfirmed(store, { olderThanDays, listId }, actor) removes only unconfirmed pending rows
 *   DEFAULT_CONFIRMATION_TEMPLATES                           English and Japanese
 *
 * The confirm and preferences pages are in lib/webhook/optin.ts.
 */
export * from './confirmation';
export * from './consent';
export * from './purge';
export * from './templates';
