/**
 * The subscriber-facing pages of the confirm and preferences endpoints: small, self-contained
 * (no script, nothing loaded from elsewhere), accessible (lang attribute, headings, labelled
 * controls, a fieldset with a legend), localised (English and Japanese) and escaping everything
 * they echo. Every form posts back to the same endpoint with the signed link token as its only
 * credential, so a page works without JavaScript and another site cannot forge a request.
 */
import { escapeHtml } from '../html';
import { htmlResponse, queryValue } from './http';
import type { HttpRequest, HttpResponse } from './types';

export const PAGE_LANGUAGES = ['en', 'ja'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];
/** `auto` picks from the browser's Accept-Language header (English when nothing matches). */
export type PageLanguageOption = PageLanguage | 'auto';

type StatusLabels = Record<string, string>;

export interface PageTexts {
	invalidTitle: string;
	invalidText: string;
	confirmTitle: string;
	greeting: (name: string) => string;
	confirmQuestion: (email: string, list: string) => string;
	confirmButton: string;
	confirmedTitle: string;
	confirmedText: (list: string) => string;
	alreadyConfirmedText: (list: string) => string;
	cannotConfirmTitle: string;
	cannotConfirmText: string;
	goneTitle: string;
	goneText: string;
	preferencesTitle: string;
	preferencesIntro: (email: string) => string;
	preferencesNone: string;
	status: StatusLabels;
	leaveLegend: string;
	leaveButton: string;
	allIntro: string;
	allButton: string;
	leftLists: (lists: string[]) => string;
	leftNothing: string;
	leftAll: string;
	unavailable: string;
}

const EN: PageTexts = {
	invalidTitle: 'This link is not valid',
	invalidText:
		'The link could not be verified: it may have expired, or your mail program may have changed or cut it off. Please use the complete link from the most recent message.',
	confirmTitle: 'Confirm your subscription',
	greeting: (name) => `Hello ${name},`,
	confirmQuestion: (email, list) => `Please confirm that ${email} wants to receive “${list}”.`,
	confirmButton: 'Confirm my subscription',
	confirmedTitle: 'Thank you, your subscription is confirmed',
	confirmedText: (list) => `You will now receive “${list}”. Every message has a link to unsubscribe.`,
	alreadyConfirmedText: (list) => `Your subscription to “${list}” was already confirmed. Nothing else to do.`,
	cannotConfirmTitle: 'This subscription cannot be confirmed',
	cannotConfirmText:
		'This address was unsubscribed or can no longer be mailed. To subscribe again, please use the sign-up form.',
	goneTitle: 'This subscription request has expired',
	goneText: 'The request was not confirmed in time and has been removed. Please sign up again.',
	preferencesTitle: 'Your subscriptions',
	preferencesIntro: (email) => `The lists ${email} is on:`,
	preferencesNone: 'This address is not on any list.',
	status: {
		active: 'subscribed',
		pending: 'waiting for confirmation',
		unsubscribed: 'unsubscribed',
		bounced: 'not deliverable',
		complained: 'reported as spam',
		stopped: 'paused',
	},
	leaveLegend: 'Choose the lists to leave',
	leaveButton: 'Leave the selected lists',
	allIntro: 'Or stop all messages to this address:',
	allButton: 'Unsubscribe from all lists',
	leftLists: (lists) => `You left: ${lists.map((name) => `“${name}”`).join(', ')}.`,
	leftNothing: 'No list was selected, so nothing changed.',
	leftAll: 'You are unsubscribed from all lists.',
	unavailable: 'Temporarily unavailable, please try again later.',
};

const JA: PageTexts = {
	invalidTitle: 'このリンクは無効です',
	invalidText:
		'リンクを確認できませんでした。有効期限が切れているか、メールソフトによってリンクが変更・切断された可能性があります。最新のメールに記載されたリンクをそのままお使いください。',
	confirmTitle: '購読登録の確認',
	greeting: (name) => `${name} 様`,
	confirmQuestion: (email, list) => `${email} で「${list}」の配信を受け取ることを確認してください。`,
	confirmButton: '登録を確定する',
	confirmedTitle: 'ご登録ありがとうございます。購読が確定しました',
	confirmedText: (list) => `今後「${list}」をお届けします。配信停止のリンクはすべてのメールに記載されています。`,
	alreadyConfirmedText: (list) => `「${list}」の購読はすでに確定しています。これ以上の操作は不要です。`,
	cannotConfirmTitle: 'この購読は確定できません',
	cannotConfirmText:
		'このアドレスは配信停止済みか、配信できない状態です。改めて購読する場合は登録フォームからお申し込みください。',
	goneTitle: 'この登録申請は期限切れです',
	goneText: '期限内に確認されなかったため、申請は削除されました。お手数ですが、もう一度ご登録ください。',
	preferencesTitle: '購読の設定',
	preferencesIntro: (email) => `${email} が登録されているリスト:`,
	preferencesNone: 'このアドレスはどのリストにも登録されていません。',
	status: {
		active: '購読中',
		pending: '確認待ち',
		unsubscribed: '配信停止済み',
		bounced: '配信不能',
		complained: '迷惑メール報告済み',
		stopped: '一時停止中',
	},
	leaveLegend: '配信を停止するリストを選んでください',
	leaveButton: '選んだリストの配信を停止する',
	allIntro: 'このアドレスへのすべての配信を停止することもできます:',
	allButton: 'すべてのリストの配信を停止する',
	leftLists: (lists) => `次のリストの配信を停止しました: ${lists.map((name) => `「${name}」`).join('、')}`,
	leftNothing: 'リストが選ばれていないため、何も変更していません。',
	leftAll: 'すべてのリストの配信を停止しました。',
	unavailable: '一時的に利用できません。しばらくしてからもう一度お試しください。',
};

