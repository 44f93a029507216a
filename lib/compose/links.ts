/**
 * Signed links: click-tracking rewrite of `<a href>` values, the open pixel, and the
 * compile-time pass that finds the links to track.
 *
 * At compile time every trackable `href` value is wrapped in a block tag
 * (`{% <track> %}…{% end<track> %}`) and the pixel tag is put before `</body>`. At render time the
 * block renders its content (merge fields included), decodes it to the exact URL a mail client
 * would open, signs that URL (purpose `click`) and writes the tracking URL instead. So a token
 * only ever redirects to the URL that was in the template for that recipient.
 */
import { type LinkSigner, type LinkTokenClaims, linkUrl } from '../store';
import type { LiquidConstruct } from './liquidSource';

/** Per-render state the tracking tags read; never visible to templates (symbol key). */
export interface LinkRenderState {
	signer: LinkSigner | null;
	baseUrl: string;
	prefixes: LinkPrefixes;
	/** `baseUrl + '/'`: links to our own endpoints are never tracked. */
	ownPrefix: string;
	claims: LinkTokenClaims;
	trackClicks: boolean;
	trackOpens: boolean;
	/** Add the hidden scanner-trap link (with click tracking, in a campaign). */
	trapLink: boolean;
	/** URLs of `data-no-track` links, also left alone in the text part. */
	untracked: ReadonlySet<string>;
	unsubscribeUrl: string;
	preferencesUrl: string;
}

export const RENDER_STATE: unique symbol = Symbol('bulk-mail.render-state');

/**
 * `linkUrl(base, purpose, '')`, computed once. LinkSigner tokens are base64url + '.' +
 * base64url, which URL encoding leaves unchanged, so `prefix + token` is `linkUrl(…, token)`.
 */
export interface LinkPrefixes {
	click: string;
	clickHtml: string;
	open: string;
	openHtml: string;
	unsubscribe: string;
	preferences: string;
}

export function linkPrefixes(baseUrl: string): LinkPrefixes {
	const click = linkUrl(baseUrl, 'click', '');
	const open = linkUrl(baseUrl, 'open', '');
	return {
		click,
		clickHtml: escapeHtmlAttribute(click),
		open,
		openHtml: escapeHtmlAttribute(open),
		unsubscribe: linkUrl(baseUrl, 'unsubscribe', ''),
		preferences: linkUrl(baseUrl, 'preferences', ''),
	};
}

const ATTR_ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

