/** compileTemplate() → CompiledTemplate.render(recipient, context) → ComposedMessage. */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

import { CORRELATION_HEADERS } from '../events';
import { LinkSigner, type LinkTokenClaims, normaliseBaseUrl } from '../store';
import { inlineCss } from './cssInline';
import { ComposeError } from './errors';
import {
	hasControlCharacters,
	parseMailbox,
	sanitizeHeaderText,
	STRUCTURAL_HEADERS,
	validateEmailAddress,
	validateHeaderName,
} from './headerSafety';
import { TemplateProgram, createSandboxedLiquid, parseTemplate } from './liquidEngine';
import { SourceMap, positionAt, scanConstructs } from './liquidSource';
import {
	RENDER_STATE,
	applyLinkPlan,
	linkPrefixes,
	planLinks,
	trackTextLinks,
	type LinkPrefixes,
	type LinkRenderState,
} from './links';
import { buildMessageId, messageIdDomain } from './messageId';
import { deriveTextTemplate, makeHtmlToText, tidyDerivedText, type TidyFlags } from './textPart';
import type {
	ComposeAttachment,
	ComposeOptions,
	ComposedMessage,
	MailAddress,
	MessageEncoding,
	MessageIdSource,
	MessagePreview,
	Recipient,
	RenderContext,
	TemplateName,
	TemplateSpec,
} from './types';

export const PROOF_HEADER = 'X-Bulk-Mail-Proof';
export const DEFAULT_PROOF_PREFIX = '[TEST] ';

/** Merge-field names the engine provides; custom fields cannot shadow them at the top level. */
export const BUILT_IN_FIELDS = [
	'email',
	'name',
	'fields',
	'item',
	'subscriber',
	'unsubscribe_url',
	'preferences_url',
	'campaign_id',
	'confirm_url',
] as const;

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

export const SAMPLE_RECIPIENT: Recipient = {
	id: 'preview',
	email: 'subscriber@example.com',
	name: 'Sample Subscriber',
	fields: {},
};

type DefaultEntry = readonly [path: readonly string[], value: unknown];

interface NormalisedDefaults {
	name?: unknown;
	email?: unknown;
	fields: DefaultEntry[];
	item: DefaultEntry[];
}

const hasOwn = Object.prototype.hasOwnProperty;

