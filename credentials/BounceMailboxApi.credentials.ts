import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * The IMAP mailbox bounces are delivered to (the bounce address or the VERP bounce domain's
 * mailbox). TLS always: on connect (IMAPS) by default, or STARTTLS required; never plain.
 */
export class BounceMailboxApi implements ICredentialType {
	name = 'bulkMailBounceMailboxApi';

	displayName = 'Bulk Mail Bounce Mailbox (IMAP) API';

	icon: Icon = { light: 'file:../icons/mailbox.svg', dark: 'file:../icons/mailbox.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-bulk-mail/n8n-nodes-bulk-mail#bounce-mailbox-trigger';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. imap.example.com',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: [
				{
					name: 'TLS on Connect (IMAPS, Usually Port 993)',
					value: 'tls',
					description: 'The connection is encrypted from the first byte',
				},
				{
					name: 'STARTTLS Required (Usually Port 143)',
					value: 'starttls',
					description: 'Connect, then upgrade with STARTTLS; fails if the server does not offer it',
				},
			],
			default: 'tls',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 993,
			description: 'Usually 993 for TLS on connect, 143 for STARTTLS',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. bounces@bounce.example.com',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Minimum TLS Version',
			name: 'minTlsVersion',
			type: 'options',
			options: [
				{ name: 'TLS 1.2', value: 'TLSv1.2' },
				{ name: 'TLS 1.3', value: 'TLSv1.3' },
			],
			default: 'TLSv1.2',
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept a server certificate that does not verify (self-signed or unknown authority). The connection stays encrypted but the server is not authenticated.',
		},
	];
}
