/**
 * The double opt-in endpoints behind the links a confirmation message and Compose Message sign:
 *
 * - confirm: GET shows a page with a button and changes nothing (mail scanners prefetch links);
 *   POST makes the pending subscriber active and records the consent (IP address, user agent,
 *   the subscriber's source). A second POST is idempotent.
 * - preferences: GET shows which lists the subscriber's address is on (every list, through the
 *   one signed link); POST leaves the chosen lists, or all of them.
 *
 * A token that does not verify (tampered, expired, another purpose) gets a 403 page and nothing
 * is read or recorded. The token is the forms' only credential (a hidden field, and the query of
 * the form's action), so another site cannot post a form on the subscriber's behalf.
 */
import { confirmSubscriberIn, type ConfirmResult } from '../optin';
import {
	type AddressRow,
	type LinkSigner,
	type LinkTokenClaims,
	membershipsOfAddress,
	recordAudit,
	type SqlSubscriberStore,
	type SubscriberStatus,
	subscriberWithList,
	writeStatus,
} from '../store';
import { countCampaignEvent, isRowId, lockCampaigns, resolveComplaintPause } from './campaignEvents';
import { formFields, linkToken, textResponse } from './http';
import { tokenProblem } from './links';
import { optinPageResponse, pickLanguage, PAGE_TEXTS, type PageLanguageOption, type PageTexts } from './pages';
import { inRetriedTransaction, WEBHOOK_ACTOR } from './record';
import type { HandlerResult, HttpRequest, HttpResponse, RecordOptions } from './types';

export interface OptinHandlerOptions extends RecordOptions {
	/** Page language: fixed, or `auto` from Accept-Language (default). */
	language?: PageLanguageOption;
	/** Clock in milliseconds (token expiry); tests only. */
	now?: () => number;
}

type StoreSource = SqlSubscriberStore | (() => Promise<SqlSubscriberStore>);

/** What a confirm or preferences request did, for the adapter (and tests). */
export interface OptinOutcome {
	endpoint: 'confirm' | 'preferences';
	subscriberId: string;
	/** confirm: the ConfirmResult outcome, or `shown` for a GET; preferences: `shown`, `left`, `left-all`. */
	outcome: string;
	/** Subscriber rows whose status changed. */
	changed: Array<{ id: string; listId: string; from: SubscriberStatus; to: SubscriberStatus }>;
	consentId?: string;
	/** The subscriber's address (when it was looked up). */
	email?: string;
	/** When it happened (ISO 8601, UTC). */
	occurredAt: string;
}

export interface OptinHandlerResult extends HandlerResult {
	optin?: OptinOutcome;
}

function resolveStore(store: StoreSource): Promise<SqlSubscriberStore> {
	return typeof store === 'function' ? store() : Promise.resolve(store);
}


/** The handler's clock (options.now in tests), in ms. */
function nowOf(options: OptinHandlerOptions): number {
	return options.now?.() ?? Date.now();
}

function isoNowOf(options: OptinHandlerOptions): string {
	return new Date(nowOf(options)).toISOString();
}

function methodOf(request: HttpRequest): 'GET' | 'POST' | null {
	const method = String(request.method).toUpperCase();
	return method === 'GET' || method === 'POST' ? method : null;
}