function isMissing(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function readPath(object: unknown, path: readonly string[]): unknown {
	let value = object;
	for (const key of path) {
		if (value === null || typeof value !== 'object' || !hasOwn.call(value, key)) return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/** Copy-on-write: the caller's objects are never changed. */
function withDefaults(
	object: Record<string, unknown>,
	entries: readonly DefaultEntry[],
): Record<string, unknown> {
	let result = object;
	for (const [path, value] of entries) {
		if (!isMissing(readPath(result, path))) continue;
		const setAt = (target: unknown, depth: number): Record<string, unknown> => {
			const copy: Record<string, unknown> =
				target !== null && typeof target === 'object' && !Array.isArray(target)
					? { ...(target as Record<string, unknown>) }
					: {};
			copy[path[depth]] = depth === path.length - 1 ? value : setAt(copy[path[depth]], depth + 1);
			return copy;
		};
		result = setAt(result, 0);
	}
	return result;
}

function normaliseDefaults(
	defaults: Record<string, unknown> | null | undefined,
): NormalisedDefaults {
	const result: NormalisedDefaults = { fields: [], item: [] };
	if (!defaults) return result;
	if (typeof defaults !== 'object' || Array.isArray(defaults)) {
		throw new ComposeError('invalid-option', 'Defaults must be an object of field name → value');
	}
	for (const [key, value] of Object.entries(defaults)) {
		const path = key.split('.').map((part) => part.trim());
		if (!key.trim() || path.some((part) => !part)) {
			throw new ComposeError('invalid-option', `Defaults: '${key}' is not a field name`);
		}
		if (value !== null && typeof value === 'object') {
			throw new ComposeError(
				'invalid-option',
				`Defaults: the default of '${key}' must be text or a number`,
			);
		}
		const [head, ...rest] = path;
		if ((head === 'name' || head === 'email') && rest.length === 0) {
			result[head] = value;
		} else if (head === 'fields' && rest.length) {
			result.fields.push([rest, value]);
		} else if (head === 'item' && rest.length) {
			result.item.push([rest, value]);
		} else if ((BUILT_IN_FIELDS as readonly string[]).includes(head)) {
			throw new ComposeError(
				'invalid-option',
				`Defaults: '${key}' is provided by the engine and cannot have a default`,
			);
		} else {
			result.fields.push([path, value]); // a top-level custom field name
		}
	}
	return result;
}

const USES = (name: string) => new RegExp(`\\b${name}\\b`);

function normaliseId(raw: unknown, label: string): string | null {
	if (raw === undefined || raw === null || raw === '') return null;
	if (typeof raw !== 'string' && typeof raw !== 'number') {
		throw new ComposeError('invalid-recipient', `${label} must be text or a number`);
	}
	const id = String(raw);
	if (hasControlCharacters(id) || id.length > 200) {
		throw new ComposeError(
			'invalid-recipient',
			`${label} '${id.slice(0, 40)}' contains control characters or is longer than 200 characters`,
		);
	}
	return id;
}

interface NameTemplate {
	static: string | null;
	program: TemplateProgram | null;
}

function validateAttachments(attachments: unknown): ComposeAttachment[] {
	if (!Array.isArray(attachments)) {
		throw new ComposeError('invalid-attachment', 'Attachments must be a list');
	}
	return attachments.map((attachment: unknown, index) => {
		const a = (attachment ?? {}) as Record<string, unknown>;
		const label = `Attachment ${index + 1}`;
		if ('path' in a || 'href' in a || 'raw' in a) {
			throw new ComposeError(
				'invalid-attachment',
				`${label}: only in-memory content is accepted (no path, href or raw)`,
			);
		}
		if (!Buffer.isBuffer(a.content)) {
			throw new ComposeError('invalid-attachment', `${label}: content must be a Buffer`);
		}
		const filename = sanitizeHeaderText(a.filename).replace(/[\\/]/g, '_');
		if (!filename)
			throw new ComposeError('invalid-attachment', `${label}: a file name is required`);
		const contentType = String(a.contentType ?? 'application/octet-stream').trim();
		if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(contentType)) {
			throw new ComposeError(
				'invalid-attachment',
				`${label}: '${contentType.slice(0, 80)}' is not a MIME type like image/png`,
			);
		}
		const result: ComposeAttachment = { filename, content: a.content, contentType };
		if (a.cid !== undefined && a.cid !== null && a.cid !== '') {
			const cid = String(a.cid);
			if (!/^[A-Za-z0-9._@+-]{1,200}$/.test(cid)) {
				throw new ComposeError(
					'invalid-attachment',
					`${label}: content id '${cid.slice(0, 80)}' may only hold letters, digits and . _ @ + -`,
				);
			}
			result.cid = cid;
		}
		return result;
	});
}

/**
 * `"{{ item.team | default: "News" }}" <news@example.com>`: a display name that is a template
 * may hold quotes an address parser would take apart, so it is split off at the final `<…>`.
 */
function parseTemplatedMailbox(input: unknown, label: string): MailAddress {
	if (typeof input === 'string' && /\{\{|\{%/.test(input) && !hasControlCharacters(input)) {
		const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/s.exec(input);
		if (match) {
			const quoted = /^"(.*)"$/s.exec(match[1]);
			return parseMailbox({ name: quoted ? quoted[1] : match[1], address: match[2] }, label);
		}
	}
	return parseMailbox(input, label);
}

type RenderMode = 'send' | 'proof' | 'preview';

export class CompiledTemplate {
	/** Things the user should know (insecure base URL, untracked links, slow text path). */
	readonly warnings: string[];
	readonly encoding: MessageEncoding;
	/**
	 * Where the text part comes from: the text template, a text template derived once from the
	 * HTML, or (slow fallback) converting each rendered HTML body, or none.
	 */
	readonly textMode: 'template' | 'derived' | 'per-recipient' | 'none';
	/** The text template derived from the HTML, when `textMode` is `derived`. */
	readonly derivedTextTemplate: string | null;

	private readonly from: MailAddress;
	private readonly fromName: NameTemplate;
	private readonly replyTo: MailAddress | null;
	private readonly replyToName: NameTemplate | null;
	private readonly subject: TemplateProgram;
	private readonly html: TemplateProgram | null;
	private readonly text: TemplateProgram | null;
	private readonly textFallback: ((html: string) => string) | null;
	private readonly tidyText: TidyFlags | null;
	private readonly signer: LinkSigner | null;
	private readonly baseUrl: string;
	private readonly prefixes: LinkPrefixes;
	private readonly messageIdKey: KeyObject | null;
	private readonly messageIdDomain: string;
	private readonly listUnsubscribe: boolean;
	private readonly unsubscribeMailto: string | null;
	private readonly trackOpens: boolean;
	private readonly trackClicks: boolean;
	private readonly trackText: boolean;
	private readonly untracked = new Set<string>();
	private readonly needsUnsubscribeUrl: boolean;
	private readonly needsPreferencesUrl: boolean;
	/** Whether any link or header of a message needs a signed token (and so a subscriber id). */
	private readonly signsLinks: boolean;
	private readonly defaults: NormalisedDefaults;
	private readonly extraHeaders: Array<[string, string]>;
	private readonly proofPrefix: string;
	private readonly validatedAttachments = new WeakMap<object, ComposeAttachment[]>();

	constructor(spec: TemplateSpec, options: ComposeOptions = {}) {
		if (!spec || typeof spec !== 'object') {
			throw new ComposeError(
				'invalid-option',
				'A template spec { subject, html, text, from } is required',
			);
		}
		if (typeof spec.subject !== 'string') {
			throw new ComposeError('invalid-option', 'The subject template must be text');
		}
		const htmlSource = typeof spec.html === 'string' && spec.html.trim() ? spec.html : null;
		const textSource = typeof spec.text === 'string' && spec.text.trim() ? spec.text : null;
		if (!htmlSource && !textSource) {
			throw new ComposeError('invalid-option', 'An HTML body or a text body template is required');
		}
		this.warnings = [];
		const strict = options.strict === true;

		// Links and headers ------------------------------------------------------------------
		this.baseUrl = '';
		this.prefixes = linkPrefixes('');
		this.signer = null;
		this.messageIdKey = null;
		if (options.baseUrl) {
			try {
				this.baseUrl = normaliseBaseUrl(options.baseUrl, {
					allowInsecureHttp: options.allowInsecureHttp === true,
				});
			} catch (error) {
				throw new ComposeError('invalid-option', (error as Error).message);
			}
			this.prefixes = linkPrefixes(this.baseUrl);
			if (this.baseUrl.startsWith('http:')) {
				this.warnings.push(
					`The public base URL ${this.baseUrl} uses plain http: unsubscribe and tracking links are not encrypted and Gmail/Yahoo require https for one-click unsubscribe. Use this for local testing only`,
				);
			}
			if (typeof options.secret !== 'string') {
				throw new ComposeError(
					'invalid-option',
					'The link-signing secret of the subscriber store is required to sign unsubscribe and tracking links',
				);
			}
			try {
				this.signer = new LinkSigner(options.secret);
			} catch (error) {
				throw new ComposeError('invalid-option', (error as Error).message);
			}
			this.messageIdKey = createSecretKey(
				createHmac('sha256', options.secret).update('bulk-mail/message-id').digest(),
			);
		}
		this.listUnsubscribe = options.listUnsubscribe ?? this.signer !== null;
		this.trackOpens = options.trackOpens === true;
		this.trackClicks = options.trackClicks === true;
		this.trackText = options.trackTextLinks === true && this.trackClicks;
		if (!this.signer && (this.listUnsubscribe || this.trackOpens || this.trackClicks)) {
			throw new ComposeError(
				'invalid-option',
				'List-Unsubscribe and open/click tracking need the public base URL (the Bounce Webhook production URL) and the link-signing secret',
			);
		}
		this.unsubscribeMailto = options.unsubscribeMailto
			? validateEmailAddress(options.unsubscribeMailto, 'Unsubscribe mailto address')
			: null;
		if (
			this.unsubscribeMailto &&
			!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]+$/.test(this.unsubscribeMailto)
		) {
			throw new ComposeError(
				'invalid-option',
				'The unsubscribe mailto address must be plain ASCII (it is written into a header as is)',
			);
		}
		this.encoding = options.encoding ?? 'utf-8';
		if (this.encoding !== 'utf-8' && this.encoding !== 'iso-2022-jp') {
			throw new ComposeError('invalid-option', `Encoding must be 'utf-8' or 'iso-2022-jp'`);
		}
		this.extraHeaders = Object.entries(options.headers ?? {}).map(([name, value]) => {
			validateHeaderName(name);
			if (RESERVED_HEADERS.has(name.toLowerCase())) {
				throw new ComposeError(
					'invalid-option',
					`The header '${name}' is set by the engine and cannot be given as an extra header`,
				);
			}
			return [name, sanitizeHeaderText(value)] as [string, string];
		});
		this.proofPrefix = sanitizeHeaderText(options.proofSubjectPrefix ?? DEFAULT_PROOF_PREFIX);
		if (this.proofPrefix) this.proofPrefix += ' ';
		this.defaults = normaliseDefaults(options.defaults);

		// Addresses -------------------------------------------------------------------------
		const textLiquid = createSandboxedLiquid({ escapeHtml: false, strict });
		this.from = parseTemplatedMailbox(spec.from, 'From');
		this.fromName = this.compileName(this.from.name, 'from', textLiquid);
		this.replyTo = spec.replyTo ? parseTemplatedMailbox(spec.replyTo, 'Reply-To') : null;
		this.replyToName = this.replyTo
			? this.compileName(this.replyTo.name, 'replyTo', textLiquid)
			: null;
		this.messageIdDomain = messageIdDomain(this.from.address, options.messageIdDomain);

		// Templates -------------------------------------------------------------------------
		this.subject = new TemplateProgram(
			'subject',
			textLiquid,
			parseTemplate(textLiquid, spec.subject, 'subject'),
			SourceMap.identity(spec.subject),
			strict,
			true,
		);

		this.html = null;
		this.text = null;
		this.textFallback = null;
		this.textMode = 'none';
		this.derivedTextTemplate = null;
		this.tidyText = null;
		if (htmlSource) this.html = this.compileHtml(htmlSource, options, strict);
		if (textSource) {
			this.text = new TemplateProgram(
				'text',
				textLiquid,
				parseTemplate(textLiquid, textSource, 'text'),
				SourceMap.identity(textSource),
				strict,
				true,
			);
			this.textMode = 'template';
		} else if (htmlSource) {
			const htmlLiquid = createSandboxedLiquid({ escapeHtml: true, strict });
			const derived = deriveTextTemplate(
				htmlSource,
				scanConstructs(htmlSource, htmlLiquid),
				textLiquid,
				options.textWordwrap,
			);
			if (derived.ok) {
				this.text = new TemplateProgram(
					'html',
					textLiquid,
					textLiquid.parse(derived.source),
					derived.sourceMap,
					strict,
					true,
				);
				this.textMode = 'derived';
				this.derivedTextTemplate = derived.source;
				this.tidyText = derived.tidy.start || derived.tidy.end ? derived.tidy : null;
			} else {
				this.textFallback = makeHtmlToText(options.textWordwrap);
				this.textMode = 'per-recipient';
				this.warnings.push(
					`The text part is converted from the HTML for every recipient (slow, ~1 ms each) because ${derived.reason}. Give a text template to avoid this`,
				);
			}
		}

		const sources = [spec.subject, htmlSource ?? '', textSource ?? '', this.from.name];
		this.needsUnsubscribeUrl = sources.some((s) => USES('unsubscribe_url').test(s));
		this.needsPreferencesUrl = sources.some((s) => USES('preferences_url').test(s));
		this.signsLinks =
			this.listUnsubscribe ||
			this.trackClicks ||
			this.trackOpens ||
			this.needsUnsubscribeUrl ||
			this.needsPreferencesUrl;
		if (!this.signer && (this.needsUnsubscribeUrl || this.needsPreferencesUrl)) {
			throw new ComposeError(
				'invalid-option',
				'The templates use unsubscribe_url or preferences_url, which need the public base URL and the link-signing secret',
			);
		}
	}

	private compileName(
		name: string,
		template: TemplateName,
		liquid: ReturnType<typeof createSandboxedLiquid>,
	): NameTemplate {
		if (!/\{\{|\{%/.test(name)) return { static: sanitizeHeaderText(name), program: null };
		return {
			static: null,
			program: new TemplateProgram(
				template,
				liquid,
				parseTemplate(liquid, name, template),
				SourceMap.identity(name),
				false,
				true,
			),
		};
	}

	private compileHtml(source: string, options: ComposeOptions, strict: boolean): TemplateProgram {
		const nonce = randomBytes(6).toString('hex');
		const trackTag = `bmtrack${nonce}`;
		const pixelTag = `bmpixel${nonce}`;
		const liquid = createSandboxedLiquid({ escapeHtml: true, strict, trackTag, pixelTag });
		parseTemplate(liquid, source, 'html'); // errors point at the user's own line and column
		const constructs = scanConstructs(source, liquid);

		let working = options.inlineCss ? inlineCss(source, constructs) : source;
		if (this.trackClicks || this.trackOpens) {
			const plan = planLinks(working, scanConstructs(working, liquid), {
				trackClicks: this.trackClicks,
				trackOpens: this.trackOpens,
				ownPrefix: `${this.baseUrl}/`,
				parses: (fragment) => {
					try {
						liquid.parse(fragment);
						return true;
					} catch {
						return false;
					}
				},
			});
			for (const url of plan.untracked) this.untracked.add(url);
			for (const skipped of plan.skipped) {
				const { line, column } = positionAt(working, skipped.offset);
				this.warnings.push(
					`The link at line ${line}, column ${column} of the HTML body is not click-tracked: ${skipped.reason}`,
				);
			}
			working = applyLinkPlan(working, plan, {
				track: trackTag,
				pixel: this.trackOpens ? pixelTag : null,
			});
		}
		const finalConstructs = scanConstructs(
			working,
			liquid,
			new Set([trackTag, `end${trackTag}`, pixelTag]),
		);
		const sourceMap = SourceMap.fromConstructs(source, constructs, working, finalConstructs);
		return new TemplateProgram(
			'html',
			liquid,
			parseTemplate(liquid, working, 'html', sourceMap),
			sourceMap,
			strict,
			true,
			{ track: trackTag, pixel: pixelTag },
		);
	}

	/** Renders one message for one recipient. */
	render(recipient: Recipient, context: RenderContext = {}): ComposedMessage {
		return this.renderAs(recipient, context ?? {}, context?.proof ? 'proof' : 'send');
	}

	/**
	 * Subject, HTML, text and headers for one recipient (or sample data) without tracking and
	 * with inert unsubscribe links, for showing in the editor.
	 */
	preview(recipient: Recipient = SAMPLE_RECIPIENT, context: RenderContext = {}): MessagePreview {
		const message = this.renderAs(recipient, context ?? {}, 'preview');
		const headers: Record<string, string> = {
			From: formatAddress(message.from),
			To: formatAddress(message.to),
		};
		if (message.replyTo) headers['Reply-To'] = formatAddress(message.replyTo);
		headers.Subject = message.subject;
		headers['Message-ID'] = message.messageId;
		Object.assign(headers, message.headers);
		return { subject: message.subject, html: message.html, text: message.text, headers };
	}

	private renderAs(
		recipient: Recipient,
		context: RenderContext,
		mode: RenderMode,
	): ComposedMessage {
		if (!recipient || typeof recipient !== 'object') {
			throw new ComposeError('invalid-recipient', 'The recipient must be an object with an email');
		}
		const testRender = mode !== 'send';
		const email = validateEmailAddress(recipient.email, 'Recipient');
		const subscriberId = normaliseId(recipient.id, 'The subscriber id');
		const campaignId = testRender ? null : normaliseId(context.campaignId, 'The campaign id');
		const rawName =
			recipient.name === undefined || recipient.name === null ? '' : String(recipient.name);
		const rawFields = recipient.fields ?? {};
		if (typeof rawFields !== 'object' || Array.isArray(rawFields)) {
			throw new ComposeError(
				'invalid-recipient',
				`The custom fields of ${email} must be an object`,
			);
		}
		const rawItem = context.item ?? {};
		if (typeof rawItem !== 'object' || Array.isArray(rawItem)) {
			throw new ComposeError('invalid-recipient', 'The item data must be an object');
		}

		// Signed links --------------------------------------------------------------------
		let unsubscribeToken = '';
		let unsubscribeUrl = '';
		let preferencesUrl = '';
		const claims: LinkTokenClaims = { subscriberId: testRender ? '' : (subscriberId ?? '') };
		if (campaignId !== null) claims.campaignId = campaignId;
		const signer = this.signer;
		if (signer) {
			if (!testRender && subscriberId === null && this.signsLinks) {
				throw new ComposeError(
					'invalid-recipient',
					`The recipient ${email} has no subscriber id, so its unsubscribe and tracking links cannot be signed. Take recipients from the Subscriber List (or add them to a list first)`,
				);
			}
			if (this.listUnsubscribe || this.needsUnsubscribeUrl) {
				unsubscribeToken = signer.sign('unsubscribe', claims);
				unsubscribeUrl = this.prefixes.unsubscribe + unsubscribeToken;
			}
			if (this.needsPreferencesUrl) {
				preferencesUrl = this.prefixes.preferences + signer.sign('preferences', claims);
			}
		}
		const state: LinkRenderState = {
			signer,
			baseUrl: this.baseUrl,
			prefixes: this.prefixes,
			ownPrefix: `${this.baseUrl}/`,
			claims,
			trackClicks: this.trackClicks && !testRender,
			trackOpens: this.trackOpens && !testRender,
			untracked: this.untracked,
			unsubscribeUrl,
			preferencesUrl,
		};

		// Merge data ----------------------------------------------------------------------
		const defaults = this.defaults;
		const fields = defaults.fields.length
			? withDefaults(rawFields as Record<string, unknown>, defaults.fields)
			: (rawFields as Record<string, unknown>);
		const item = defaults.item.length
			? withDefaults(rawItem as Record<string, unknown>, defaults.item)
			: (rawItem as Record<string, unknown>);
		const name = rawName === '' && defaults.name !== undefined ? String(defaults.name) : rawName;
		const mergeEmail = email;
		const scope: Record<string | symbol, unknown> = Object.create(null);
		scope.email = mergeEmail;
		scope.name = name;
		scope.fields = fields;
		scope.item = item;
		scope.subscriber = { id: subscriberId ?? '', email: mergeEmail, name, fields };
		scope.unsubscribe_url = unsubscribeUrl;
		scope.preferences_url = preferencesUrl;
		scope.campaign_id = campaignId ?? '';
		// Set only by a double opt-in confirmation message (lib/optin).
		scope.confirm_url = context.confirmUrl ?? '';
		scope[RENDER_STATE] = state;

		// Render --------------------------------------------------------------------------
		let subject = sanitizeHeaderText(this.subject.render(scope, fields));
		if (mode === 'proof') subject = this.proofPrefix + subject;
		const html = this.html ? this.html.render(scope, fields) : '';
		let text: string;
		if (this.text) {
			text = this.text.render(scope, fields);
			if (this.tidyText) text = tidyDerivedText(text, this.tidyText);
		} else if (this.textFallback && this.html) {
			if (state.trackClicks || state.trackOpens) {
				// The text part shows the template's own links, not tracking links.
				scope[RENDER_STATE] = { ...state, trackClicks: false, trackOpens: false };
				try {
					text = this.textFallback(this.html.render(scope, fields));
				} finally {
					scope[RENDER_STATE] = state;
				}
			} else {
				text = this.textFallback(html);
			}
		} else {
			text = '';
		}
		if (this.trackText && state.trackClicks) text = trackTextLinks(text, state);

		const headers: Record<string, string> = {};
		for (const [headerName, value] of this.extraHeaders) headers[headerName] = value;
		if (this.listUnsubscribe) {
			headers['List-Unsubscribe'] = this.unsubscribeMailto
				? `<${unsubscribeUrl}>, <mailto:${this.unsubscribeMailto}?subject=unsubscribe%20${encodeURIComponent(unsubscribeToken)}>`
				: `<${unsubscribeUrl}>`;
			headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
		}
		if (testRender) {
			headers[PROOF_HEADER] = '1';
		} else {
			if (campaignId !== null) headers[CORRELATION_HEADERS.campaignId] = campaignId;
			if (subscriberId !== null) headers[CORRELATION_HEADERS.subscriberId] = subscriberId;
		}

		const message: ComposedMessage = {
			from: { name: this.renderName(this.fromName, scope, fields), address: this.from.address },
			to: { name: sanitizeHeaderText(rawName), address: email },
			subject,
			html,
			text,
			headers,
			messageId: buildMessageId(
				this.messageIdDomain,
				campaignId,
				testRender ? null : subscriberId,
				email,
				this.messageIdKey,
				testRender ? null : messageIdSource(context.messageIdFrom),
			),
			campaignId,
			subscriberId: testRender ? null : subscriberId,
			encoding: this.encoding,
		};
		if (this.replyTo && this.replyToName) {
			message.replyTo = {
				name: this.renderName(this.replyToName, scope, fields),
				address: this.replyTo.address,
			};
		}
		if (context.attachments) {
			let attachments = this.validatedAttachments.get(context.attachments);
			if (!attachments || attachments.length !== context.attachments.length) {
				attachments = validateAttachments(context.attachments);
				this.validatedAttachments.set(context.attachments, attachments);
			}
			message.attachments = attachments;
		}
		return message;
	}

	private renderName(
		name: NameTemplate,
		scope: Record<string | symbol, unknown>,
		fields: object,
	): string {
		return name.program
			? sanitizeHeaderText(name.program.render(scope, fields))
			: (name.static as string);
	}
}

function messageIdSource(value: RenderContext['messageIdFrom']): MessageIdSource | null {
	if (value === undefined || value === null) return null;
	if (value === 'recipient') return value;
	const key = typeof value === 'object' ? String(value.key ?? '').trim() : '';
	if (!key) return null;
	if (key.length > 200) {
		throw new ComposeError('invalid-option', `The idempotency key is longer than 200 characters (${key.length})`);
	}
	return { key };
}

function formatAddress(address: MailAddress): string {
	if (!address.name) return address.address;
	const name = /^[\w !#$%&'*+/=?^`{|}~-]*$/.test(address.name)
		? address.name
		: `"${address.name.replace(/(["\\])/g, '\\$1')}"`;
	return `${name} <${address.address}>`;
}

/** Compiles the templates once; render the result per recipient. Throws ComposeError. */
export function compileTemplate(
	spec: TemplateSpec,
	options: ComposeOptions = {},
): CompiledTemplate {
	return new CompiledTemplate(spec, options);
}

/** The preview of one recipient (or sample data): subject, HTML, text, headers. */
export function preview(
	template: CompiledTemplate,
	recipient?: Recipient,
	context?: RenderContext,
): MessagePreview {
	return template.preview(recipient, context);
}
