/**
 * The report endpoint: a GET with a signed report token shows the campaign's HTML report
 * (lib/reports renderReportHtml). Read-only, no subscriber addresses (a report holds none),
 * `noindex`, no caching, no referrer, a CSP that forbids scripts and every external request.
 * A refused request gets a small page that says why: 403 for a token that does not verify,
 * 410 for an expired one, 404 for a campaign this store does not have (or another store's
 * link) — never a stack trace, never another store's figures.
 */
import { renderReportHtml } from '../reports';
import { isCampaignId, type LinkSigner, ReportError, type SqlSubscriberStore } from '../store';
import { linkToken, textResponse } from './http';
import { optinPageResponse, pickLanguage, type PageLanguage, type PageLanguageOption } from './pages';
import { verifyReportLink } from './reportLink';
import type { HandlerResult, HttpRequest, HttpResponse } from './types';

export interface ReportHandlerOptions {
	/** storeTag() of the store this endpoint serves: links made for another store are refused. */
	storeTag: string;
	/** The Bounce Webhook's page language option. */
	language?: PageLanguageOption;
	/** Clock in milliseconds (token expiry); tests only. */
	now?: () => number;
}

type StoreSource = SqlSubscriberStore | (() => Promise<SqlSubscriberStore>);

const REFUSALS = {
	en: {
		invalid: ['This report link is not valid', 'The link could not be verified. It may have been changed or cut off: please use the complete link.'],
		expired: ['This report link has expired', 'Report links are valid for a limited time. Please ask for a new link.'],
		missing: ['This report is not available', 'There is no such campaign in this store.'],
	},
	ja: {
		invalid: ['このレポートのリンクは無効です', 'リンクを確認できませんでした。途中で変更されたか切れている可能性があります。リンク全体を使ってください。'],
		expired: ['このレポートのリンクは有効期限が切れています', 'レポートのリンクには有効期限があります。新しいリンクを依頼してください。'],
		missing: ['このレポートは表示できません', 'このストアにはそのキャンペーンがありません。'],
	},
} as const;

function refusal(status: number, kind: keyof (typeof REFUSALS)['en'], lang: PageLanguage, reason: string): HandlerResult {
	const [title, text] = REFUSALS[lang][kind];
	return { response: optinPageResponse(status, { lang, title, paragraphs: [text] }), events: [], rejected: { status, reason } };
}

/** The report page's headers: the private ones of every link page, and the report's own CSP. */
function reportResponse(html: string, lang: PageLanguage): HttpResponse {
	return {
		status: 200,
		headers: {
			'Content-Type': 'text/html; charset=utf-8',
			'Content-Language': lang,
			'Cache-Control': 'no-store, max-age=0',
			'Referrer-Policy': 'no-referrer',
			'X-Robots-Tag': 'noindex, nofollow',
			'X-Content-Type-Options': 'nosniff',
			'X-Frame-Options': 'DENY',
			'Content-Security-Policy':
				"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
		},
		body: html,
	};
}

export async function handleReport(
	store: StoreSource,
	signer: LinkSigner,
	request: HttpRequest,
	options: ReportHandlerOptions,
): Promise<HandlerResult> {
	const lang = pickLanguage(request, options.language ?? 'auto');
	const method = String(request.method).toUpperCase();
	if (method !== 'GET' && method !== 'HEAD') {
		return { response: textResponse(405, 'Method not allowed'), events: [], rejected: { status: 405, reason: 'Only GET is accepted' } };
	}
	const verified = verifyReportLink(signer, linkToken(request), options.now?.() ?? Date.now());
	if (!verified.ok) {
		if (verified.reason === 'expired') return refusal(410, 'expired', lang, 'The report link has expired');
		return refusal(403, 'invalid', lang, `The report link does not verify (${verified.reason})`);
	}
	const { claims } = verified;
	if (claims.storeTag !== options.storeTag) {
		return refusal(404, 'missing', lang, 'The report link was made for another store');
	}
	if (!isCampaignId(claims.campaignId)) return refusal(404, 'missing', lang, 'The report link names no valid campaign');
	const opened = typeof store === 'function' ? await store() : store;
	const query = { timeZone: claims.timeZone ?? 'UTC', topDomains: claims.topDomains };
	let report;
	try {
		report = await opened.getCampaignReport(claims.campaignId, query).catch((error: unknown) => {
			// a signed link only carries what Get Report checked; a zone the runtime lost falls back to UTC
			if (error instanceof ReportError && error.code === 'invalid') return opened.getCampaignReport(claims.campaignId, {});
			throw error;
		});
	} catch (error) {
		if (error instanceof ReportError && error.code === 'not-found') {
			return refusal(404, 'missing', lang, `There is no campaign with ID '${claims.campaignId}'`);
		}
		throw error;
	}
	return { response: reportResponse(renderReportHtml(report, { language: lang }), lang), events: [] };
}
