/**
 * The message-composing engine (no n8n imports). Compile once per execution, render per
 * recipient:
 *
 *   const template = compileTemplate(
 *     { subject, html?, text?, from: 'News <news@example.com>', replyTo? },
 *     { baseUrl, secret, trackClicks?, trackOpens?, trackTextLinks?, inlineCss?, strict?,
 *       defaults?, encoding?: 'utf-8' | 'iso-2022-jp', headers?, unsubscribeMailto?, … },
 *   );                                   // throws ComposeError (code, template, line, column, token)
 *   template.warnings                    // string[] to show the user (http base URL, untracked links…)
 *   template.textMode                    // 'template' | 'derived' | 'per-recipient' | 'none'
 *   const message = template.render(recipient, { item?, campaignId?, proof?, attachments? });
 *   await transport.sendMail(toSendMailOptions(message));
 *   buildRawMessage(toSendMailOptions(message))  // { raw, envelope, messageId } | null: the RFC 5322
 *                                        // message in one Buffer (Bulk Send hands it to the pool as is)
 *   template.preview(recipient?)         // { subject, html, text, headers }: no tracking, inert links
 *
 * recipient: `{ id?, email, name?, fields? }` (a store Subscriber fits). `message` is a plain
 * object for items / Bulk Send: `{ from, to, replyTo?, subject, html, text, headers, messageId,
 * campaignId, subscriberId, attachments?, encoding }` (from/to are `{ name, address }`).
 * toSendMailOptions() checks it all again (it may have travelled through items), never lets
 * nodemailer read files or URLs, and writes List-Unsubscribe unfolded.
 *
 * Templates are Liquid (LiquidJS, sandboxed: own properties only, no file access, include/render/
 * layout refused, strict filters, memory/time limits). Merge fields: `email`, `name`,
 * `fields.<name>` or just `<name>` for custom fields, `item.<path>` for the incoming item,
 * `subscriber.*`, `campaign_id`, `unsubscribe_url`, `preferences_url`. `{{ x | default: "…" }}`
 * and the `defaults` option (`name`, `city` / `fields.city`, `item.orderId`) fill missing values;
 * `strict` fails on unknown fields, naming them. A From/Reply-To display name may be a template.
 * Merge values are HTML-escaped in the HTML body only. Subject and display names are cleaned of
 * anything that could end a header line (CR, LF, NEL, U+2028/9, other controls, and their
 * %0D / =0D / encoded-word forms) after merging.
 *
 * Without a text template the text part is derived from the HTML once (html-to-text with the
 * Liquid kept as placeholders) and rendered per recipient; `inlineCss` runs juice once.
 *
 * With `baseUrl` (https; http only with `allowInsecureHttp`, which warns) and the store's
 * link-signing `secret`, every message carries `List-Unsubscribe: <https://…/unsubscribe?t=…>`
 * (+ optional mailto) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), tokens
 * signed by lib/store LinkSigner. Such recipients need an `id`. Click tracking signs the exact URL
 * of each http(s) link per recipient (not mailto:, #, data-no-track, our own links); the open
 * pixel goes before `</body>`. Messages carry the CORRELATION_HEADERS of lib/events/types.ts and
 * a Message-ID `<campaign.subscriber.unique@from-domain>`, the same for a (campaign, subscriber)
 * pair on every render. `proof: true` gives a test message: "[TEST] " subject prefix, no
 * tracking, no campaign id or correlation headers, `X-Bulk-Mail-Proof: 1`, and unsubscribe links
 * whose token names no subscriber (subscriberId '') so clicking them changes nothing.
 *
 * `encoding: 'iso-2022-jp'`: subject and text part in ISO-2022-JP when every character fits
 * (else UTF-8 for that message); half-width katakana become full-width; the HTML part stays UTF-8.
 */
export {
	BUILT_IN_FIELDS,
	CompiledTemplate,
	compileTemplate,
	DEFAULT_PROOF_PREFIX,
	preview,
	PROOF_HEADER,
	SAMPLE_RECIPIENT,
} from './compile';
export { ComposeError, type ComposeErrorCode, type ComposeErrorDetails } from './errors';
export {
	isValidEmail,
	parseMailbox,
	sanitizeHeaderText,
	validateEmailAddress,
} from './headerSafety';
export { encodeIso2022Jp, encodeIso2022JpHeader } from './iso2022jp';
export { buildRawMessage, encodeQuotedPrintable, type RawMessage } from './rawMessage';
export { toSendMailOptions, type SendMailConversionOptions } from './sendMail';
export type {
	ComposeAttachment,
	ComposedMessage,
	ComposeOptions,
	MailAddress,
	MessageEncoding,
	MessageIdSource,
	MessagePreview,
	Recipient,
	RenderContext,
	TemplateName,
	TemplateSpec,
} from './types';
