/**
 * The public URL layout of the Bounce Webhook endpoints, defined once. The base URL is the
 * Bounce Webhook node's production URL (e.g. `https://n8n.example.com/webhook/<webhookId>`),
 * held in the store credential; each endpoint is a path below it.
 */
import type { LinkPurpose } from './linkTokens';

export const ENDPOINT_PATHS = {
	unsubscribe: 'unsubscribe',
	open: 'open',
	click: 'click',
	confirm: 'confirm',
	preferences: 'preferences',
	events: 'events',
} as const;

export type EndpointName = keyof typeof ENDPOINT_PATHS;

/** The query parameter that carries a link token. */
export const TOKEN_PARAM = 't';

export interface BaseUrlOptions {
	/** Plain http is only for local testing and must be asked for. */
	allowInsecureHttp?: boolean;
}

/** Validates and normalises the public base URL (no trailing slash, no query or fragment). */
export function normaliseBaseUrl(raw: string, options: BaseUrlOptions = {}): string {
	let url: URL;
	try {
		url = new URL(String(raw ?? '').trim());
	} catch {
		throw new Error(
			`The public base URL '${String(raw)}' is not a valid URL; use the Bounce Webhook node's production URL, e.g. https://n8n.example.com/webhook/<id>`,
		);
	}
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowInsecureHttp)) {
		throw new Error(
			`The public base URL must use https (got '${url.protocol}'); plain http is only allowed with the "Allow Insecure HTTP Links" option for local testing`,
		);
	}
	if (url.search || url.hash) {
		throw new Error('The public base URL must not contain a query string or fragment');
	}
	if (url.username || url.password) {
		throw new Error('The public base URL must not contain a user name or password');
	}
	return url.toString().replace(/\/+$/, '');
}

export function endpointUrl(baseUrl: string, endpoint: EndpointName): string {
	return `${baseUrl}/${ENDPOINT_PATHS[endpoint]}`;
}

/** The URL of a signed link: `<base>/<purpose>?t=<token>`. */
export function linkUrl(baseUrl: string, purpose: LinkPurpose, token: string): string {
	return `${baseUrl}/${ENDPOINT_PATHS[purpose]}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
}
