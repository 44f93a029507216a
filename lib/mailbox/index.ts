/**
 * Reading returned mail from an IMAP mailbox (no n8n imports): whole messages, moved to a
 * processed or unreadable folder once dealt with.
 */
export * from './types';
export { MailboxError, checkMailbox, checkMailboxSettings, drainMailbox } from './imapMailbox';
export { readBounceMailbox, type BounceMailboxOptions, type BounceMailboxOutcome, type BounceMailboxReport, type ReadMessage } from './bounceMailbox';
export { bounceMessageIdOf, unreadableReason } from './messageKey';
