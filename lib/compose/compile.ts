/** compileTemplate() → CompiledTemplate.render(recipient, context) → ComposedMessage. */
import type { KeyObject } from 'node:crypto';

import { CORRELATION_HEADERS } from '../events';
import type { LinkSigner, LinkTokenClaims } from '../store';
import { ComposeError } from './errors';
import { sanitizeHeaderText, validateEmailAddress } from './headerSafety';
import { TemplateProgram, createSandboxedLiquid, parseTemplate } from './liquidEngine';
import { SourceMap, scanConstructs } from './liquidSource';
import { PROOF_HEADER, resolveLinkSettings } from './linkSettings';
import {
	RENDER_STATE,
	trackTextLinks,
	type LinkPrefixes,
	type LinkRenderState,
} from './links';
import { buildMessageId, messageIdDomain } from './messageId';
import {
	formatAddress,
	messageIdSource,
	normaliseDefaults,
	normaliseId,
	parseTemplatedMailbox,
	validateAttachments,
	withDefaults,
	type NormalisedDefaults,
} from './renderInputs';
import { compileHtmlProgram, compileNameTemplate, type NameTemplate } from './templatePrograms';
import { deriveTextTemplate, makeHtmlToText, tidyDerivedText, type TidyFlags } from './textPart';
import type {
	ComposeAttachment,
	ComposeOptions,
	ComposedMessage,
	MailAddress,
	MessageEncoding,
	MessagePreview,
	Recipient,
	RenderContext,
	TemplateSpec,
} from './types';

export { DEFAULT_PROOF_PREFIX, PROOF_HEADER } from './linkSettings';
export { BUILT_IN_FIELDS } from './renderInputs';

export const SAMPLE_RECIPIENT: Recipient = {
	id: 'preview',
	email: 'subscriber@example.com',
	name: 'Sample Subscriber',
	fields: {},
};

const USES = (name: string) => new RegExp(`\\b${name}\\b`);

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
	private readonly trapLink: boolean;
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

	// Long: compiles every part once, in the order its checks and warnings depend on; runs once per execution.
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
		const links = resolveLinkSettings(options, this.warnings);
		this.baseUrl = links.baseUrl;
		this.prefixes = links.prefixes;
		this.signer = links.signer;
		this.messageIdKey = links.messageIdKey;
		this.listUnsubscribe = links.listUnsubscribe;
		this.trackOpens = links.trackOpens;
		this.trackClicks = links.trackClicks;
		this.trapLink = links.trapLink;
		this.trackText = links.trackText;
		this.unsubscribeMailto = links.unsubscribeMailto;
		this.encoding = links.encoding;
		this.extraHeaders = links.extraHeaders;
		this.proofPrefix = links.proofPrefix;
		this.defaults = normaliseDefaults(options.defaults);

		// Addresses -------------------------------------------------------------------------
		const textLiquid = createSandboxedLiquid({ escapeHtml: false, strict });
		this.from = parseTemplatedMailbox(spec.from, 'From');
		this.fromName = compileNameTemplate(this.from.name, 'from', textLiquid);
		this.replyTo = spec.replyTo ? parseTemplatedMailbox(spec.replyTo, 'Reply-To') : null;
		this.replyToName = this.replyTo
			? compileNameTemplate(this.replyTo.name, 'replyTo', textLiquid)
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
		if (htmlSource) this.html = compileHtmlProgram(htmlSource, options, strict, {
				trackClicks: this.trackClicks,
				trackOpens: this.trackOpens,
				trapLink: this.trapLink,
				baseUrl: this.baseUrl,
				untracked: this.untracked,
				warnings: this.warnings,
			});
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

	// Long: the per-recipient hot path, kept in one pass with no extra call layer per message.
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
			trapLink: this.trapLink && !testRender,
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
