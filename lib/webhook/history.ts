/**
 * From a normalised event to the campaign event history's input (lib/store recordHistoryIn):
 * the kind mapping and the evidence classifyHit reads. Provider flags come from the provider's
 * own record (`raw`): SendGrid's `sg_machine_open`, `useragent` and `ip`; Mailgun's
 * `client-info` (client type, bot, user agent) and `ip`. They are passed on for the one call to
 * classifyHit and never stored.
 */
import type { NormalisedEvent } from '../events';
import type { HistoryEvent, HitEvidence } from '../store';

type Raw = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

export function hitEvidenceOf(event: NormalisedEvent): HitEvidence {
	const raw = (event.raw && typeof event.raw === 'object' ? event.raw : {}) as Raw;
	if (event.provider === 'sendgrid') {
		const flag = raw.sg_machine_open;
		return {
			userAgent: text(raw.useragent),
			ip: text(raw.ip),
			sendgridMachineOpen: typeof flag === 'boolean' ? flag : null,
		};
	}
	if (event.provider === 'mailgun') {
		const info = (raw['client-info'] && typeof raw['client-info'] === 'object' ? raw['client-info'] : {}) as Raw;
		const hasInfo = Object.keys(info).length > 0;
		return {
			userAgent: text(info['user-agent']),
			ip: text(raw.ip),
			mailgunClient: hasInfo ? { clientType: text(info['client-type']), bot: text(info.bot) } : null,
		};
	}
	return { userAgent: text(raw.user_agent ?? raw.userAgent), ip: text(raw.ip) };
}

const HISTORY_TYPES: Partial<Record<NormalisedEvent['kind'], HistoryEvent['type']>> = {
	hard: 'bounce',
	soft: 'bounce',
	sender: 'bounce',
	complaint: 'complaint',
	unsubscribe: 'unsubscribe',
	delivered: 'delivered',
	open: 'open',
	click: 'click',
};

/** The history entry of a provider event of a campaign recipient (null for kinds it does not keep: deferrals). */
export function historyEventOf(
	event: NormalisedEvent,
	campaignId: string,
	subscriberId: string,
	occurredAt: string,
): HistoryEvent | null {
	const type = HISTORY_TYPES[event.kind];
	if (!type) return null;
	const entry: HistoryEvent = { campaignId, subscriberId, type, occurredAt, email: event.recipient || null };
	if (type === 'open' || type === 'click') entry.evidence = hitEvidenceOf(event);
	if (type === 'click') entry.url = event.url ?? null;
	if (type === 'bounce') {
		entry.bounceKind = event.kind as 'hard' | 'soft' | 'sender';
		entry.reason = event.reason ?? null;
		entry.smtpStatus = event.smtpStatus;
	}
	return entry;
}
