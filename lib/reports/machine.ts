/**
 * The machine-open/click rule: is a tracked hit a person, a machine, or impossible to tell? Pure:
 * it sees one hit's evidence and returns the class and the signal that decided it. Only that
 * result is meant to be stored; the IP address and user agent it reads are personal data and are
 * dropped after the call.
 *
 * Order matters and is the rule itself (first match wins):
 *  1. trap-link        — the hidden link no person can see was followed: machine.
 *  2. all-links        — every link of the message hit within seconds: a link scanner.
 *  3. apple-proxy      — an open fetched through Apple Mail Privacy Protection: unknown (Apple
 *                        fetches for readers and non-readers alike; never counted as machine).
 *  4. provider-machine — the sending service flags the hit as automated (SendGrid
 *                        `sg_machine_open`, Mailgun client type `robot` or a named bot).
 *  5. scanner-agent    — the user agent names a crawler, a security scanner or an HTTP library.
 *  6. fast-fetch       — within a few seconds of delivery: faster than anyone opens mail.
 *  7. provider-human   — the service names a browser or mail client.
 *  8. no-evidence      — neither a user agent, an address nor a provider verdict: unknown.
 *  9. default          — a normal client with no machine signal: human.
 */
import { isAppleProxyAddress, isAppleProxyUserAgent } from './appleProxy';

export type HitClass = 'human' | 'machine' | 'unknown';

export type HitSignal =
	| 'trap-link'
	| 'all-links'
	| 'apple-proxy'
	| 'provider-machine'
	| 'scanner-agent'
	| 'fast-fetch'
	| 'provider-human'
	| 'no-evidence'
	| 'default';

export interface HitVerdict {
	class: HitClass;
	signal: HitSignal;
}

/** What a Mailgun `opened`/`clicked` event's `client-info` says about the client. */
export interface MailgunClientInfo {
	/** `browser`, `mobile browser`, `email client`, `library`, `robot`, `unknown`. */
	clientType?: string | null;
	/** The bot Mailgun recognised (`apple`, `gmail`, …), empty when none. */
	bot?: string | null;
}

export interface TrackedHit {
	kind: 'open' | 'click';
	/** When the hit arrived (ISO 8601). Kept for the caller's bucketing; the rule uses the delay below. */
	time?: string;
	/** Milliseconds between the message's delivery (relay acceptance) and the hit, when known. */
	sinceDeliveryMs?: number | null;
	userAgent?: string | null;
	ip?: string | null;
	/** SendGrid's `sg_machine_open` on an open event, when the webhook sent it. */
	sendgridMachineOpen?: boolean | null;
	mailgunClient?: MailgunClientInfo | null;
	/** The hit is on the hidden trap link that the template carries and no person sees. */
	trapLink?: boolean;
	/** Every link of this message was hit within `ALL_LINKS_WINDOW_MS` of the first. */
	allLinksWithinSeconds?: boolean;
}

/** A hit this soon after delivery is a scanner or a prefetcher, not a reader. */
export const FAST_FETCH_MS = 5_000;
/** The window the caller uses to decide `allLinksWithinSeconds`. */
export const ALL_LINKS_WINDOW_MS = 10_000;

/**
 * Automated fetchers by user agent: crawlers (`Googlebot`, `Slackbot-…`; not the CUBOT phone
 * brand), mail security gateways that pre-check links, and HTTP libraries. Case-insensitive.
 */
const SCANNER_AGENT =
	/(?<!cu)bot\b|crawl|spider|slurp|curl\/|wget|python-|go-http-client|java\/|okhttp|libwww|httpclient|axios\/|node-fetch|headlesschrome|phantomjs|barracuda|proofpoint|mimecast|symantec|forcepoint|trendmicro|safelinks|urldefense|scanner/i;

/** Names Mailgun gives for clients that are people's software. */
const MAILGUN_HUMAN_TYPES = new Set(['browser', 'mobile browser', 'email client']);

function appleProxy(hit: TrackedHit): boolean {
	const bot = hit.mailgunClient?.bot?.trim().toLowerCase();
	return bot === 'apple' || isAppleProxyUserAgent(hit.userAgent) || isAppleProxyAddress(hit.ip);
}

function providerSaysMachine(hit: TrackedHit): boolean {
	if (hit.sendgridMachineOpen === true) return true;
	const info = hit.mailgunClient;
	if (!info) return false;
	const bot = info.bot?.trim().toLowerCase();
	// Gmail's image proxy fetches when the person opens the message: a named bot, but a reader.
	if (bot && bot !== 'gmail') return true;
	return info.clientType?.trim().toLowerCase() === 'robot';
}

function providerSaysHuman(hit: TrackedHit): boolean {
	if (hit.sendgridMachineOpen === false) return true;
	const type = hit.mailgunClient?.clientType?.trim().toLowerCase();
	return type !== undefined && MAILGUN_HUMAN_TYPES.has(type);
}

export function classifyHit(hit: TrackedHit): HitVerdict {
	if (hit.trapLink) return { class: 'machine', signal: 'trap-link' };
	if (hit.kind === 'click' && hit.allLinksWithinSeconds) return { class: 'machine', signal: 'all-links' };
	// Apple's relay also carries Safari's Private Relay traffic, where a click is a person: only opens.
	if (hit.kind === 'open' && appleProxy(hit)) return { class: 'unknown', signal: 'apple-proxy' };
	if (providerSaysMachine(hit)) return { class: 'machine', signal: 'provider-machine' };
	if (hit.userAgent && SCANNER_AGENT.test(hit.userAgent)) return { class: 'machine', signal: 'scanner-agent' };
	if (typeof hit.sinceDeliveryMs === 'number' && hit.sinceDeliveryMs >= 0 && hit.sinceDeliveryMs < FAST_FETCH_MS) {
		return { class: 'machine', signal: 'fast-fetch' };
	}
	if (providerSaysHuman(hit)) return { class: 'human', signal: 'provider-human' };
	if (!hit.userAgent?.trim() && !hit.ip?.trim()) return { class: 'unknown', signal: 'no-evidence' };
	return { class: 'human', signal: 'default' };
}
