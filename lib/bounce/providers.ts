/**
 * Receiving providers: the domains one mail operator receives for, so sender-side refusals are
 * counted per provider (outlook.com, hotmail.com and live.com are one Microsoft, one reputation).
 * A domain not listed is its own provider. Domains hosted by a provider under their own name
 * (Google Workspace, Microsoft 365) would need an MX lookup and count as themselves here.
 */
export interface ReceivingProvider {
	/** Stable key for storage (`microsoft`, `google`, or the domain itself). */
	id: string;
	/** For people: `Microsoft`, `Google`, or the domain. */
	name: string;
	/** The domains it receives for that we know of (just the domain for an unlisted one). */
	domains: readonly string[];
}

const KNOWN: readonly ReceivingProvider[] = [
	{
		id: 'microsoft',
		name: 'Microsoft',
		domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'outlook.jp', 'hotmail.co.jp', 'live.jp', 'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'hotmail.it', 'hotmail.es', 'live.co.uk', 'live.fr', 'outlook.fr', 'outlook.de', 'windowslive.com', 'passport.com'],
	},
	{ id: 'google', name: 'Google', domains: ['gmail.com', 'googlemail.com'] },
	{
		id: 'yahoo',
		name: 'Yahoo',
		domains: ['yahoo.com', 'ymail.com', 'rocketmail.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.co.in', 'aol.com', 'aim.com'],
	},
	// Yahoo! JAPAN is run apart from Yahoo (LY Corporation), with its own filters.
	{ id: 'yahoo-japan', name: 'Yahoo! JAPAN', domains: ['yahoo.co.jp', 'ybb.ne.jp'] },
	{ id: 'apple', name: 'Apple iCloud', domains: ['icloud.com', 'me.com', 'mac.com'] },
	{ id: 'docomo', name: 'NTT docomo', domains: ['docomo.ne.jp', 'mopera.net'] },
	{ id: 'au', name: 'au (KDDI)', domains: ['au.com', 'ezweb.ne.jp', 'biz.ezweb.ne.jp'] },
	{
		id: 'softbank',
		name: 'SoftBank',
		domains: ['softbank.ne.jp', 'i.softbank.jp', 'disney.ne.jp', 'ymobile.ne.jp', 'y-mobile.ne.jp'],
	},
	{ id: 'rakuten-mobile', name: 'Rakuten Mobile', domains: ['rakumail.jp'] },
	{ id: 'gmx', name: 'GMX / WEB.DE (1&1)', domains: ['gmx.de', 'gmx.net', 'gmx.com', 'web.de'] },
	{ id: 'mailru', name: 'Mail.ru', domains: ['mail.ru', 'inbox.ru', 'list.ru', 'bk.ru'] },
	{ id: 'yandex', name: 'Yandex', domains: ['yandex.ru', 'yandex.com', 'ya.ru'] },
	{ id: 'proton', name: 'Proton Mail', domains: ['proton.me', 'protonmail.com', 'pm.me'] },
	{ id: 'zoho', name: 'Zoho Mail', domains: ['zohomail.com', 'zoho.com'] },
	{ id: 'orange', name: 'Orange', domains: ['orange.fr', 'wanadoo.fr'] },
	{ id: 'comcast', name: 'Comcast', domains: ['comcast.net'] },
];

const BY_DOMAIN = new Map<string, ReceivingProvider>();
for (const provider of KNOWN) for (const domain of provider.domains) BY_DOMAIN.set(domain, provider);
const BY_ID = new Map(KNOWN.map((provider) => [provider.id, provider]));

/** The domain of an address, lower-cased (empty when there is none). */
export function domainOfAddress(address: string): string {
	const at = address.lastIndexOf('@');
	return at < 0 ? '' : address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
}

/** The provider that receives mail for this address or domain. */
export function receivingProvider(addressOrDomain: string): ReceivingProvider {
	const domain = addressOrDomain.includes('@') ? domainOfAddress(addressOrDomain) : addressOrDomain.trim().toLowerCase();
	// docomo, au and SoftBank also hand out sub-domains of their carrier domains
	const known = BY_DOMAIN.get(domain) ?? BY_DOMAIN.get(domain.slice(domain.indexOf('.') + 1));
	return known ?? { id: domain || 'unknown', name: domain || 'unknown', domains: domain ? [domain] : [] };
}

/** A provider by its id (a stored pause names it so). */
export function providerById(id: string): ReceivingProvider {
	return BY_ID.get(id) ?? { id, name: id, domains: [id] };
}

/** `Microsoft (outlook.com, hotmail.com, live.com, …)` — the name and its first domains. */
export function describeProvider(provider: ReceivingProvider): string {
	if (provider.domains.length === 1 && provider.domains[0] === provider.name) return provider.name;
	const shown = provider.domains.slice(0, 3).join(', ');
	return `${provider.name} (${shown}${provider.domains.length > 3 ? ', …' : ''})`;
}
