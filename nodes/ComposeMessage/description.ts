import type { INodeProperties } from 'n8n-workflow';

const forCompose = { show: { operation: ['compose'] } };
const forPreview = { show: { operation: ['preview'] } };

const LIQUID_HINT =
	'Merge fields are Liquid, e.g. {{ name }}, {{ fields.city }}, {{ item.orderId }}, {{ unsubscribe_url }}. Keep the field in Fixed mode: n8n expressions use the same braces.';

export const operationProperty: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Compose',
			value: 'compose',
			action: 'Compose a message for each item',
			description: 'Render one personalised message per input item, ready for Bulk Send',
		},
		{
			name: 'Preview',
			value: 'preview',
			action: 'Preview a message',
			description: 'Render the message for one subscriber or sample data, with the HTML as a file',
		},
	],
	default: 'compose',
};

/** Who receives the message of each item: Subscriber List items fit the defaults. */
export const recipientProperties: INodeProperties[] = [
	{
		displayName: 'Recipient E-Mail',
		name: 'recipientEmail',
		type: 'string',
		required: true,
		default: '={{ $json.email }}',
		placeholder: 'e.g. nathan@example.com',
		description: 'The address of this item’s recipient. Subscriber List items carry it in email.',
		displayOptions: forCompose,
	},
	{
		displayName: 'Recipient Name',
		name: 'recipientName',
		type: 'string',
		default: '={{ $json.name }}',
		placeholder: 'e.g. Nathan Smith',
		description: 'Display name in the To header and the {{ name }} merge field',
		displayOptions: forCompose,
	},
	{
		displayName: 'Subscriber ID',
		name: 'subscriberId',
		type: 'string',
		default: '={{ $json.id }}',
		description:
			'The subscriber’s ID in the store (Subscriber List items carry it in ID). Unsubscribe and tracking links are signed for it; leave empty only when the credential has no public base URL.',
		displayOptions: forCompose,
	},
	{
		displayName: 'Custom Fields',
		name: 'customFields',
		type: 'json',
		default: '={{ $json.fields }}',
		description:
			'The recipient’s custom fields as a JSON object, available as {{ fields.city }} or {{ city }}',
		displayOptions: forCompose,
	},
];

/** The message templates, shared by both operations. */
export const templateProperties: INodeProperties[] = [
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. {{ name }}, your May newsletter',
		description: LIQUID_HINT,
	},
	{
		displayName: 'HTML',
		name: 'html',
		type: 'string',
		typeOptions: { rows: 10 },
		default: '',
		placeholder: 'e.g. <p>Hello {{ name | default: "reader" }}</p>',
		description:
			'The HTML body; merge values are HTML-escaped. Merge fields are Liquid, e.g. {{ name }}, {{ fields.city }}, {{ unsubscribe_url }}. Keep the field in Fixed mode: n8n expressions use the same braces.',
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		placeholder: 'e.g. Hello {{ name }}',
		description: 'The plain-text body. Leave empty to derive it from the HTML.',
	},
	{
		displayName: 'From Name',
		name: 'fromName',
		type: 'string',
		default: '',
		placeholder: 'e.g. ACME News',
		description: 'Display name of the sender; may contain merge fields',
	},
	{
		displayName: 'From E-Mail',
		name: 'fromEmail',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. news@example.com',
		description:
			'Sender address; its domain also names the Message-ID. Use a domain with SPF, DKIM and DMARC set up.',
	},
	{
		displayName: 'Reply-To',
		name: 'replyTo',
		type: 'string',
		default: '',
		placeholder: 'e.g. Support <support@example.com>',
		description: 'An address, or a name and address, for replies',
	},
];

export const composeProperties: INodeProperties[] = [
	{
		displayName: 'Campaign ID',
		name: 'campaignId',
		type: 'string',
		default: '',
		placeholder: 'e.g. 2026-05-newsletter',
		description:
			'Ties bounces, unsubscribes, opens and clicks to this campaign. Each message still gets its own Message-ID (set an Idempotency Key under Options to make it repeatable).',
		displayOptions: forCompose,
	},
	{
		displayName: 'Proof',
		name: 'proof',
		type: 'boolean',
		default: false,
		description:
			'Whether to render test messages: a subject prefix, no tracking, no campaign ID and unsubscribe links that change nothing',
		displayOptions: forCompose,
	},
	{
		displayName: 'Proof Subject Prefix',
		name: 'proofSubjectPrefix',
		type: 'string',
		default: '[TEST] ',
		displayOptions: { show: { operation: ['compose'], proof: [true] } },
	},
];

