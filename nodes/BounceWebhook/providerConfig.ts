import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { CommonVerifyOptions, WebhookProvider } from '../../lib/events';
import type { EventsConfig } from '../../lib/webhook';

function text(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

function optional(value: unknown): string | undefined {
	return text(value) || undefined;
}

/** Topic ARNs from a comma- or line-separated field. */
export function splitList(value: unknown): string[] {
	return text(value)
		.split(/[\s,]+/)
		.map((entry) => entry.trim())
		.filter(Boolean);
}

/**
 * The verifier configuration of one provider from the Bounce Webhook API credential. Missing
 * secrets are left for the verifier to refuse with a configuration error naming the field.
 */
export function providerConfig(
	provider: WebhookProvider,
	secrets: ICredentialDataDecryptedObject,
	common: CommonVerifyOptions,
): EventsConfig<WebhookProvider> {
	switch (provider) {
		case 'ses':
			return { ...common, allowedTopicArns: splitList(secrets.sesTopicArns) };
		case 'sendgrid':
			return { ...common, publicKey: text(secrets.sendgridPublicKey) };
		case 'mailgun':
			return { ...common, signingKey: text(secrets.mailgunSigningKey) };
		case 'postmark':
			return { ...common, username: text(secrets.basicAuthUser), password: String(secrets.basicAuthPassword ?? '') };
		case 'brevo':
			return {
				...common,
				bearerToken: optional(secrets.bearerToken),
				username: optional(secrets.basicAuthUser),
				password: secrets.basicAuthPassword ? String(secrets.basicAuthPassword) : undefined,
			};
		case 'dsn':
			return { ...common, secret: optional(secrets.genericSecret), bearerToken: optional(secrets.bearerToken) };
		case 'generic':
		default:
			return { ...common, secret: String(secrets.genericSecret ?? '') };
	}
}