export const PAGE_TEXTS: Record<PageLanguage, PageTexts> = { en: EN, ja: JA };

/**
 * The page language: a fixed one, or the first supported language of the Accept-Language header
 * by its q-values (`ja-JP` counts as `ja`); English when none matches. A `lang` query parameter
 * (en/ja) wins, so a page can offer a language switch.
 */
export function pickLanguage(request: HttpRequest, option: PageLanguageOption = 'auto'): PageLanguage {
	const asked = queryValue(request, 'lang');
	if (asked && (PAGE_LANGUAGES as readonly string[]).includes(asked)) return asked as PageLanguage;
	if (option !== 'auto' && PAGE_TEXTS[option]) return option;
	const header = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'accept-language')?.[1];
	const value = Array.isArray(header) ? header.join(',') : String(header ?? '');
	const ranked = value
		.split(',')
		.slice(0, 20)
		.map((part, index) => {
			const [tag, ...params] = part.trim().split(';');
			const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
			return { primary: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q[1]) : 1, index };
		})
		.filter((entry) => entry.primary && entry.q > 0)
		.sort((a, b) => b.q - a.q || a.index - b.index);
	for (const entry of ranked) {
		if ((PAGE_LANGUAGES as readonly string[]).includes(entry.primary)) return entry.primary as PageLanguage;
	}
	return 'en';
}

export interface PageForm {
	action: string;
	/** Hidden fields (the token, the action). */
	fields: Record<string, string>;
	button: string;
	/** Labelled checkboxes in a fieldset (all named `name`). */
	choices?: { legend: string; name: string; options: Array<{ value: string; label: string }> };
	/** A sentence before the form. */
	intro?: string;
	/** Secondary (outlined) button style. */
	secondary?: boolean;
}

export interface OptinPage {
	lang: PageLanguage;
	title: string;
	paragraphs: string[];
	/** A status line announced to screen readers (role="status"). */
	notice?: string;
	/** A plain list shown after the paragraphs. */
	items?: string[];
	forms?: PageForm[];
}

function renderForm(form: PageForm, index: number): string {
	const hidden = Object.entries(form.fields)
		.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
		.join('');
	let choices = '';
	if (form.choices) {
		const boxes = form.choices.options
			.map((option, at) => {
				const id = `f${index}c${at}`;
				return (
					`<div class="choice"><input type="checkbox" id="${id}" name="${escapeHtml(form.choices!.name)}" value="${escapeHtml(option.value)}">` +
					` <label for="${id}">${escapeHtml(option.label)}</label></div>`
				);
			})
			.join('\n');
		choices = `<fieldset><legend>${escapeHtml(form.choices.legend)}</legend>\n${boxes}\n</fieldset>`;
	}
	const intro = form.intro ? `<p>${escapeHtml(form.intro)}</p>\n` : '';
	return (
		`${intro}<form method="post" action="${escapeHtml(form.action)}">${hidden}${choices}` +
		`<button type="submit"${form.secondary ? ' class="secondary"' : ''}>${escapeHtml(form.button)}</button></form>`
	);
}

/** The page as an HTTP response with the same private, script-free headers as the other pages. */
export function optinPageResponse(status: number, page: OptinPage): HttpResponse {
	const base = htmlResponse(status, { title: page.title, paragraphs: [] });
	const notice = page.notice ? `<p role="status" class="notice">${escapeHtml(page.notice)}</p>\n` : '';
	const paragraphs = page.paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n');
	const items = page.items?.length ? `<ul>\n${page.items.map((text) => `<li>${escapeHtml(text)}</li>`).join('\n')}\n</ul>` : '';
	const forms = (page.forms ?? []).map(renderForm).join('\n');
	const body = `<!DOCTYPE html>
<html lang="${page.lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,"Hiragino Sans","Noto Sans CJK JP","Yu Gothic",sans-serif;max-width:36em;margin:3em auto;padding:0 1em;color:#222;line-height:1.6}
button{font-size:1em;padding:.6em 1.4em;margin:.5em 0;border:2px solid #1f5fa8;border-radius:4px;background:#1f5fa8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#9b2c1f;border-color:#9b2c1f}
button:focus-visible,input:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
fieldset{border:1px solid #bbb;border-radius:4px;margin:1em 0;padding:.5em 1em}.choice{margin:.4em 0}
.notice{background:#eef6ee;border-left:4px solid #2e7d32;padding:.5em 1em}</style>
</head><body><main>
<h1>${escapeHtml(page.title)}</h1>
${notice}${paragraphs}
${items}
${forms}
</main></body></html>
`;
	return { status, headers: { ...base.headers, 'Content-Language': page.lang }, body };
}
