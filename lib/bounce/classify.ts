/**
 * classifyBounce: one raw RFC 5322 message in, what it is out — a bounce with each failed
 * recipient's reason and kind, a complaint, an auto-reply, a delay or success notice, or not a
 * bounce (with a note saying why). Never throws: bad input is a `not-bounce` with a note.
 */
import { BOUNCE_FORMATS, deliveryStatusBlocks, FALLBACK_FORMAT, isAutoReply, looksLikeBounce, type FormatResult, type ReadRecipient } from './formats';
import { addressOf, toBounceMail, type BounceMail } from './mail';
import { classifyFailure } from './reasons';
import type { Headers } from './mime';
import type { Classification, ClassifiedRecipient, DeliveryReport, OriginalMessage, RecipientOutcome } from './types';

/** More recipients than this in one bounce are not read (a clear limit, not a crash). */
export const MAX_RECIPIENTS = 5_000;

const SUCCESS_ACTIONS = new Set(['delivered', 'relayed', 'expanded']);
const MATCHING_HEADERS = ['message-id', 'x-bulk-mail-campaign', 'x-bulk-mail-subscriber', 'to', 'from', 'subject', 'date', 'list-unsubscribe'];

export function classifyBounce(raw: Buffer | string): Classification {
	if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) return empty('not a message: expected the raw message as text or bytes');
	if (raw.length === 0) return empty('not a message: the input is empty');
	let mail: BounceMail;
	try {
		mail = toBounceMail(raw);
	} catch (error) {
		return empty(`not a readable message (${(error as Error).message})`);
	}
	if (mail.headers.fields.length === 0) return empty('not an e-mail message: no header fields at the start');
	const report = reportOf(mail);
	const ownId = mail.headers.get('message-id')?.trim().replace(/^<|>$/g, '') || null;
	const base = {
		returnPath: returnPathOf(mail),
		original: originalOf(mail),
		messageId: ownId,
		date: mail.headers.get('date'),
		...(report ? { report } : {}),
		...(mail.truncated ? { truncated: true } : {}),
	};
	let bounceLike = false;
	try {
		for (const module of BOUNCE_FORMATS) {
			const result = module.read(mail);
			if (result) return { ...build(result), ...base };
		}
		bounceLike = looksLikeBounce(mail);
		if (!bounceLike && isAutoReply(mail)) return { type: 'auto-reply', recipients: [], format: 'rfc3834', ...base };
		const plain = FALLBACK_FORMAT.read(mail);
		if (plain) return { ...build(plain), ...base };
		if (isAutoReply(mail)) return { type: 'auto-reply', recipients: [], format: 'rfc3834', ...base };
	} catch (error) {
		// A format module tripping on odd input must not lose the message: say so and move on.
		return { type: 'not-bounce', recipients: [], format: null, ...base, note: `could not read the report (${(error as Error).message})` };
	}
	const note = bounceLike ? 'looks like a bounce, but names no failed recipient' : 'not a bounce, complaint or auto-reply';
	return { type: 'not-bounce', recipients: [], format: null, ...base, note };
}

function empty(note: string): Classification {
	return { type: 'not-bounce', recipients: [], format: null, returnPath: null, original: null, note };
}

