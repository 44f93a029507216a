/**
 * The confirmation message of double opt-in: rendered from a Compose template with a signed,
 * expiring confirm link, limited per address (a sign-up form must not become a way to mail-bomb
 * a stranger), and sealed so that Bulk Send delivers it, and only it, to a pending subscriber.
 *
 * The seal is an HMAC (keyed from the store's link-signing secret) over the message as rendered
 * (sender, recipient, subject, HTML, text), the subscriber, a one-time nonce and the link's
 * expiry. Bulk Send recomputes it over what it is about to send and then takes the nonce from
 * the store (`consumeConfirmation`): a changed message, another recipient, an expired or an
 * already delivered confirmation is not sent to a pending subscriber.
 */
import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

import type { CompiledTemplate, ComposedMessage } from '../compose';
import {
	type Actor,
	confirmationSendState,
	consumeConfirmationNonce,
	type LinkSigner,
	linkUrl,
	recordAudit,
	type SqlSubscriberStore,
	type Subscriber,
	takeConfirmationSend,
	touchSubscriber,
} from '../store';

export interface ResendLimits {
	/** Minutes that must pass between two confirmation mails to one address (default 10). */
	minIntervalMinutes: number;
	/** Confirmation mails per address within 24 hours (default 3). */
	maxPerDay: number;
}

export const DEFAULT_RESEND_LIMITS: ResendLimits = { minIntervalMinutes: 10, maxPerDay: 3 };

/** Hours a confirm link stays valid (default 7 days). */
export const DEFAULT_CONFIRM_VALID_HOURS = 168;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What travels with the message item to Bulk Send. */
export interface ConfirmationMark {
	subscriberId: string;
	nonce: string;
	/** Unix time in seconds when the confirm link (and so the mark) expires. */
	expiresAt: number;
	seal: string;
}

export type ReserveResult =
	| { ok: true; nonce: string; sendsToday: number }
	| { ok: false; reason: string; retryAfter: string };

function checkLimits(limits: ResendLimits): ResendLimits {
	const { minIntervalMinutes, maxPerDay } = limits;
	if (!Number.isFinite(minIntervalMinutes) || minIntervalMinutes < 0 || minIntervalMinutes > 7 * 24 * 60) {
		throw new Error('The minimum time between confirmation mails must be 0 to 10080 minutes');
	}
	if (!Number.isInteger(maxPerDay) || maxPerDay < 1 || maxPerDay > 100) {
		throw new Error('The confirmation mails per address and day must be a whole number from 1 to 100');
	}
	return limits;
}

/**
 * Takes one confirmation send for the address, or says when the next one is allowed. Atomic on
 * both backends (one conditional upsert), so concurrent form posts cannot both get through.
 * The subscriber row's `updated_at` is touched, so a fresh request is not purged as stale.
 */
export async function reserveConfirmation(
	store: SqlSubscriberStore,
	subscriber: Pick<Subscriber, 'id' | 'email'>,
	limitsInput: Partial<ResendLimits>,
	actor: Actor,
	now: number = Date.now(),
): Promise<ReserveResult> {
	const limits = checkLimits({ ...DEFAULT_RESEND_LIMITS, ...limitsInput });
	const hash = store.hashEmail(subscriber.email);
	const at = new Date(now).toISOString();
	const intervalCutoff = new Date(now - limits.minIntervalMinutes * 60_000).toISOString();
	const windowCutoff = new Date(now - DAY_MS).toISOString();
	const nonce = randomBytes(16).toString('base64url');
	return store.transaction(async (tx) => {
		const taken = await takeConfirmationSend(tx, { hash, at, nonce, windowCutoff, intervalCutoff, maxPerDay: limits.maxPerDay });
		if (!taken) {
			const row = await confirmationSendState(tx, hash);
			const last = Date.parse(String(row?.lastSentAt));
			const windowStart = Date.parse(String(row?.windowStart));
			const byInterval = last + limits.minIntervalMinutes * 60_000;
			const dailyFull = Number(row?.sends) >= limits.maxPerDay && windowStart > now - DAY_MS;
			const retryAt = Math.max(byInterval, dailyFull ? windowStart + DAY_MS : 0);
			const reason = dailyFull
				? `${limits.maxPerDay} confirmation mails were already sent to this address within 24 hours`
				: `a confirmation mail was sent to this address less than ${limits.minIntervalMinutes} minutes ago`;
			return { ok: false, reason, retryAfter: new Date(retryAt).toISOString() };
		}
		await touchSubscriber(tx, subscriber.id, at);
		await recordAudit(tx, actor, 'subscriber.confirmation-sent', 'subscriber', subscriber.id, {
			sendsToday: Number(taken.sends),
		});
		return { ok: true, nonce, sendsToday: Number(taken.sends) };
	});
}

/**
 * Bulk Send's side: takes the nonce of a sealed confirmation, once. False when it was delivered
 * already, or a newer confirmation for the address replaced it.
 */
