import type { INodeProperties } from 'n8n-workflow';

export const DEFAULT_START_KINDS = ['hard', 'soft', 'complaint', 'unsubscribe'];

export const properties: INodeProperties[] = [
	{
		displayName:
			'Set the Subscriber Store credential’s Public Base URL to this node’s production URL without its last path part (it ends in /webhook/ and an ID): unsubscribe, open, click, confirm and preferences links point below it. Give your e-mail provider the /events URL.',
		name: 'setupNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Provider',
		name: 'provider',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Amazon SES (via SNS)',
				value: 'ses',
				description: 'SNS notifications (signature v1/v2, topic allow-list); subscriptions are confirmed automatically',
			},
			{ name: 'Brevo', value: 'brevo', description: 'Transactional webhooks with a bearer token or basic auth' },
			{
				name: 'Delivery Status Notification (RFC 3464)',
				value: 'dsn',
				description: 'Raw bounce messages posted by a mailbox poller, signed like the generic format or with a bearer token',
			},
			{
				name: 'Generic (HMAC-Signed JSON)',
				value: 'generic',
				description: 'Our own JSON format signed with HMAC-SHA256, for any other sender',
			},
			{ name: 'Mailgun', value: 'mailgun', description: 'Webhooks signed with the HTTP webhook signing key' },
			{ name: 'Postmark', value: 'postmark', description: 'Webhooks with basic auth in the URL' },
			{ name: 'SendGrid', value: 'sendgrid', description: 'Event Webhook with signature verification (ECDSA)' },
		],
		default: 'generic',
		description: 'Who posts delivery events to the /events URL; each request is verified before anything is recorded',
	},
	{
		displayName: 'Start Workflow For',
		name: 'startFor',
		type: 'multiOptions',
		options: [
			{ name: 'Click', value: 'click' },
			{ name: 'Complaint', value: 'complaint' },
			{ name: 'Confirm (Double Opt-In)', value: 'confirm' },
			{ name: 'Deferred', value: 'deferred' },
			{ name: 'Delivered', value: 'delivered' },
			{ name: 'Hard Bounce', value: 'hard' },
			{ name: 'Open', value: 'open' },
			{ name: 'Sender-Side Refusal (Our Mail Blocked)', value: 'sender' },
			{ name: 'Soft Bounce', value: 'soft' },
			{ name: 'Unsubscribe', value: 'unsubscribe' },
		],
		default: ['hard', 'soft', 'complaint', 'unsubscribe'],
		description:
			'Which events also start a workflow execution. Every verified event updates the store either way; duplicates, and events for addresses not in the store, never start one (see Options).',
	},
	{
		displayName: 'Options',
		name: 'triggerOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Complaint Rate Limit (%)',
				name: 'complaintRateLimit',
				type: 'number',
				typeOptions: { minValue: 0.01, maxValue: 50, numberPrecision: 2 },
				default: 0.3,
				description: 'A running campaign whose complaint rate reaches this is paused (Gmail wants well under 0.3%)',
			},
			{
				displayName: 'Complaint Rate Minimum Sample',
				name: 'complaintMinSample',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 1000,
				description: 'Delivered messages a campaign needs before its complaint rate is judged',
			},
			{
				displayName: 'Include Raw Payload',
				name: 'includeRaw',
				type: 'boolean',
				default: false,
				description: 'Whether to add the provider’s original record to each output item as raw',
			},
			{
				displayName: 'Max Body Size (KB)',
				name: 'maxBodyKb',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 16384 },
				default: 1024,
				description: 'Larger provider requests are refused with 413',
			},
			{
				displayName: 'Page Language',
				name: 'pageLanguage',
				type: 'options',
				options: [
					{ name: 'From the Browser (Accept-Language)', value: 'auto' },
					{ name: 'English', value: 'en' },
					{ name: 'Japanese', value: 'ja' },
				],
				default: 'auto',
				description: 'Language of the confirm, preference and campaign report pages; the browser’s choice falls back to English',
			},
			{
				displayName: 'Pause Campaigns on Complaints',
				name: 'pauseOnComplaints',
				type: 'boolean',
				default: true,
				description: 'Whether to pause a running campaign once its complaint rate reaches the limit',
			},
			{
				displayName: 'Start Workflow for Unknown Addresses',
				name: 'startForUnknownRecipients',
				type: 'boolean',
				default: false,
				description:
					'Whether events for addresses that are not in the store also start an execution (they are acknowledged either way and change nothing)',
			},
		],
	},
];
