import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * The Redis that Bulk Send's rate limiter shares its budget through (Bottleneck clustering),
 * so several n8n workers in queue mode together keep one send rate.
 */
export class RedisLimiterApi implements ICredentialType {
	name = 'bulkMailRedisApi';

	displayName = 'Bulk Mail Redis Rate Limit API';

	icon: Icon = { light: 'file:../icons/redis.svg', dark: 'file:../icons/redis.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-bulk-mail/n8n-nodes-bulk-mail#redis-rate-limit-credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 6379,
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Redis ACL user name; leave empty for the default user',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Database Number',
			name: 'db',
			type: 'number',
			default: 0,
		},
		{
			displayName: 'TLS',
			name: 'tls',
			type: 'boolean',
			default: false,
			description: 'Whether to connect to Redis over TLS',
		},
	];
}
