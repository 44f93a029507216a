/**
 * The format modules in the order they are tried: complaints, standard DSNs, then the MTAs and
 * providers with formats of their own, then plain-text bounces. Auto-replies are told apart in
 * the classifier (a bounce may carry the same headers).
 */
import { arf } from './arf';
import { plainText } from './plaintext';
import { rfc3464 } from './rfc3464';
import type { FormatModule } from './types';

export { autoReply, isAutoReply } from './autoreply';
export { looksLikeBounce } from './plaintext';
export type { FormatModule, FormatResult, ReadRecipient } from './types';

export const BOUNCE_FORMATS: FormatModule[] = [arf, rfc3464];
export const FALLBACK_FORMAT: FormatModule = plainText;
