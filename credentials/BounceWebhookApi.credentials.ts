import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * The secrets a Bounce Webhook trigger checks provider requests with. Fill in the ones of the
 * provider the trigger is set to; the others may stay empty.
 */
export class BounceWebhookApi implements ICredentialType {
	name = 'bulkMailBounceWebhookApi';

	displayName = 'Bulk Mail Bounce Webhook API';

	icon: Icon = { light: 'file:../icons/store.svg', dark: 'file:../icons/store.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-bulk-mail/n8n-nodes-bulk-mail#bounce-webhook-credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Generic Signing Secret',
			name: 'genericSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'For the Generic (HMAC) and DSN providers: the shared secret a sender signs the X-Bulk-Mail-Signature header with (t=<unix>,v1=<hex HMAC-SHA256 of "t.body">)',
		},
		{
			displayName: 'SendGrid Verification Key',
			name: 'sendgridPublicKey',
			type: 'string',
			default: '',
			description:
				'For SendGrid: the public (not secret) key shown under Settings → Mail Settings → Event Webhook → Signature Verification (base64, or PEM)',
		},
		// A shared HMAC key: whoever knows it can forge Mailgun events.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Mailgun Webhook Signing Key',
			name: 'mailgunSigningKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'For Mailgun: the HTTP webhook signing key from Sending → Webhooks',
		},
		{
			displayName: 'Basic Auth User',
			name: 'basicAuthUser',
			type: 'string',
			default: '',
			description:
				'For Postmark (required) and Brevo (optional): the user name you put in the webhook URL (https://user:password@…)',
		},
		{
			displayName: 'Basic Auth Password',
			name: 'basicAuthPassword',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'For Postmark and Brevo: the password you put in the webhook URL',
		},
		{
			displayName: 'Bearer Token',
			name: 'bearerToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'For Brevo (or a DSN poller): the token sent as "Authorization: Bearer …" with every webhook call',
		},
		{
			displayName: 'Allowed SNS Topic ARNs',
			name: 'sesTopicArns',
			type: 'string',
			default: '',
			placeholder: 'e.g. arn:aws:sns:eu-west-1:123456789012:ses-bounces',
			description:
				'For Amazon SES: the SNS topics this endpoint accepts, separated by commas or new lines. Messages from any other topic are refused.',
			typeOptions: { rows: 2 },
		},
	];
}
