import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

const showForPlain = { show: { security: ['none'] } };
const showForTls = { show: { security: ['tls', 'starttls'] } };
const showForDkim = { show: { dkim: [true] } };

/**
 * The SMTP server Bulk Send delivers through. Pool and rate settings live on the Bulk Send node
 * (they differ per workflow); this holds only how to reach and log in to the server.
 */
export class SmtpApi implements ICredentialType {
	name = 'bulkMailSmtpApi';

	displayName = 'Bulk Mail SMTP API';

	icon: Icon = { light: 'file:../icons/smtp.svg', dark: 'file:../icons/smtp.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-bulk-mail/n8n-nodes-bulk-mail#smtp-credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. smtp.example.com',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			options: [
				{
					name: 'TLS on Connect (SMTPS, Usually Port 465)',
					value: 'tls',
					description: 'The connection is encrypted from the first byte',
				},
				{
					name: 'STARTTLS Required (Usually Port 587)',
					value: 'starttls',
					description: 'Connect, then upgrade with STARTTLS; fails if the server does not offer it',
				},
				{
					name: 'None (Plain, Unencrypted)',
					value: 'none',
					description: 'Only for a relay on this machine or a trusted private network',
				},
			],
			default: 'starttls',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 587,
			description: 'Usually 465 for TLS on connect, 587 for STARTTLS',
		},
		{
			displayName:
				'Without TLS, messages and the password travel unencrypted. Use this only for a relay on this machine or a trusted private network.',
			name: 'plainNotice',
			type: 'notice',
			default: '',
			displayOptions: showForPlain,
		},
		{
			displayName: 'Allow Unencrypted Connection',
			name: 'allowPlain',
			type: 'boolean',
			default: false,
			description:
				'Whether you accept sending without TLS. Bulk Send refuses a plain connection unless this is on.',
			displayOptions: showForPlain,
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
			displayOptions: showForTls,
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Leave empty for a server that needs no login',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'EHLO Host Name',
			name: 'ehloName',
			type: 'string',
			default: '',
			placeholder: 'e.g. mailer.example.com',
			description:
				'The name this machine gives in EHLO; some servers check it. The machine’s host name when empty.',
		},
		{
			displayName: 'Allow Self-Signed Certificates',
			name: 'allowSelfSigned',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept a server certificate that does not verify (self-signed or unknown authority). The connection stays encrypted but the server is not authenticated.',
			displayOptions: showForTls,
		},
		{
			displayName: 'Sign With DKIM',
			name: 'dkim',
			type: 'boolean',
			default: false,
			description:
				'Whether to sign every message with DKIM here (when the server does not sign). The signature covers List-Unsubscribe and List-Unsubscribe-Post.',
		},
		{
			displayName: 'DKIM Domain',
			name: 'dkimDomain',
			type: 'string',
			default: '',
			placeholder: 'e.g. example.com',
			displayOptions: showForDkim,
		},
		{
			displayName: 'DKIM Selector',
			name: 'dkimSelector',
			type: 'string',
			default: '',
			placeholder: 'e.g. mail2026',
			description: 'The selector whose public key is published at <selector>._domainkey.<domain>',
			displayOptions: showForDkim,
		},
		{
			displayName: 'DKIM Private Key',
			name: 'dkimPrivateKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			placeholder: '-----BEGIN PRIVATE KEY-----',
			description: 'The RSA private key in PEM form',
			displayOptions: showForDkim,
		},
	];
}
