/**
 * Bounce intelligence (no n8n imports): reason rules shared by every path that learns of a failed
 * delivery, and (coming) the classifier of returned mail.
 */
export * from './types';
export { classifyFailure, kindOfReason, isFailureReason } from './reasons';
