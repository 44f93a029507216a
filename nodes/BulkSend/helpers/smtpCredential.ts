import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import {
	SmtpSettingsError,
	type SmtpSecurity,
	type SmtpSettings,
	type TlsVersion,
} from '../../../lib/send';

export const SMTP_CREDENTIAL = 'bulkMailSmtpApi';

export const PLAIN_NOT_ALLOWED =
	"The SMTP credential's security is 'None (Plain, Unencrypted)' but 'Allow Unencrypted Connection' is off. Turn it on to accept sending without TLS (only for a relay on this machine or a trusted network), or choose TLS on connect or STARTTLS.";

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value).trim();
}

/**
 * SmtpSettings from the credential's data. Throws SmtpSettingsError for a plain connection
 * without the explicit opt-in, and for a half-filled DKIM section.
 */
export function smtpSettingsFromCredential(
	data: ICredentialDataDecryptedObject,
	pool?: SmtpSettings['pool'],
): SmtpSettings {
	const security = (text(data.security) || 'starttls') as SmtpSecurity;
	if (security === 'none' && data.allowPlain !== true) {
		throw new SmtpSettingsError(PLAIN_NOT_ALLOWED);
	}
	const settings: SmtpSettings = {
		host: text(data.host),
		port: Number(data.port ?? (security === 'tls' ? 465 : 587)),
		security,
		minTlsVersion: (text(data.minTlsVersion) || 'TLSv1.2') as TlsVersion,
		allowSelfSigned: security !== 'none' && data.allowSelfSigned === true,
	};
	const user = text(data.user);
	if (user) {
		settings.user = user;
		// the password is kept as typed: spaces may belong to it
		settings.password = data.password === undefined || data.password === null ? '' : String(data.password);
	}
	const ehloName = text(data.ehloName);
	if (ehloName) settings.ehloName = ehloName;
	if (data.dkim === true) {
		settings.dkim = {
			domainName: text(data.dkimDomain),
			keySelector: text(data.dkimSelector),
			// a key pasted into a one-line field keeps its line breaks as "\n"
			privateKey: text(data.dkimPrivateKey).replace(/\\n/g, '\n'),
		};
	}
	if (pool && Object.values(pool).some((value) => value !== undefined)) settings.pool = pool;
	return settings;
}
