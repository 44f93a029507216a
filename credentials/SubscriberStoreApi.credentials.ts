import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

const showForSqlite = { show: { backend: ['sqlite'] } };
const showForPostgres = { show: { backend: ['postgres'] } };

export class SubscriberStoreApi implements ICredentialType {
	name = 'bulkMailSubscriberStoreApi';

	displayName = 'Bulk Mail Subscriber Store API';

	icon: Icon = { light: 'file:../icons/store.svg', dark: 'file:../icons/store.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-bulk-mail/n8n-nodes-bulk-mail#subscriber-store-credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Backend',
			name: 'backend',
			type: 'options',
			options: [
				{
					name: 'SQLite (Embedded)',
					value: 'sqlite',
					description: 'A file in the bulk-mail folder beside n8n’s data; for one n8n machine',
				},
				{
					name: 'PostgreSQL',
					value: 'postgres',
					description: 'For n8n in queue mode on several machines',
				},
			],
			default: 'sqlite',
		},
		{
			displayName: 'Store File',
			name: 'file',
			type: 'string',
			default: 'bulk-mail.sqlite',
			placeholder: 'e.g. newsletter.sqlite',
			description:
				'File name inside the store folder (~/.n8n/bulk-mail by default). Paths that leave the folder are refused.',
			displayOptions: showForSqlite,
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			displayOptions: showForPostgres,
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 5432,
			displayOptions: showForPostgres,
		},
		{
			displayName: 'Database',
			name: 'database',
			type: 'string',
			default: 'postgres',
			displayOptions: showForPostgres,
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: 'postgres',
			displayOptions: showForPostgres,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: showForPostgres,
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'options',
			options: [
				{ name: 'Disable', value: 'disable' },
				{ name: 'Require (Verify Certificate)', value: 'require' },
				{ name: 'Require (Allow Self-Signed)', value: 'allow-self-signed' },
			],
			default: 'disable',
			displayOptions: showForPostgres,
		},
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'bulk_mail',
			description:
				'Each store keeps its tables in its own schema; credentials with different schemas never see each other’s data',
			displayOptions: showForPostgres,
		},
		{
			displayName: 'Public Base URL',
			name: 'publicBaseUrl',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://n8n.example.com/webhook/bulk-mail',
			description:
				'The production URL of your Bounce Webhook trigger (without the last path part). Unsubscribe, open, click and confirm links point below it; it must be https.',
		},
		{
			displayName: 'Link Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'At least 16 characters. Signs every unsubscribe, confirm, open and click link; changing it invalidates links already sent.',
		},
	];
}