function header(request: HttpRequest, name: string): string | undefined {
	const value = Object.entries(request.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
	return Array.isArray(value) ? value[0] : value === undefined ? undefined : String(value);
}

interface Verified {
	claims: LinkTokenClaims;
	token: string;
	form: URLSearchParams | undefined;
	texts: PageTexts;
	lang: 'en' | 'ja';
	method: 'GET' | 'POST';
}

/** Method, token and language; a refusal response when the request cannot go on. */
function verify(
	purpose: 'confirm' | 'preferences',
	signer: LinkSigner,
	request: HttpRequest,
	options: OptinHandlerOptions,
): Verified | OptinHandlerResult {
	const lang = pickLanguage(request, options.language);
	const texts = PAGE_TEXTS[lang];
	const method = methodOf(request);
	if (!method) {
		return { response: textResponse(405, 'Method not allowed'), events: [], rejected: { status: 405, reason: 'Only GET and POST are accepted' } };
	}
	const form = method === 'POST' ? formFields(request) : undefined;
	const token = linkToken(request, form);
	const verified = token ? signer.verify(purpose, token, nowOf(options)) : null;
	if (!token || !verified || !verified.ok) {
		const reason = tokenProblem(!token ? 'missing' : verified && !verified.ok ? verified.reason : 'malformed');
		return {
			response: optinPageResponse(403, { lang, title: texts.invalidTitle, paragraphs: [texts.invalidText] }),
			events: [],
			rejected: { status: 403, reason },
		};
	}
	return { claims: verified.claims, token, form, texts, lang, method };
}

function actionUrl(token: string, lang: string): string {
	return `?t=${encodeURIComponent(token)}&lang=${lang}`;
}

/** Confirm: GET shows the button, POST confirms (pending → active, consent recorded). */
export async function handleConfirm(
	store: StoreSource,
	signer: LinkSigner,
	request: HttpRequest,
	options: OptinHandlerOptions = {},
): Promise<OptinHandlerResult> {
	const checked = verify('confirm', signer, request, options);
	if (!('claims' in checked)) return checked;
	const { claims, token, texts, lang, method } = checked;
	const subscriberId = claims.subscriberId;
	const opened = await resolveStore(store);
	const page = (status: number, title: string, paragraphs: string[], extra: Partial<Parameters<typeof optinPageResponse>[1]> = {}) =>
		optinPageResponse(status, { lang, title, paragraphs, ...extra });

	if (method === 'GET') {
		// Read-only: what would be confirmed, and a button that posts back.
		const row = await subscriberWithList(opened.sql, subscriberId);
		let response: HttpResponse;
		if (!row) response = page(404, texts.goneTitle, [texts.goneText]);
		else if (row.status === 'active') response = page(200, texts.confirmedTitle, [texts.alreadyConfirmedText(row.listName)]);
		else if (row.status !== 'pending') response = page(409, texts.cannotConfirmTitle, [texts.cannotConfirmText]);
		else {
			const greeting = row.name ? [texts.greeting(row.name)] : [];
			response = page(200, texts.confirmTitle, [...greeting, texts.confirmQuestion(row.email, row.listName)], {
				forms: [{ action: actionUrl(token, lang), fields: { t: token }, button: texts.confirmButton }],
			});
		}
		return { response, events: [], optin: { endpoint: 'confirm', subscriberId, outcome: 'shown', changed: [], occurredAt: isoNowOf(options) } };
	}

	const actor = options.actor ?? WEBHOOK_ACTOR;
	const at = isoNowOf(options);
	const result: ConfirmResult = await inRetriedTransaction(opened, (tx) =>
		confirmSubscriberIn(
			opened,
			tx,
			subscriberId,
			{
				method: 'double-opt-in',
				ip: request.remoteAddress ?? null,
				userAgent: header(request, 'user-agent') ?? null,
				at,
			},
			actor,
		),
	);
	const optin: OptinOutcome = {
		endpoint: 'confirm',
		subscriberId,
		outcome: result.outcome,
		changed: [],
		occurredAt: at,
		...(result.email ? { email: result.email } : {}),
	};
	let response: HttpResponse;
	switch (result.outcome) {
		case 'confirmed':
			optin.changed.push({ id: subscriberId, listId: String(result.listId), from: 'pending', to: 'active' });
			optin.consentId = result.consent?.id;
			response = page(200, texts.confirmedTitle, [texts.confirmedText(String(result.listName))]);
			break;
		case 'already-confirmed':
			response = page(200, texts.confirmedTitle, [texts.alreadyConfirmedText(String(result.listName))]);
			break;
		case 'refused':
			response = page(409, texts.cannotConfirmTitle, [texts.cannotConfirmText]);
			break;
		default:
			response = page(404, texts.goneTitle, [texts.goneText]);
	}
	return { response, events: [], optin };
}

/** Statuses a subscriber may leave from on the preference page. */
const LEAVABLE = new Set<string>(['active', 'pending', 'stopped']);


const rowsOfAddress = membershipsOfAddress;

function preferencesPage(
	texts: PageTexts,
	lang: 'en' | 'ja',
	token: string,
	email: string | null,
	rows: AddressRow[],
	notice?: string,
): HttpResponse {
	if (!email || !rows.length) {
		return optinPageResponse(200, { lang, title: texts.preferencesTitle, notice, paragraphs: [texts.preferencesNone] });
	}
	const label = (row: AddressRow) => `${row.listName} (${texts.status[row.status] ?? row.status})`;
	const leavable = rows.filter((row) => LEAVABLE.has(row.status));
	const forms = leavable.length
		? [
				{
					action: actionUrl(token, lang),
					fields: { t: token, action: 'leave' },
					button: texts.leaveButton,
					choices: { legend: texts.leaveLegend, name: 'list', options: leavable.map((row) => ({ value: row.listId, label: label(row) })) },
				},
				{ action: actionUrl(token, lang), fields: { t: token, action: 'all' }, button: texts.allButton, intro: texts.allIntro, secondary: true },
			]
		: [];
	return optinPageResponse(200, {
		lang,
		title: texts.preferencesTitle,
		notice,
		paragraphs: [texts.preferencesIntro(email)],
		items: rows.map(label),
		forms,
	});
}

/** Preferences: GET lists the address's lists; POST leaves the chosen ones (`list`) or all (`action=all`). */
export async function handlePreferences(
	store: StoreSource,
	signer: LinkSigner,
	request: HttpRequest,
	options: OptinHandlerOptions = {},
): Promise<OptinHandlerResult> {
	const checked = verify('preferences', signer, request, options);
	if (!('claims' in checked)) return checked;
	const { claims, token, form, texts, lang, method } = checked;
	const subscriberId = claims.subscriberId;
	const opened = await resolveStore(store);

	if (method === 'GET') {
		const { email, rows } = await rowsOfAddress(opened.sql, subscriberId);
		return {
			response: preferencesPage(texts, lang, token, email, rows),
			events: [],
			optin: { endpoint: 'preferences', subscriberId, outcome: 'shown', changed: [], occurredAt: isoNowOf(options) },
		};
	}

	const all = form?.get('action') === 'all';
	const chosen = new Set((form?.getAll('list') ?? []).filter(isRowId));
	const actor = options.actor ?? WEBHOOK_ACTOR;
	const pause = resolveComplaintPause(options.complaintPause);
	const at = isoNowOf(options);
	const changed = await inRetriedTransaction(opened, async (tx) => {
		await lockCampaigns(tx, [claims.campaignId ?? null]);
		const { rows } = await rowsOfAddress(tx, subscriberId, true);
		// Only rows of this address, whatever list ids the form names.
		const leaving = rows.filter((row) => LEAVABLE.has(row.status) && (all || chosen.has(row.listId)));
		for (const row of leaving) {
			await writeStatus(tx, row.id, 'unsubscribed', at);
			await recordAudit(tx, actor, 'subscriber.status', 'subscriber', row.id, {
				from: row.status,
				to: 'unsubscribed',
				reason: all ? 'preferences page: unsubscribe from all' : 'preferences page: leave list',
			});
			if (claims.campaignId && isRowId(claims.campaignId) && row.id === subscriberId) {
				await countCampaignEvent(tx, { kind: 'unsubscribe', campaignId: claims.campaignId, subscriberId: row.id, occurredAt: at }, pause, actor);
			}
		}
		return leaving.map((row) => ({ id: row.id, listId: row.listId, listName: row.listName, from: row.status, to: 'unsubscribed' as SubscriberStatus }));
	});
	const { email, rows } = await rowsOfAddress(opened.sql, subscriberId);
	const notice = all ? texts.leftAll : changed.length ? texts.leftLists(changed.map((row) => row.listName)) : texts.leftNothing;
	return {
		response: preferencesPage(texts, lang, token, email, rows, notice),
		events: [],
		optin: {
			endpoint: 'preferences',
			subscriberId,
			outcome: all ? 'left-all' : 'left',
			changed: changed.map(({ id, listId, from, to }) => ({ id, listId, from, to })),
			occurredAt: at,
			...(email ? { email } : {}),
		},
	};
}