function build(result: FormatResult): Omit<Classification, 'returnPath' | 'original'> {
	if (result.type === 'complaint') {
		const recipients: ClassifiedRecipient[] = result.recipients.slice(0, 1).map((recipient) => ({
			...pick(recipient),
			kind: 'complaint',
			reason: 'feedback',
		}));
		return { type: 'complaint', recipients, format: result.format };
	}
	if (result.type === 'auto-reply') return { type: 'auto-reply', recipients: [], format: result.format };
	const failed: ClassifiedRecipient[] = [];
	const delayed: ClassifiedRecipient[] = [];
	const outcomes: RecipientOutcome[] = [];
	let delivered = 0;
	const seen = new Set<string>();
	let capped = false;
	for (const recipient of result.recipients) {
		const key = recipient.address.toLowerCase();
		if (seen.has(key)) continue;
		if (seen.size >= MAX_RECIPIENTS) {
			capped = true;
			break;
		}
		seen.add(key);
		const action = recipient.action ?? '';
		if (SUCCESS_ACTIONS.has(action) || (action !== 'failed' && action !== 'delayed' && recipient.status?.startsWith('2.'))) {
			delivered++;
			const outcome = SUCCESS_ACTIONS.has(action) ? (action as RecipientOutcome['action']) : 'delivered';
			outcomes.push({ address: recipient.address, action: outcome, status: recipient.status, diagnostic: recipient.diagnostic });
			continue;
		}
		const verdict = classifyFailure({
			status: recipient.status,
			replyCode: recipient.replyCode,
			diagnostic: recipient.diagnostic,
			command: recipient.command,
			statedReason: recipient.reason ?? null,
		});
		const entry: ClassifiedRecipient = { ...pick(recipient), kind: verdict.kind, reason: verdict.reason };
		if (action === 'delayed' || (result.type === 'delayed' && action !== 'failed')) {
			delayed.push(entry);
			outcomes.push({ address: entry.address, action: 'delayed', status: entry.status, diagnostic: entry.diagnostic });
		} else failed.push(entry);
	}
	const extra = { ...(outcomes.length > 0 ? { outcomes } : {}), ...(capped ? { truncated: true } : {}) };
	if (failed.length > 0) return { type: 'bounce', recipients: failed, format: result.format, ...extra };
	if (delayed.length > 0) return { type: 'delayed', recipients: delayed, format: result.format, ...extra };
	if (delivered > 0) return { type: 'delivered', recipients: [], format: result.format, ...extra };
	return { type: 'not-bounce', recipients: [], format: result.format, note: 'the report names no recipient' };
}

function pick(recipient: ReadRecipient): Pick<ClassifiedRecipient, 'address' | 'status' | 'replyCode' | 'diagnostic'> {
	return { address: recipient.address, status: recipient.status, replyCode: recipient.replyCode, diagnostic: recipient.diagnostic };
}

function fieldsOf(headers: Headers): Record<string, string> {
	const fields: Record<string, string> = {};
	for (const field of headers.fields) if (!(field.name in fields)) fields[field.name] = field.value;
	return fields;
}

/** The delivery-status part's fields, as the DSN webhook reports them (dates, raw fields). */
function reportOf(mail: BounceMail): DeliveryReport | undefined {
	const part = mail.parts.find((candidate) => /^(?:message|text)\/(?:global-)?delivery-status$/.test(candidate.type));
	if (!part) return undefined;
	const [message, ...rest] = deliveryStatusBlocks(part.text).map(fieldsOf);
	const recipients = rest.filter((fields) => 'final-recipient' in fields || 'original-recipient' in fields);
	return { message: message ?? {}, recipients };
}

/** Where the bounce was delivered: a VERP return path shows up here. */
function returnPathOf(mail: BounceMail): string | null {
	for (const name of ['x-original-to', 'delivered-to', 'envelope-to', 'x-envelope-to']) {
		const address = addressOf(mail.headers.get(name));
		if (address) return address;
	}
	const returnPath = mail.headers.get('return-path');
	if (returnPath && returnPath.replace(/[<>\s]/g, '') !== '') {
		const address = addressOf(returnPath);
		if (address) return address;
	}
	return addressOf(mail.headers.get('to'));
}

function originalOf(mail: BounceMail): OriginalMessage | null {
	if (!mail.original) return null;
	const headers: Record<string, string> = {};
	for (const name of MATCHING_HEADERS) {
		const value = mail.original.get(name);
		if (value !== null) headers[name] = value;
	}
	const id = mail.original.get('message-id');
	const messageId = id ? id.trim().replace(/^<|>$/g, '') || null : null;
	if (!messageId && Object.keys(headers).length === 0) return null;
	return { messageId, headers };
}
