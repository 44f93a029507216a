/** The link, tracking and header options of compileTemplate (no templates). */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

import { CORRELATION_HEADERS } from '../events';
import { LinkSigner, normaliseBaseUrl } from '../store';
import { ComposeError } from './errors';
import {
	sanitizeHeaderText,
	STRUCTURAL_HEADERS,
	validateEmailAddress,
	validateHeaderName,
} from './headerSafety';
import { linkPrefixes, type LinkPrefixes } from './links';
import type { ComposeOptions, MessageEncoding } from './types';

export const PROOF_HEADER = 'X-Bulk-Mail-Proof';
export const DEFAULT_PROOF_PREFIX = '[TEST] ';

// The structural headers plus the ones the engine itself writes per recipient.
const RESERVED_HEADERS = new Set([
	...STRUCTURAL_HEADERS,
	'return-path',
	'list-unsubscribe',
	'list-unsubscribe-post',
	PROOF_HEADER.toLowerCase(),
	CORRELATION_HEADERS.campaignId.toLowerCase(),
	CORRELATION_HEADERS.subscriberId.toLowerCase(),
]);

export interface LinkSettings {
	baseUrl: string;
	prefixes: LinkPrefixes;
	signer: LinkSigner | null;
	messageIdKey: KeyObject | null;
	listUnsubscribe: boolean;
	trackOpens: boolean;
	trackClicks: boolean;
	trackText: boolean;
	trapLink: boolean;
	unsubscribeMailto: string | null;
	encoding: MessageEncoding;
	extraHeaders: Array<[string, string]>;
	proofPrefix: string;
}

/** Checks the options for links and headers (throws ComposeError); warnings go to `warnings`. */
// Long: a flat run of independent option checks, each with its own error; no shared state to split on.
export function resolveLinkSettings(options: ComposeOptions, warnings: string[]): LinkSettings {
	let baseUrl = '';
	let prefixes = linkPrefixes('');
	let signer: LinkSigner | null = null;
	let messageIdKey: KeyObject | null = null;
	if (options.baseUrl) {
		try {
			baseUrl = normaliseBaseUrl(options.baseUrl, {
				allowInsecureHttp: options.allowInsecureHttp === true,
			});
		} catch (error) {
			throw new ComposeError('invalid-option', (error as Error).message);
		}
		prefixes = linkPrefixes(baseUrl);
		if (baseUrl.startsWith('http:')) {
			warnings.push(
				`The public base URL ${baseUrl} uses plain http: unsubscribe and tracking links are not encrypted and Gmail/Yahoo require https for one-click unsubscribe. Use this for local testing only`,
			);
		}
		if (typeof options.secret !== 'string') {
			throw new ComposeError(
				'invalid-option',
				'The link-signing secret of the subscriber store is required to sign unsubscribe and tracking links',
			);
		}
		try {
			signer = new LinkSigner(options.secret);
		} catch (error) {
			throw new ComposeError('invalid-option', (error as Error).message);
		}
		messageIdKey = createSecretKey(
			createHmac('sha256', options.secret).update('bulk-mail/message-id').digest(),
		);
	}
	const listUnsubscribe = options.listUnsubscribe ?? signer !== null;
	const trackOpens = options.trackOpens === true;
	const trackClicks = options.trackClicks === true;
	const trackText = options.trackTextLinks === true && trackClicks;
	const trapLink = options.trapLink === true && trackClicks;
	if (!signer && (listUnsubscribe || trackOpens || trackClicks)) {
		throw new ComposeError(
			'invalid-option',
			'List-Unsubscribe and open/click tracking need the public base URL (the Bounce Webhook production URL) and the link-signing secret',
		);
	}
	const unsubscribeMailto = options.unsubscribeMailto
		? validateEmailAddress(options.unsubscribeMailto, 'Unsubscribe mailto address')
		: null;
	if (
		unsubscribeMailto &&
		!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]+$/.test(unsubscribeMailto)
	) {
		throw new ComposeError(
			'invalid-option',
			'The unsubscribe mailto address must be plain ASCII (it is written into a header as is)',
		);
	}
	const encoding: MessageEncoding = options.encoding ?? 'utf-8';
	if (encoding !== 'utf-8' && encoding !== 'iso-2022-jp') {
		throw new ComposeError('invalid-option', `Encoding must be 'utf-8' or 'iso-2022-jp'`);
	}
	const extraHeaders: Array<[string, string]> = Object.entries(options.headers ?? {}).map(([name, value]) => {
		validateHeaderName(name);
		if (RESERVED_HEADERS.has(name.toLowerCase())) {
			throw new ComposeError(
				'invalid-option',
				`The header '${name}' is set by the engine and cannot be given as an extra header`,
			);
		}
		return [name, sanitizeHeaderText(value)] as [string, string];
	});
	let proofPrefix = sanitizeHeaderText(options.proofSubjectPrefix ?? DEFAULT_PROOF_PREFIX);
	if (proofPrefix) proofPrefix += ' ';
	return {
		baseUrl,
		prefixes,
		signer,
		messageIdKey,
		listUnsubscribe,
		trackOpens,
		trackClicks,
		trackText,
		trapLink,
		unsubscribeMailto,
		encoding,
		extraHeaders,
		proofPrefix,
	};
}
