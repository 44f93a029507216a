/**
 * The message-composing engine (no n8n imports). Compile once, render per recipient:
 *
 *   const template = compileTemplate(
 *     { subject, html, text?, from: 'News <news@example.com>', replyTo? },
 *     { baseUrl, secret, trackClicks?, trackOpens?, inlineCss?, strict?, defaults?, encoding? },
 *   );
 *   template.warnings;                       // string[]: show them to the user
 *   const message = template.render(subscriber, { item, campaignId, proof?, attachments? });
 *   await transport.sendMail(toSendMailOptions(message));
 *   template.preview(subscriber?)             // { subject, html, text, headers }, no tracking
 *
 * Templates are Liquid (LiquidJS, sandboxed: own properties only, no file access, no
 * include/render/layout). Merge fields: `email`, `name`, `fields.<name>` and `<name>` for custom
 * fields, `item.<path>` for the incoming item, `subscriber.*`, `campaign_id`, `unsubscribe_url`,
 * `preferences_url`; `{{ x | default: "…" }}` and the `defaults` option fill missing values.
 * Merge values are HTML-escaped in the HTML body only. Subject and display names are cleaned
 * of anything that could break a header line (CR, LF, NEL, U+2028/9, controls, and their
 * %0D / =0D / encoded-word forms).
 *
 * With `baseUrl` + `secret` every message carries `List-Unsubscribe: <https://…/unsubscribe?t=…>`
 * and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), tokens signed with the
 * store's LinkSigner. Click tracking signs the exact URL of each link per recipient; the open
 * pixel goes before `</body>`. Messages carry the correlation headers of lib/events/types.ts
 * and a Message-ID `<campaign.subscriber.unique@from-domain>`, stable per (campaign,
 * subscriber). `render(…, { proof: true })` gives a test message: subject prefix, no tracking,
 * no campaign or correlation headers, `X-Bulk-Mail-Proof: 1`, inert unsubscribe links.
 *
 * Every bad input throws a ComposeError with a `code` and, for templates, the template name,
 * line, column and offending token.
 */
export {
	CompiledTemplate,
	compileTemplate,
	preview,
	PROOF_HEADER,
	DEFAULT_PROOF_PREFIX,
	BUILT_IN_FIELDS,
	SAMPLE_RECIPIENT,
} from './compile';
export { ComposeError, type ComposeErrorCode } from './errors';
export { sanitizeHeaderText, parseMailbox, validateEmailAddress } from './headerSafety';
export { toSendMailOptions, type SendMailConversionOptions } from './sendMail';
export { encodeIso2022Jp, encodeIso2022JpHeader } from './iso2022jp';
export type {
	ComposeAttachment,
	ComposeOptions,
	ComposedMessage,
	MailAddress,
	MessageEncoding,
	MessagePreview,
	Recipient,
	RenderContext,
	TemplateName,
	TemplateSpec,
} from './types';
