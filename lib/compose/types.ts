/** Public types of the message-composing engine. */

/** A mailbox as nodemailer takes it: the display name is plain text, nodemailer encodes it. */
export interface MailAddress {
	name: string;
	address: string;
}

/** The templates of one message. Subject and at least one of html/text are required. */
export interface TemplateSpec {
	subject: string;
	/** HTML body template (Liquid). Merge values are HTML-escaped here. */
	html?: string | null;
	/** Text body template (Liquid). When absent it is derived from the HTML template once. */
	text?: string | null;
	/** `Name <address>` or an object; the display name may contain merge fields. */
	from: string | MailAddress;
	replyTo?: string | MailAddress | null;
}

export type MessageEncoding = 'utf-8' | 'iso-2022-jp';

export interface ComposeOptions {
	/**
	 * Public base URL of the Bounce Webhook (store credential). Enables List-Unsubscribe,
	 * `unsubscribe_url` / `preferences_url` and tracking links. Must be https.
	 */
	baseUrl?: string | null;
	/** Plain http base URL, for local testing only; adds a warning to `warnings`. */
	allowInsecureHttp?: boolean;
	/** The store's link-signing secret (HMAC key). Required with `baseUrl`. */
	secret?: string | null;
	/** List-Unsubscribe + List-Unsubscribe-Post headers (default true when `baseUrl` is set). */
	listUnsubscribe?: boolean;
	/** Adds `<mailto:ADDRESS?subject=unsubscribe%20TOKEN>` to List-Unsubscribe. */
	unsubscribeMailto?: string | null;
	/** Open pixel before `</body>` (default false). */
	trackOpens?: boolean;
	/** Rewrite http(s) links of the HTML part to signed click links (default false). */
	trackClicks?: boolean;
	/** Also rewrite http(s) links of the text part (default false; needs `trackClicks`). */
	trackTextLinks?: boolean;
	/**
	 * Add a hidden scanner-trap link to the HTML (default false; needs `trackClicks` and a
	 * campaign): an empty, hidden, unfocusable anchor no reader sees. Link scanners that fetch every
	 * URL of a message fetch it too, which marks their hits as a machine's in the campaign report.
	 */
	trapLink?: boolean;
	/** Inline the CSS of `<style>` blocks into `style` attributes with juice, once. */
	inlineCss?: boolean;
	/** Fail on unknown merge fields (Liquid `strictVariables`); `default` filters still apply. */
	strict?: boolean;
	/**
	 * Values for missing (undefined, null or empty) merge fields: `name`, `email`,
	 * `fields.city` or just `city` (a custom field), `item.orderId`.
	 */
	defaults?: Record<string, unknown> | null;
	/** Line width of the derived text part (html-to-text `wordwrap`); false = no wrapping. */
	textWordwrap?: number | false;
	/** Charset used by `toSendMailOptions` for subject and text part (default utf-8). */
	encoding?: MessageEncoding;
	/** Extra static headers added to every message (names and values are checked). */
	headers?: Record<string, string> | null;
	/** Subject prefix of proof renders (default `[TEST] `). */
	proofSubjectPrefix?: string;
	/** Domain of generated Message-IDs (default: the From address's domain). */
	messageIdDomain?: string | null;
}

/** A subscriber-like recipient: a Subscriber from the store, or any object with an e-mail. */
export interface Recipient {
	id?: string | number | null;
	email: string;
	name?: string | null;
	fields?: Record<string, unknown> | null;
}

/** An attachment or inline image. Content only: paths and URLs are never read. */
export interface ComposeAttachment {
	filename: string;
	content: Buffer;
	contentType: string;
	/** Content-ID for inline images (`<img src="cid:...">`). */
	cid?: string;
}

export type MessageIdSource = 'recipient' | { key: string };

export interface RenderContext {
	/** The incoming item's JSON, available as `item.*`. */
	item?: Record<string, unknown> | null;
	/** Campaign id: correlation header and link claims (and, with `messageIdFrom`, the Message-ID). */
	campaignId?: string | null;
	/**
	 * What makes the Message-ID repeatable. Absent: a fresh random id, so every distinct message
	 * has its own (RFC 5322 §3.6.4), even to the same person under the same campaign id.
	 * `recipient`: derived from (campaign, subscriber) — the campaign runner, where a recipient
	 * gets one message per campaign and a resumed run re-sends it under the same id.
	 * `{ key }`: derived from (campaign, recipient, key) — item mode with an idempotency key
	 * (an order number, an event id), so composing the same message again keeps its id.
	 */
	messageIdFrom?: MessageIdSource | null;
	/** A test send: subject prefix, no tracking, no campaign id or correlation headers. */
	proof?: boolean;
	attachments?: ComposeAttachment[] | null;
	/** The signed confirm link of a double opt-in confirmation message (`{{ confirm_url }}`). */
	confirmUrl?: string | null;
}

/** One rendered message, ready for nodemailer (see `toSendMailOptions`) or Bulk Send. */
export interface ComposedMessage {
	from: MailAddress;
	to: MailAddress;
	replyTo?: MailAddress;
	subject: string;
	html: string;
	text: string;
	headers: Record<string, string>;
	/** With angle brackets, e.g. `<c1.s9.AbC@example.com>`. */
	messageId: string;
	campaignId: string | null;
	subscriberId: string | null;
	attachments?: ComposeAttachment[];
	encoding: MessageEncoding;
}

export interface MessagePreview {
	subject: string;
	html: string;
	text: string;
	headers: Record<string, string>;
}

export type TemplateName = 'subject' | 'html' | 'text' | 'from' | 'replyTo';