export async function consumeConfirmation(store: SqlSubscriberStore, email: string, nonce: string): Promise<boolean> {
	if (typeof nonce !== 'string' || !nonce) return false;
	return consumeConfirmationNonce(store.sql, store.hashEmail(email), nonce);
}

function sealKey(secret: string): KeyObject {
	return createSecretKey(createHmac('sha256', secret).update('bulk-mail/confirmation-seal').digest());
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The seal over exactly what is sent. */
export function sealConfirmation(
	secret: string,
	message: Pick<ComposedMessage, 'from' | 'to' | 'subject' | 'html' | 'text'>,
	mark: Omit<ConfirmationMark, 'seal'>,
): string {
	const material = JSON.stringify([
		mark.subscriberId,
		mark.nonce,
		mark.expiresAt,
		message.from.address.toLowerCase(),
		message.to.address.toLowerCase(),
		message.subject,
		digest(message.html ?? ''),
		digest(message.text ?? ''),
	]);
	return createHmac('sha256', sealKey(secret)).update(material).digest('base64url');
}

export type MarkCheck = { ok: true; mark: ConfirmationMark } | { ok: false; reason: string };

/**
 * Whether an item's confirmation mark is genuine for this message and subscriber (not whether
 * it was delivered before: consumeConfirmation says that). `now` in milliseconds.
 */
export function verifyConfirmationMark(
	secret: string | null,
	message: Pick<ComposedMessage, 'from' | 'to' | 'subject' | 'html' | 'text' | 'subscriberId'>,
	raw: unknown,
	now: number = Date.now(),
): MarkCheck {
	if (!raw || typeof raw !== 'object') return { ok: false, reason: 'the item carries no confirmation mark' };
	if (!secret) return { ok: false, reason: 'the store credential has no link-signing secret to check the confirmation mark' };
	const mark = raw as Partial<ConfirmationMark>;
	if (
		typeof mark.subscriberId !== 'string' ||
		typeof mark.nonce !== 'string' ||
		typeof mark.expiresAt !== 'number' ||
		typeof mark.seal !== 'string'
	) {
		return { ok: false, reason: 'the confirmation mark is incomplete' };
	}
	if (mark.subscriberId !== message.subscriberId) {
		return { ok: false, reason: 'the confirmation mark is for another subscriber' };
	}
	const expected = Buffer.from(
		sealConfirmation(secret, message, { subscriberId: mark.subscriberId, nonce: mark.nonce, expiresAt: mark.expiresAt }),
	);
	const given = Buffer.from(mark.seal);
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
		return { ok: false, reason: 'the message is not the sealed confirmation message (changed, or sealed with another secret)' };
	}
	if (mark.expiresAt * 1000 < now) return { ok: false, reason: 'the confirmation message has expired' };
	return { ok: true, mark: mark as ConfirmationMark };
}

export interface BuildConfirmationInput {
	template: CompiledTemplate;
	subscriber: Pick<Subscriber, 'id' | 'email' | 'name' | 'fields'>;
	listName: string;
	/** The store credential's public base URL (normalised) and signer. */
	baseUrl: string;
	signer: LinkSigner;
	validForHours?: number;
	/** The input item, for `{{ item.* }}` (its `list_name` is set to the list's name). */
	item?: Record<string, unknown>;
	now?: number;
}

export interface RenderedConfirmation {
	message: ComposedMessage;
	confirmUrl: string;
	/** Unix time in seconds when the confirm link expires. */
	expiresAt: number;
}

/**
 * Renders the confirmation message for one pending subscriber (before a send is reserved, so a
 * template problem costs no send); seal it with `markConfirmation` once the send is reserved.
 */
export function renderConfirmation(input: BuildConfirmationInput): RenderedConfirmation {
	const hours = input.validForHours ?? DEFAULT_CONFIRM_VALID_HOURS;
	if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 90) {
		throw new Error('The confirm link must stay valid for more than 0 and at most 2160 hours (90 days)');
	}
	const now = input.now ?? Date.now();
	const expiresAt = Math.floor(now / 1000 + hours * 3600);
	const token = input.signer.sign('confirm', { subscriberId: input.subscriber.id, expiresAt });
	const confirmUrl = linkUrl(input.baseUrl, 'confirm', token);
	const message = input.template.render(
		{ id: input.subscriber.id, email: input.subscriber.email, name: input.subscriber.name, fields: input.subscriber.fields },
		{ item: { ...(input.item ?? {}), list_name: input.listName }, confirmUrl },
	);
	if (!message.html.includes(confirmUrl) && !message.text.includes(confirmUrl)) {
		throw new Error('The confirmation template does not show the confirm link: put {{ confirm_url }} in its HTML or text');
	}
	return { message, confirmUrl, expiresAt };
}

/** The mark Bulk Send checks: the rendered message sealed with the reserved send's nonce. */
export function markConfirmation(secret: string, rendered: RenderedConfirmation, nonce: string): ConfirmationMark {
	const subscriberId = String(rendered.message.subscriberId ?? '');
	const fields = { subscriberId, nonce, expiresAt: rendered.expiresAt };
	return { ...fields, seal: sealConfirmation(secret, rendered.message, fields) };
}
