/**
 * Apple Mail Privacy Protection (MPP): Apple Mail fetches every remote image of a message through
 * Apple's relay when the message arrives, whether or not the person reads it. Such a fetch says
 * nothing about reading, so an open seen only through this proxy is `unknown`.
 *
 * Sources (checked 2026-12-06; the list is static so tests and classification run offline):
 * - Apple, "Prepare your network or web server for iCloud Private Relay"
 *   (https://developer.apple.com/support/prepare-your-network-for-icloud-private-relay/): Apple
 *   publishes the relay's egress addresses at https://mask-api.icloud.com/egress-ip-ranges.csv.
 *   MPP image loads go out through the same relay infrastructure (Word to the Wise, "Apple MPP
 *   reporting and geolocation", 2021, from Mailchimp's load data).
 * - Apple's own network is 17.0.0.0/8 (ARIN allocation to Apple Inc.).
 * The published CSV holds hundreds of thousands of small ranges; this file keeps the covering
 * blocks they fall in (the CSV's entries observed under 172.224.0.0/12 and 104.28.0.0/16), which
 * is coarser than the CSV but needs no update for each reshuffle. IPv6 egress is not listed yet:
 * an IPv6 fetch is recognised by the proxy's user agent alone.
 *
 * The proxy sends a bare `Mozilla/5.0` user agent with no platform or engine token; a real
 * browser or mail client always adds them.
 */

/** IPv4 blocks (CIDR) of Apple's relay egress, see the sources above. */
export const APPLE_PROXY_IPV4_RANGES: readonly string[] = ['17.0.0.0/8', '172.224.0.0/12', '104.28.0.0/16'];

/** The user agent Apple's MPP proxy sends, compared exactly after trimming. */
export const APPLE_PROXY_USER_AGENT = 'Mozilla/5.0';

interface Ipv4Block {
	base: number;
	mask: number;
}

function parseIpv4(text: string): number | null {
	const parts = text.split('.');
	if (parts.length !== 4) return null;
	let value = 0;
	for (const part of parts) {
		if (!/^\d{1,3}$/.test(part)) return null;
		const octet = Number(part);
		if (octet > 255) return null;
		value = value * 256 + octet;
	}
	return value;
}

function parseBlock(cidr: string): Ipv4Block {
	const [address, bitsText] = cidr.split('/');
	const base = parseIpv4(address);
	const bits = Number(bitsText);
	if (base === null || !Number.isInteger(bits) || bits < 0 || bits > 32) {
		throw new Error(`Bad IPv4 block in the Apple proxy list: ${cidr}`);
	}
	const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
	return { base: (base & mask) >>> 0, mask };
}

const BLOCKS = APPLE_PROXY_IPV4_RANGES.map(parseBlock);

/** Strips an IPv4-mapped IPv6 prefix (`::ffff:17.1.2.3`) as a Node server reports it. */
function ipv4Of(ip: string): number | null {
	const trimmed = ip.trim().toLowerCase();
	return parseIpv4(trimmed.startsWith('::ffff:') ? trimmed.slice(7) : trimmed);
}

export function isAppleProxyAddress(ip: string | null | undefined): boolean {
	if (!ip) return false;
	const value = ipv4Of(ip);
	if (value === null) return false;
	return BLOCKS.some((block) => ((value & block.mask) >>> 0) === block.base);
}

export function isAppleProxyUserAgent(userAgent: string | null | undefined): boolean {
	return userAgent?.trim() === APPLE_PROXY_USER_AGENT;
}
