import type { SendMailOptions } from 'nodemailer';

/** Who a message goes to: its first recipient and that recipient's domain (for domain limits). */

function firstAddress(value: unknown): string | null {
	if (!value) return null;
	if (Array.isArray(value)) {
		for (const entry of value) {
			const found = firstAddress(entry);
			if (found) return found;
		}
		return null;
	}
	if (typeof value === 'object' && typeof (value as { address?: unknown }).address === 'string') {
		return (value as { address: string }).address;
	}
	if (typeof value === 'string') {
		const angle = /<([^<>]+)>/.exec(value);
		const candidate = (angle ? angle[1] : value.split(',')[0]).trim();
		return candidate.includes('@') ? candidate : null;
	}
	return null;
}

/** The first recipient of a message (envelope first), or null when it has none. */
export function firstRecipient(message: SendMailOptions): string | null {
	const envelope = message.envelope as { to?: unknown } | undefined;
	return (
		firstAddress(envelope?.to) ??
		firstAddress(message.to) ??
		firstAddress(message.cc) ??
		firstAddress(message.bcc)
	);
}

export function recipientDomain(address: string | null): string | null {
	if (!address) return null;
	const at = address.lastIndexOf('@');
	return at >= 0
		? address
				.slice(at + 1)
				.trim()
				.toLowerCase() || null
		: null;
}