export function escapeHtmlAttribute(value: string): string {
	return value.replace(/[&<>"']/g, (c) => ATTR_ESCAPES[c]);
}

const NAMED_ENTITIES: Record<string, string> = {
	amp: '&',
	lt: '<',
	gt: '>',
	quot: '"',
	apos: "'",
	nbsp: '\u00a0',
	tab: '\t',
	newline: '\n',
	sol: '/',
	colon: ':',
	quest: '?',
	equals: '=',
	num: '#',
	percnt: '%',
	plus: '+',
	lowbar: '_',
	period: '.',
	comma: ',',
	semi: ';',
	excl: '!',
	commat: '@',
	dollar: '$',
	lpar: '(',
	rpar: ')',
	ast: '*',
	hyphen: '-',
	dash: '-',
};

/**
 * Decodes character references in an attribute value the way a browser resolves an href
 * (numeric references and the named ones that occur in URLs). Unknown names stay as they are.
 */
export function decodeHtmlAttribute(value: string): string {
	let at = value.indexOf('&');
	if (at === -1) return value;
	// The usual case, query strings written with &amp; only.
	while (at !== -1 && value.startsWith('&amp;', at)) at = value.indexOf('&', at + 5);
	if (at === -1) return value.replaceAll('&amp;', '&');
	return value.replace(
		/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g,
		(match, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
			if (dec !== undefined || hex !== undefined) {
				const code = dec !== undefined ? parseInt(dec, 10) : parseInt(hex as string, 16);
				if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
				return String.fromCodePoint(code);
			}
			const decoded = NAMED_ENTITIES[(name as string).toLowerCase()];
			return decoded === undefined ? match : decoded;
		},
	);
}

const HTTP_URL = /^https?:\/\/[^\s/]/i;

function isTrackableUrl(url: string, state: LinkRenderState): boolean {
	return (
		HTTP_URL.test(url) &&
		url !== state.unsubscribeUrl &&
		url !== state.preferencesUrl &&
		url !== state.baseUrl &&
		!url.startsWith(state.ownPrefix)
	);
}

function clickToken(url: string, state: LinkRenderState, templateUrl: string | undefined): string {
	const { subscriberId, campaignId } = state.claims;
	// the template's own link (merge fields unrendered) only when it differs: the report groups by it
	if (templateUrl !== undefined && templateUrl !== url && campaignId) {
		return (state.signer as LinkSigner).sign('click', { subscriberId, campaignId, url, templateUrl });
	}
	return (state.signer as LinkSigner).sign('click', { subscriberId, campaignId, url });
}

function trimAsciiSpace(value: string): string {
	const last = value.length - 1;
	return last >= 0 && value.charCodeAt(0) > 32 && value.charCodeAt(last) > 32
		? value
		: value.trim();
}

/**
 * The href content as rendered (HTML-escaped) → the tracked href, or the content unchanged.
 * `source` is the href as the template wrote it (merge fields unrendered), for the campaign report.
 */
export function trackHref(rendered: string, state: LinkRenderState | undefined, source?: string): string {
	if (!state || !state.trackClicks) return rendered;
	const url = trimAsciiSpace(decodeHtmlAttribute(rendered));
	if (!isTrackableUrl(url, state)) return rendered;
	const templateUrl = source === undefined || source === rendered ? undefined : trimAsciiSpace(decodeHtmlAttribute(source)).slice(0, 2000);
	return state.prefixes.clickHtml + clickToken(url, state, templateUrl);
}

/**
 * What goes before `</body>`: the hidden scanner-trap link (an empty anchor, hidden, out of the
 * tab order and of screen readers: no person can follow it) and the open pixel, each when on.
 */
export function endOfBodyTags(state: LinkRenderState | undefined): string {
	if (!state) return '';
	let out = '';
	if (state.trapLink && state.trackClicks && state.claims.campaignId) {
		const { subscriberId, campaignId } = state.claims;
		const token = (state.signer as LinkSigner).sign('click', { subscriberId, campaignId, trap: true });
		out += `<a href="${state.prefixes.clickHtml}${token}" style="display:none;mso-hide:all" aria-hidden="true" tabindex="-1"></a>`;
	}
	if (state.trackOpens) {
		const token = (state.signer as LinkSigner).sign('open', state.claims);
		out += `<img src="${state.prefixes.openHtml}${token}" width="1" height="1" alt="">`;
	}
	return out;
}

const TEXT_URL = /https?:\/\/[^\s<>"'\])}]+/gi;

/** Rewrites the http(s) URLs of a text part (only with the `trackTextLinks` option). */
export function trackTextLinks(text: string, state: LinkRenderState): string {
	if (!state.trackClicks) return text;
	return text.replace(TEXT_URL, (raw) => {
		// A sentence's final punctuation is not part of the URL.
		const url = raw.replace(/[.,;:!?]+$/, '');
		if (!isTrackableUrl(url, state) || state.untracked.has(url)) return raw;
		return state.prefixes.click + clickToken(url, state, undefined) + raw.slice(url.length);
	});
}

// ---------------------------------------------------------------------------------------------
// Compile time: find the links and the pixel position.

export interface LinkPlan {
	/** Wrap ranges [start, end) of href values to track. */
	wraps: Array<{ start: number; end: number }>;
	/** Offset of the last `</body` or the end of the template. */
	pixelAt: number;
	/** Links left untracked for a reason the user should know about. */
	skipped: Array<{ offset: number; reason: string }>;
	/** Static URLs of links marked `data-no-track`. */
	untracked: string[];
}

const FILL = '\u0001';

/** The source with every construct blanked to FILL characters (offsets unchanged). */
function blankConstructs(source: string, constructs: readonly LiquidConstruct[]): string {
	let out = '';
	let at = 0;
	for (const c of constructs) {
		out += source.slice(at, c.start) + FILL.repeat(c.end - c.start);
		at = c.end;
	}
	return out + source.slice(at);
}

const ANCHOR_TAG = /<a(?=[\s\u0001/>])((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
const ATTRIBUTE =
	/([^\s\u0001"'>/=]+)(?:[\s\u0001]*=[\s\u0001]*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const OWN_LINK_OUTPUT = /^\s*\{\{-?\s*(?:unsubscribe_url|preferences_url)\s*-?\}\}\s*$/;

export interface LinkPlanOptions {
	trackClicks: boolean;
	trackOpens: boolean;
	/** `baseUrl + '/'`. */
	ownPrefix: string;
	/** Whether `fragment` is a well-formed Liquid template on its own (balanced tags). */
	parses: (fragment: string) => boolean;
}

// Long: one scan of the HTML whose comment ranges and plan every step reads and writes.
export function planLinks(
	source: string,
	constructs: readonly LiquidConstruct[],
	options: LinkPlanOptions,
): LinkPlan {
	const blank = blankConstructs(source, constructs);
	const comments: Array<[number, number]> = [];
	let commentAt = blank.indexOf('<!--');
	while (commentAt !== -1) {
		const end = blank.indexOf('-->', commentAt + 4);
		const commentEnd = end === -1 ? blank.length : end + 3;
		comments.push([commentAt, commentEnd]);
		commentAt = blank.indexOf('<!--', commentEnd);
	}
	const inComment = (offset: number) => comments.some(([s, e]) => offset >= s && offset < e);

	const plan: LinkPlan = { wraps: [], pixelAt: source.length, skipped: [], untracked: [] };
	if (options.trackOpens) {
		const lower = blank.toLowerCase();
		for (
			let at = lower.lastIndexOf('</body');
			at !== -1;
			at = lower.lastIndexOf('</body', at - 1)
		) {
			if (!inComment(at)) {
				plan.pixelAt = at;
				break;
			}
			if (at === 0) break;
		}
	}
	if (!options.trackClicks) return plan;

	for (const tag of blank.matchAll(ANCHOR_TAG)) {
		const tagStart = tag.index as number;
		if (inComment(tagStart)) continue;
		const attributes = tag[1];
		const attributesStart = tagStart + 2;
		let href: { start: number; end: number } | null = null;
		let noTrack = false;
		for (const attribute of attributes.matchAll(ATTRIBUTE)) {
			const name = attribute[1].toLowerCase();
			if (name === 'data-no-track') noTrack = true;
			if (name === 'href' && href === null) {
				const value = attribute[2] ?? attribute[3] ?? attribute[4];
				if (value === undefined) continue;
				const valueOffset = attribute[0].lastIndexOf(value);
				const start = attributesStart + (attribute.index as number) + valueOffset;
				href = { start, end: start + value.length };
			}
		}
		if (!href || href.end === href.start) continue;
		const raw = source.slice(href.start, href.end);
		const blanked = blank.slice(href.start, href.end);
		if (noTrack) {
			if (blanked.indexOf(FILL) === -1) plan.untracked.push(decodeHtmlAttribute(raw).trim());
			continue;
		}
		const firstConstruct = blanked.indexOf(FILL);
		const staticPrefix = decodeHtmlAttribute(
			firstConstruct === -1 ? blanked : blanked.slice(0, firstConstruct),
		)
			.trim()
			.toLowerCase();
		if (firstConstruct === -1) {
			if (
				!HTTP_URL.test(staticPrefix) ||
				staticPrefix.startsWith(options.ownPrefix.toLowerCase())
			) {
				continue;
			}
		} else {
			if (OWN_LINK_OUTPUT.test(raw)) continue;
			// A fixed scheme other than http(s) (mailto:{{ email }}, tel:…) is never tracked.
			const schemeLike = /^[a-z][a-z0-9+.-]*:/.exec(staticPrefix);
			if (schemeLike && !/^https?:$/.test(schemeLike[0])) continue;
			const partialScheme =
				'https://'.startsWith(staticPrefix) || 'http://'.startsWith(staticPrefix);
			if (!schemeLike && !partialScheme) continue;
			if (!options.parses(raw)) {
				plan.skipped.push({
					offset: href.start,
					reason: 'its href holds Liquid tags that are not closed inside the attribute',
				});
				continue;
			}
		}
		plan.wraps.push(href);
	}
	return plan;
}

/** Applies the plan: wraps href values in the track tag and inserts the pixel tag. */
export function applyLinkPlan(
	source: string,
	plan: LinkPlan,
	tags: { track: string; pixel: string | null },
): string {
	const inserts: Array<{ at: number; text: string; order: number }> = [];
	for (const wrap of plan.wraps) {
		inserts.push({ at: wrap.start, text: `{% ${tags.track} %}`, order: 1 });
		inserts.push({ at: wrap.end, text: `{% end${tags.track} %}`, order: 0 });
	}
	if (tags.pixel !== null)
		inserts.push({ at: plan.pixelAt, text: `{% ${tags.pixel} %}`, order: 2 });
	inserts.sort((a, b) => a.at - b.at || a.order - b.order);
	let out = '';
	let at = 0;
	for (const insert of inserts) {
		out += source.slice(at, insert.at) + insert.text;
		at = insert.at;
	}
	return out + source.slice(at);
}
