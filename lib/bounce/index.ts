/**
 * Bounce intelligence (no n8n imports): the classifier of returned mail, and the reason rules
 * shared by every path that learns of a failed delivery.
 */
export * from './types';
export { classifyFailure, kindOfReason, isFailureReason } from './reasons';
export { classifyBounce, MAX_RECIPIENTS } from './classify';
