import { createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { domainToASCII } from 'node:url';

import { ComposeError } from './errors';
import type { MessageIdSource } from './types';

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An id as dot-atom text: kept when already safe, otherwise base64url of its UTF-8. */
function idPart(id: string): string {
	return SAFE_ID.test(id) ? id : Buffer.from(id, 'utf8').toString('base64url').slice(0, 64);
}

const DOMAIN =
	/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The Message-ID domain: the given one or the From address's domain, in ASCII (punycode). */
export function messageIdDomain(fromAddress: string, override?: string | null): string {
	const raw = override ?? fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
	const ascii = domainToASCII(raw.trim().toLowerCase());
	if (!ascii || !DOMAIN.test(ascii)) {
		throw new ComposeError(
			'invalid-option',
			`'${raw.slice(0, 100)}' is not a domain name usable in a Message-ID`,
		);
	}
	return ascii;
}

/**
 * `<campaignId.subscriberId.unique@domain>`. The unique part is random unless `from` asks for a
 * repeatable id (see RenderContext.messageIdFrom): an HMAC of (campaign, subscriber) for
 * 'recipient', of (campaign, subscriber, key) for an idempotency key. The same inputs always give
 * the same Message-ID, so a resent message is recognisable; different messages never share one.
 */
export function buildMessageId(
	domain: string,
	campaignId: string | null,
	subscriberId: string | null,
	email: string,
	key: KeyObject | null,
	from: MessageIdSource | null = null,
): string {
	let unique: string;
	if (from !== null) {
		const recipient = subscriberId ?? `email:${email.toLowerCase()}`;
		// 'recipient' keeps the exact material of earlier versions: a campaign resumed after an
		// upgrade still re-sends under the ids it started with.
		const material =
			from === 'recipient'
				? `${campaignId ?? ''}\u0000${recipient}`
				: `${campaignId ?? ''}\u0000${recipient}\u0000key:${from.key}`;
		const digest = key
			? createHmac('sha256', key).update(material).digest()
			: createHash('sha256').update(material).digest();
		unique = digest.subarray(0, 15).toString('base64url');
	} else {
		unique = randomBytes(15).toString('base64url');
	}
	let local = unique;
	if (subscriberId !== null) local = `${idPart(subscriberId)}.${local}`;
	if (campaignId !== null) local = `${idPart(campaignId)}.${local}`;
	return `<${local}@${domain}>`;
}
