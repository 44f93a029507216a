import { escapeHtml } from '../html';
import { TOKEN_PARAM } from '../store';
import type { HttpRequest, HttpResponse } from './types';

/** Link endpoints carry personal tokens: never cached, never indexed, never sent on as Referer. */
const PRIVATE_HEADERS: Record<string, string> = {
	'Cache-Control': 'no-store, max-age=0',
	'Referrer-Policy': 'no-referrer',
	'X-Robots-Tag': 'noindex, nofollow',
	'X-Content-Type-Options': 'nosniff',
};

/** No script, nothing loaded from anywhere; the one form may only post back to us. */
const PAGE_CSP =
	"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The smallest transparent 1×1 GIF (43 bytes). */
export const TRANSPARENT_GIF = Buffer.from(
	'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
	'base64',
);

export function jsonResponse(status: number, body: Record<string, unknown>): HttpResponse {
	return {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
		body: JSON.stringify(body),
	};
}

export function gifResponse(): HttpResponse {
	return {
		status: 200,
		headers: { ...PRIVATE_HEADERS, 'Content-Type': 'image/gif', 'Content-Length': String(TRANSPARENT_GIF.length) },
		body: TRANSPARENT_GIF,
	};
}

export function textResponse(status: number, text: string): HttpResponse {
	return {
		status,
		headers: { ...PRIVATE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
		body: text,
	};
}

export function redirectResponse(location: string): HttpResponse {
	return {
		status: 302,
		headers: { ...PRIVATE_HEADERS, Location: location, 'Content-Type': 'text/plain; charset=utf-8' },
		body: `Redirecting to ${location}`,
	};
}

export { escapeHtml };

export interface PageContent {
	title: string;
	/** Paragraphs of plain text (escaped here). */
	paragraphs: string[];
	/** A form that posts back; every value is escaped here. */
	form?: { action: string; fields: Record<string, string>; button: string };
}

/** A small self-contained HTML page: no script, no external resources, everything escaped. */
export function htmlResponse(status: number, page: PageContent): HttpResponse {
	const paragraphs = page.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n');
	let form = '';
	if (page.form) {
		const hidden = Object.entries(page.form.fields)
			.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
			.join('');
		form =
			`<form method="post" action="${escapeHtml(page.form.action)}">${hidden}` +
			`<button type="submit">${escapeHtml(page.form.button)}</button></form>`;
	}
	const body = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;color:#222;line-height:1.5}
button{font-size:1em;padding:.6em 1.4em;border:0;border-radius:4px;background:#c0392b;color:#fff;cursor:pointer}</style>
</head><body>
<h1>${escapeHtml(page.title)}</h1>
${paragraphs}
${form}
</body></html>
`;
	return {
		status,
		headers: {
			...PRIVATE_HEADERS,
			'Content-Type': 'text/html; charset=utf-8',
			'Content-Security-Policy': PAGE_CSP,
			'X-Frame-Options': 'DENY',
		},
		body,
	};
}

/** The first value of a query parameter, when it is a string. */
export function queryValue(request: HttpRequest, name: string): string | undefined {
	const value = request.query?.[name];
	const first = Array.isArray(value) ? value[0] : value;
	return typeof first === 'string' ? first : undefined;
}

/** The largest form body the unsubscribe endpoint reads (a token and a flag fit easily). */
const MAX_FORM_BYTES = 16 * 1024;

/** Fields of an `application/x-www-form-urlencoded` body (empty for anything else). */
export function formFields(request: HttpRequest): URLSearchParams {
	const body = request.rawBody;
	if (!body || body.length === 0 || body.length > MAX_FORM_BYTES) return new URLSearchParams();
	const type = String(
		Object.entries(request.headers ?? {}).find(([key]) => key.toLowerCase() === 'content-type')?.[1] ?? '',
	).toLowerCase();
	// RFC 8058 senders use application/x-www-form-urlencoded or multipart/form-data; a missing
	// type is read as a form too (some clients omit it for `List-Unsubscribe=One-Click`).
	if (type && !type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('text/plain')) {
		return new URLSearchParams();
	}
	return new URLSearchParams(body.toString('utf8'));
}

/** The link token: `?t=` first, then a `t` form field (the confirmation page posts it). */
export function linkToken(request: HttpRequest, form?: URLSearchParams): string | undefined {
	return queryValue(request, TOKEN_PARAM) ?? form?.get(TOKEN_PARAM) ?? undefined;
}
