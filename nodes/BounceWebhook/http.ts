import type { IWebhookFunctions } from 'n8n-workflow';
import type { HttpRequest, HttpResponse } from '../../lib/webhook';

type N8nRequest = ReturnType<IWebhookFunctions['getRequestObject']> & {
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
};

/**
 * The request as the engine needs it, with the body bytes exactly as sent (signatures are
 * computed over them). For a version-2 node n8n 2.x reads `req.rawBody` (and parses it) before
 * calling the trigger for JSON, text, form and XML bodies; others (a DSN's message/rfc822 or
 * multipart/report) are still unread and read here. A multipart/form-data body has been
 * consumed by n8n's form parser, and JSON that does not parse is answered 422 by n8n itself.
 */
export async function toHttpRequest(ctx: IWebhookFunctions): Promise<HttpRequest> {
	const req = ctx.getRequestObject() as N8nRequest;
	const method = String(req.method ?? 'GET').toUpperCase();
	const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
	if (
		req.rawBody === undefined &&
		method !== 'GET' &&
		typeof req.readRawBody === 'function' &&
		!contentType.startsWith('multipart/form-data')
	) {
		try {
			await req.readRawBody();
		} catch {
			// unreadable: the engine answers 400 for a missing body
		}
	}
	return {
		method,
		headers: req.headers,
		rawBody: Buffer.isBuffer(req.rawBody) ? req.rawBody : undefined,
		query: (req.query ?? {}) as Record<string, unknown>,
		// Express's req.ip honours n8n's proxy-hops setting (N8N_PROXY_HOPS), unlike a raw header.
		remoteAddress: req.ip ?? req.socket?.remoteAddress ?? undefined,
	};
}

/** Writes the engine's answer; n8n is told not to answer itself. */
export function sendResponse(ctx: IWebhookFunctions, response: HttpResponse): void {
	const res = ctx.getResponseObject();
	if (res.headersSent) return;
	res.status(response.status);
	for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
	const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
	res.setHeader('Content-Length', String(body.length));
	res.end(body);
}
