/**
 * The message template fields (Compose Message's Compose and Preview, Bulk Send's Create
 * Campaign) and the template options; nodes/shared/template.ts reads them.
 */
import type { INodeProperties } from 'n8n-workflow';

const LIQUID_HINT =
	'Merge fields are Liquid, e.g. {{ name }}, {{ fields.city }}, {{ item.orderId }}, {{ unsubscribe_url }}. Keep the field in Fixed mode: n8n expressions use the same braces.';

/** The message templates. */
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

/** The template options; Compose Message calls the collection 'options'. */
export const templateOptionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		{
			displayName: 'Add Scanner Trap Link',
			name: 'trapLink',
			type: 'boolean',
			default: false,
			description:
				'Whether to add a hidden link no reader can see or click: link scanners that fetch every URL fetch it too, so the campaign report counts their clicks as a machine’s',
			displayOptions: { show: { '/operation': ['compose'], trackClicks: [true] } },
		},
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