export const previewProperties: INodeProperties[] = [
	{
		displayName: 'Preview For',
		name: 'previewFor',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Sample Data',
				value: 'sample',
				description: 'A made-up recipient with the values below',
			},
			{
				name: 'Subscriber by E-Mail',
				value: 'subscriberEmail',
				description: 'A subscriber of a list in the store',
			},
			{
				name: 'Subscriber by ID',
				value: 'subscriberId',
				description: 'A subscriber in the store',
			},
		],
		default: 'sample',
		displayOptions: forPreview,
	},
	{
		displayName: 'Subscriber ID',
		name: 'previewSubscriberId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 42',
		displayOptions: { show: { operation: ['preview'], previewFor: ['subscriberId'] } },
	},
	{
		displayName: 'List Name or ID',
		name: 'previewList',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. Newsletter',
		description: 'The list the subscriber belongs to, by its name or its numeric ID',
		displayOptions: { show: { operation: ['preview'], previewFor: ['subscriberEmail'] } },
	},
	{
		displayName: 'Subscriber E-Mail',
		name: 'previewEmail',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. nathan@example.com',
		displayOptions: { show: { operation: ['preview'], previewFor: ['subscriberEmail'] } },
	},
	{
		displayName: 'Sample E-Mail',
		name: 'sampleEmail',
		type: 'string',
		default: 'subscriber@example.com',
		placeholder: 'e.g. nathan@example.com',
		displayOptions: { show: { operation: ['preview'], previewFor: ['sample'] } },
	},
	{
		displayName: 'Sample Name',
		name: 'sampleName',
		type: 'string',
		default: 'Sample Subscriber',
		placeholder: 'e.g. Nathan Smith',
		displayOptions: { show: { operation: ['preview'], previewFor: ['sample'] } },
	},
	{
		displayName: 'Sample Custom Fields',
		name: 'sampleFields',
		type: 'json',
		default: '{}',
		description: 'Custom fields of the sample recipient, e.g. {"city": "Osaka"}',
		displayOptions: { show: { operation: ['preview'], previewFor: ['sample'] } },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		required: true,
		default: 'data',
		hint: 'The name of the output binary field that holds preview.html',
		displayOptions: forPreview,
	},
];

export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		{
			displayName: 'Allow Insecure HTTP Links',
			name: 'allowInsecureHttp',
			type: 'boolean',
			default: false,
			description:
				'Whether to accept a plain http public base URL for unsubscribe and tracking links (local testing only; every message then carries a warning)',
		},
		{
			displayName: 'Attachments',
			name: 'attachments',
			type: 'string',
			default: '',
			placeholder: 'e.g. invoice, logo',
			description:
				'Names of the input item’s binary fields to attach, separated by commas. A file the HTML shows as &lt;img src="cid:logo"&gt; (its field name after cid:) is sent as an inline image.',
			displayOptions: { show: { '/operation': ['compose'] } },
		},
		{
			displayName: 'Default Values',
			name: 'defaults',
			type: 'json',
			default: '{}',
			description:
				'Values for merge fields that are missing or empty, e.g. {"name": "reader", "city": "Tokyo", "item.orderId": "-"}',
		},
		{
			displayName: 'Encoding',
			name: 'encoding',
			type: 'options',
			options: [
				{ name: 'UTF-8', value: 'utf-8' },
				{
					name: 'ISO-2022-JP',
					value: 'iso-2022-jp',
					description:
						'Subject and text part in ISO-2022-JP for legacy Japanese mobile clients, when every character fits',
				},
			],
			default: 'utf-8',
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			placeholder: 'e.g. {{ $json.orderId }}',
			description:
				'What makes this message distinct (an order number, an event ID). The same key for the same recipient and campaign gives the same Message-ID, so a repeated send is recognisable as the same message; empty: every message gets a fresh Message-ID.',
		},
		{
			displayName: 'Inline CSS',
			name: 'inlineCss',
			type: 'boolean',
			default: false,
			description:
				'Whether to move the CSS of &lt;style&gt; blocks into style attributes, which many mail clients need',
		},
		{
			displayName: 'List-Unsubscribe Mailto',
			name: 'unsubscribeMailto',
			type: 'string',
			default: '',
			placeholder: 'e.g. unsubscribe@example.com',
			description:
				'An address that also goes into the List-Unsubscribe header, beside the one-click https link',
		},
		{
			displayName: 'Message-ID Domain',
			name: 'messageIdDomain',
			type: 'string',
			default: '',
			placeholder: 'e.g. mail.example.com',
			description: 'Domain of the generated Message-IDs; the From address’s domain when empty',
		},
		{
			displayName: 'Strict Merge Fields',
			name: 'strict',
			type: 'boolean',
			default: false,
			description:
				'Whether a merge field the recipient does not have fails the item instead of rendering empty',
		},
		{
			displayName: 'Track Clicks',
			name: 'trackClicks',
			type: 'boolean',
			default: false,
			description:
				'Whether to send the HTML links through signed click-tracking links (each can only lead to the link of the template)',
			displayOptions: { show: { '/operation': ['compose'] } },
		},
		{
			displayName: 'Track Links in Text Part',
			name: 'trackTextLinks',
			type: 'boolean',
			default: false,
			description: 'Whether click tracking also rewrites the links of the text part',
			displayOptions: { show: { '/operation': ['compose'], trackClicks: [true] } },
		},
		{
			displayName: 'Track Opens',
			name: 'trackOpens',
			type: 'boolean',
			default: false,
			description: 'Whether to add a signed open-tracking pixel to the HTML',
			displayOptions: { show: { '/operation': ['compose'] } },
		},
	],
};
