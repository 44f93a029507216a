/**
 * The format modules in the order they are tried: complaints, standard DSNs, then the MTAs and
 * providers with formats of their own, then plain-text bounces. Auto-replies are told apart in
 * the classifier (a bounce may carry the same headers).
 */
import { amazonSes, receivingSes } from './amazonses';
import { arf } from './arf';
import { apacheJames } from './james';
import { au } from './au';
import { directoryMailers } from './directory';
import { exchange2003 } from './exchange';
import { fml } from './fml';
import { gmail } from './gmail';
import { googleGroups } from './googlegroups';
import { powerMta } from './powermta';
import { unsubscribeRequest } from './unsubscribe';
import { plainText } from './plaintext';
import { rfc3464 } from './rfc3464';
import type { FormatModule } from './types';

export { isAutoReply } from './autoreply';
export { looksLikeBounce } from './plaintext';
export { deliveryStatusBlocks } from './rfc3464';
export type { FormatModule, FormatResult, ReadRecipient } from './types';

export const BOUNCE_FORMATS: FormatModule[] = [arf, unsubscribeRequest, amazonSes, receivingSes, au, directoryMailers, googleGroups, gmail, exchange2003, powerMta, rfc3464, apacheJames, fml];
export const FALLBACK_FORMAT: FormatModule = plainText;
