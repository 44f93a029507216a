/**
 * The Compose Message node driven through execute() with the strict IExecuteFunctions mock:
 * item loop and pairedItem, compiling once, header safety, errors, continueOnFail, attachments,
 * proof, link settings, and Preview against a real SQLite store.
 */
import { NodeOperationError, type IDataObject, type INodeExecutionData } from 'n8n-workflow';

import * as compose from '../../lib/compose';
import { CORRELATION_HEADERS } from '../../lib/events/types';
import { LinkSigner } from '../../lib/store/linkTokens';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { ComposeMessage } from '../../nodes/ComposeMessage/ComposeMessage.node';
import { NO_BASE_URL_WARNING } from '../../nodes/shared/template';
import { composedMessageFromItem } from '../../nodes/shared/messageItem';
import {
	binaryItem,
	createExecuteMock,
	expectNodeError,
	perItem,
	runNode,
	type ExecuteMockOptions,
} from '../helpers/n8nMock';
import { storeFixture, type StoreFixture } from '../helpers/stores';
import { buildRawMessage, topLevelHeaders } from '../unit/compose/helpers';

jest.mock('../../lib/compose', () => {
	const actual = jest.requireActual('../../lib/compose');
	return { ...actual, compileTemplate: jest.fn(actual.compileTemplate) };
});
const compileTemplate = compose.compileTemplate as jest.MockedFunction<
	typeof compose.compileTemplate
>;

const SECRET = 'node-test-signing-secret-0123456789';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
const CREDENTIALS = {
	bulkMailSubscriberStoreApi: {
		backend: 'sqlite',
		file: 'unused.sqlite',
		publicBaseUrl: BASE_URL,
		signingSecret: SECRET,
	},
};

const TEMPLATE = {
	operation: 'compose',
	subject: 'Hello {{ name }}',
	html: '<p>Hi {{ name }} from {{ fields.city | default: "somewhere" }}.</p>\n<p><a href="https://example.com/offer">Offer</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
	fromName: 'ACME News',
	fromEmail: 'news@example.com',
};

/** Items as the Subscriber List node outputs them. */
function subscriberItems(): INodeExecutionData[] {
	return [
		{
			json: {
				id: '11',
				listId: '1',
				email: 'taro@example.com',
				name: 'Taro',
				fields: { city: 'Tokyo' },
				status: 'active',
			},
		},
		{
			json: {
				id: '12',
				listId: '1',
				email: 'hanako@example.com',
				name: 'Hanako <b>',
				fields: { city: 'Kyoto' },
				status: 'active',
			},
		},
		{
			json: {
				id: '13',
				listId: '1',
				email: 'ken@example.com',
				name: '',
				fields: {},
				status: 'active',
			},
		},
	];
}

function run(parameters: IDataObject, options: Partial<ExecuteMockOptions> = {}) {
	return runNode(new ComposeMessage(), {
		credentials: CREDENTIALS,
		items: subscriberItems(),
		...options,
		parameters: { ...TEMPLATE, ...parameters },
	});
}

function runError(parameters: IDataObject, options: Partial<ExecuteMockOptions> = {}) {
	return expectNodeError(run(parameters, options));
}

function unsubscribeToken(headers: IDataObject): string {
	const match = /^<https:\/\/n8n\.example\.com\/webhook\/bulk-mail\/unsubscribe\?t=([^>]+)>/.exec(
		String(headers['List-Unsubscribe']),
	);
	if (!match) throw new Error(`no unsubscribe URL in ${String(headers['List-Unsubscribe'])}`);
	return decodeURIComponent(match[1]);
}

beforeEach(() => compileTemplate.mockClear());

describe('Compose', () => {
	test('one message per Subscriber List item, paired with its input item', async () => {
		const { output, mock } = await run({ campaignId: 'may-2026' });
		expect(output).toHaveLength(1);
		const items = output[0];
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(items.map((item) => item.json.to)).toEqual([
			{ name: 'Taro', address: 'taro@example.com' },
			{ name: 'Hanako <b>', address: 'hanako@example.com' },
			{ name: '', address: 'ken@example.com' },
		]);
		const [taro, hanako, ken] = items.map((item) => item.json);
		expect(taro).toMatchObject({
			from: { name: 'ACME News', address: 'news@example.com' },
			subject: 'Hello Taro',
			campaignId: 'may-2026',
			subscriberId: '11',
			encoding: 'utf-8',
			proof: false,
			attachments: [],
		});
		expect(taro.warnings).toBeUndefined();
		expect(taro.html).toContain('<p>Hi Taro from Tokyo.</p>');
		// Merge values are escaped in the HTML part, not in the text part or the subject.
		expect(hanako.html).toContain('Hi Hanako &lt;b&gt; from Kyoto.');
		expect(hanako.text).toContain('Hi Hanako <b> from Kyoto.');
		expect(hanako.subject).toBe('Hello Hanako <b>');
		expect(ken.html).toContain('from somewhere.');
		expect(String(taro.text)).toMatch(/Offer \[?https:\/\/example\.com\/offer/);

		const headers = taro.headers as IDataObject;
		expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
		expect(headers[CORRELATION_HEADERS.campaignId]).toBe('may-2026');
		expect(headers[CORRELATION_HEADERS.subscriberId]).toBe('11');
		expect(taro.messageId).toMatch(/^<[^@<>]+@example\.com>$/);
		expect(new Set(items.map((item) => item.json.messageId)).size).toBe(3);
		// The unsubscribe link is signed for this subscriber and campaign.
		const verified = new LinkSigner(SECRET).verify('unsubscribe', unsubscribeToken(headers));
		expect(verified).toEqual({ ok: true, claims: { subscriberId: '11', campaignId: 'may-2026' } });
		expect(String(taro.html)).toContain(`${BASE_URL}/unsubscribe?t=`);

		expect(mock.credentialsRead).toEqual(['bulkMailSubscriberStoreApi']);
		expect(mock.hints).toEqual([]);
	});

	test('the templates are compiled once when the parameters do not change per item', async () => {
		await run({ campaignId: perItem((i) => `c-${i}`) });
		expect(compileTemplate).toHaveBeenCalledTimes(1);
	});

	test('a template that differs per item is compiled once per distinct value', async () => {
		const items = [...subscriberItems(), ...subscriberItems()];
		const { output } = await run(
			{ subject: perItem((i) => (i % 2 ? 'Odd {{ name }}' : 'Even {{ name }}')) },
			{ items },
		);
		expect(compileTemplate).toHaveBeenCalledTimes(2);
		expect(output[0].map((item) => item.json.subject)).toEqual([
			'Even Taro',
			'Odd Hanako <b>',
			'Even',
			'Odd Taro',
			'Even Hanako <b>',
			'Odd',
		]);
	});

	test('merge fields from the incoming item, default values and strict mode', async () => {
		const items = [
			{ json: { email: 'a@example.com', id: 'x1', order: { id: 'A-1' } } },
			{ json: { email: 'b@example.com', id: 'x2', order: {} } },
		];
		const { output } = await run(
			{
				subject: 'Order {{ item.order.id }} for {{ name }}',
				html: '',
				text: 'Hi {{ name }}, city {{ city }}',
				customFields: '={{ $json.fields }}',
				options: {
					defaults: '{"name": "reader", "item.order.id": "(none)", "city": "Nagoya"}',
					strict: true,
				},
			},
			{ items },
		);
		expect(output[0].map((item) => item.json.subject)).toEqual([
			'Order A-1 for reader',
			'Order (none) for reader',
		]);
		expect(output[0][0].json.text).toBe('Hi reader, city Nagoya');
		expect(output[0][0].json.html).toBe('');

		const error = await runError(
			{ subject: 's', html: '', text: 'Hi {{ fields.city }}', options: { strict: true } },
			{ items: subscriberItems() },
		);
		expect(error.message).toMatch(
			/^Item 3: The text body template uses the unknown merge field 'fields\.city' at line 1, column \d+/,
		);
		expect(error.context.itemIndex).toBe(2);
		expect(error.description).toMatch(/Default Values/);
	});

	test('a recipient name or item field cannot put headers into the message', async () => {
		const attacks = [
			'Sale\r\nBcc: victim@example.net',
			'Sale%0D%0ABcc: victim@example.net',
			'Sale\u2028Bcc: victim@example.net',
			'Sale=0D=0ABcc: victim@example.net',
			'Sale\u0085Bcc: victim@example.net',
		];
		const items = attacks.map((topic, i) => ({
			json: {
				id: `s${i}`,
				email: `r${i}@example.com`,
				name: `Eve\r\nBcc: victim@example.net`,
				topic,
			},
		}));
		const { output } = await run(
			{ subject: '{{ item.topic }} for {{ name }}', fromName: '{{ name }} via ACME' },
			{ items },
		);
		for (const [index, item] of output[0].entries()) {
			const json = item.json;
			expect(String(json.subject)).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
			expect(String(json.subject)).not.toMatch(/%0d|=0d/i);
			expect(
				Object.keys(json.headers as IDataObject).map((name) => name.toLowerCase()),
			).not.toContain('bcc');
			expect((json.to as IDataObject).name).not.toMatch(/[\r\n]/);
			expect((json.from as IDataObject).name).not.toMatch(/[\r\n]/);
			const mock = createExecuteMock(new ComposeMessage(), {
				parameters: TEMPLATE,
				items: output[0],
			});
			const raw = await buildRawMessage(await composedMessageFromItem(mock.context, index));
			const names = topLevelHeaders(raw).map((header) => header.name.toLowerCase());
			expect(names).not.toContain('bcc');
			expect(names.filter((name) => name === 'subject')).toHaveLength(1);
		}
	});

	test('a template syntax error names the item, the template, the line and the column', async () => {
		const error = await runError({
			html: '<p>Hello</p>\n<p>{% if fields.vip %}VIP</p>',
		});
		expect(error.message).toMatch(
			/^Item 1: Syntax error in the HTML body template at line 2, column 4: /,
		);
		expect(error.context.itemIndex).toBe(0);
		expect(error.description).toMatch(/'HTML' parameter, line 2, column 4/);
		expect(compileTemplate).toHaveBeenCalledTimes(1);
	});

	test('continueOnFail: bad items become {error} items, the others are composed', async () => {
		const items = subscriberItems();
		const broken = [items[0], { json: { id: '99', name: 'No Address' } }, items[2]];
		const { output } = await run({}, { items: broken, continueOnFail: true });
		const result = output[0];
		expect(result).toHaveLength(3);
		expect(result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result[0].json.subject).toBe('Hello Taro');
		expect(result[1].json).toEqual({
			error: expect.stringMatching(/^Item 2: The recipient e-mail is empty/),
		});
		expect(result[2].json.to).toEqual({ name: '', address: 'ken@example.com' });

		// A compile error fails every item, compiled once.
		const failed = await run({ subject: 'Hi {{ name' }, { continueOnFail: true });
		expect(failed.output[0].map((item) => item.json.error)).toEqual([
			expect.stringMatching(/^Item 1: Syntax error in the subject template at line 1, column 4/),
			expect.stringMatching(/^Item 2: Syntax error in the subject template/),
			expect.stringMatching(/^Item 3: Syntax error in the subject template/),
		]);
		expect(compileTemplate).toHaveBeenCalledTimes(2);
	});

	test('without continueOnFail the first bad item stops the node', async () => {
		const items = [subscriberItems()[0], { json: { id: '5', email: 'not-an-address' } }];
		const error = await runError({}, { items });
		expect(error.message).toMatch(/^Item 2: .*not-an-address.*not a valid e-mail address/);
		expect(error.context.itemIndex).toBe(1);
	});

	test('attachments and inline images come from the input item’s binary fields', async () => {
		const pdf = Buffer.from('%PDF-1.4 terms');
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
		const items = [
			binaryItem(
				{ id: '7', email: 'taro@example.com', name: 'Taro' },
				{
					terms: { content: pdf, fileName: 'terms.pdf', mimeType: 'application/pdf' },
					logo: { content: png, fileName: 'logo.png', mimeType: 'image/png' },
					unrelated: { content: 'x', fileName: 'x.txt' },
				},
			),
		];
		const { output } = await run(
			{
				html: '<p><img src="cid:logo" alt="ACME"> Hi {{ name }}</p>',
				options: { attachments: 'terms, logo ,terms' },
			},
			{ items },
		);
		const item = output[0][0];
		expect(item.json.attachments).toEqual([
			{ binaryProperty: 'terms', filename: 'terms.pdf', contentType: 'application/pdf' },
			{ binaryProperty: 'logo', filename: 'logo.png', contentType: 'image/png', cid: 'logo' },
		]);
		expect(Object.keys(item.binary ?? {})).toEqual(['terms', 'logo']);
		expect(item.binary?.logo).toEqual(items[0].binary?.logo);

		// Bulk Send's side: the item turns back into nodemailer options.
		const sender = createExecuteMock(new ComposeMessage(), {
			parameters: TEMPLATE,
			items: output[0],
		});
		const message = await composedMessageFromItem(sender.context, 0);
		expect(message.attachments?.map((a) => [a.filename, a.contentType, a.cid, a.content])).toEqual([
			['terms.pdf', 'application/pdf', undefined, pdf],
			['logo.png', 'image/png', 'logo', png],
		]);
		const options = compose.toSendMailOptions(message);
		expect(options.attachments).toEqual([
			{ filename: 'terms.pdf', content: pdf, contentType: 'application/pdf' },
			{
				filename: 'logo.png',
				content: png,
				contentType: 'image/png',
				cid: 'logo',
				contentDisposition: 'inline',
			},
		]);
		expect(options).toMatchObject({ disableFileAccess: true, disableUrlAccess: true });

		const missing = await runError({ options: { attachments: 'nope' } }, { items });
		expect(missing.message).toMatch(/^Item 1: The item has no binary field 'nope'/);
	});

	test('proof renders carry a subject prefix, no tracking and no campaign', async () => {
		const { output } = await run({
			campaignId: 'may-2026',
			proof: true,
			proofSubjectPrefix: '[PROOF] ',
			options: { trackClicks: true, trackOpens: true },
		});
		const json = output[0][0].json;
		expect(json).toMatchObject({
			subject: '[PROOF] Hello Taro',
			campaignId: null,
			subscriberId: null,
			proof: true,
		});
		const headers = json.headers as IDataObject;
		expect(headers['X-Bulk-Mail-Proof']).toBe('1');
		expect(headers[CORRELATION_HEADERS.campaignId]).toBeUndefined();
		expect(headers[CORRELATION_HEADERS.subscriberId]).toBeUndefined();
		expect(String(json.html)).toContain('href="https://example.com/offer"');
		expect(String(json.html)).not.toContain('/open?');
		const verified = new LinkSigner(SECRET).verify('unsubscribe', unsubscribeToken(headers));
		expect(verified).toEqual({ ok: true, claims: { subscriberId: '' } });

		const tracked = await run({
			campaignId: 'may-2026',
			options: { trackClicks: true, trackOpens: true },
		});
		const html = String(tracked.output[0][0].json.html);
		expect(html).toContain(`${BASE_URL}/click?t=`);
		expect(html).toContain(`${BASE_URL}/open?t=`);
	});

	test('plain http base URLs are refused unless allowed, and then every item warns', async () => {
		const httpCredentials = {
			bulkMailSubscriberStoreApi: {
				...CREDENTIALS.bulkMailSubscriberStoreApi,
				publicBaseUrl: 'http://localhost:5678/webhook/bulk-mail',
			},
		};
		const refused = await runError({}, { credentials: httpCredentials });
		expect(refused.message).toMatch(/^Item 1: .*https/);

		const { output, mock } = await run(
			{ options: { allowInsecureHttp: true } },
			{ credentials: httpCredentials },
		);
		for (const item of output[0]) {
			expect(item.json.warnings).toEqual([expect.stringMatching(/plain http/)]);
		}
		expect(String((output[0][0].json.headers as IDataObject)['List-Unsubscribe'])).toMatch(
			/^<http:\/\/localhost:5678\/webhook\/bulk-mail\/unsubscribe\?t=/,
		);
		expect(mock.hints).toEqual([
			{ message: expect.stringMatching(/plain http/), location: 'outputPane' },
		]);
	});

	test('without a public base URL: no List-Unsubscribe, a warning, recipients need no id', async () => {
		const items = [{ json: { email: 'someone@example.org', name: 'Someone' } }];
		const { output } = await run(
			{ html: '<p>Hi {{ name }}</p>' },
			{
				items,
				credentials: {
					bulkMailSubscriberStoreApi: { backend: 'sqlite', publicBaseUrl: '', signingSecret: '' },
				},
			},
		);
		const json = output[0][0].json;
		expect(json.headers).toEqual({});
		expect(json.subscriberId).toBeNull();
		expect(json.warnings).toEqual([NO_BASE_URL_WARNING]);

		// With a base URL, a recipient without a subscriber id cannot get signed links.
		const error = await runError({}, { items });
		expect(error.message).toMatch(
			/^Item 1: The recipient someone@example\.org has no subscriber id/,
		);
	});

	test('ISO-2022-JP encoding, mailto unsubscribe and Message-ID domain options', async () => {
		const items = [{ json: { id: '3', email: 'yamada@example.jp', name: '山田太郎' } }];
		const { output } = await run(
			{
				subject: '{{ name }}様、五月のお知らせ',
				options: {
					encoding: 'iso-2022-jp',
					unsubscribeMailto: 'unsubscribe@example.com',
					messageIdDomain: 'mail.example.com',
				},
			},
			{ items },
		);
		const json = output[0][0].json;
		expect(json.encoding).toBe('iso-2022-jp');
		expect(json.subject).toBe('山田太郎様、五月のお知らせ');
		expect(String((json.headers as IDataObject)['List-Unsubscribe'])).toMatch(
			/^<https:[^>]+>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%20[^>]+>$/,
		);
		expect(json.messageId).toMatch(/@mail\.example\.com>$/);
		const sender = createExecuteMock(new ComposeMessage(), {
			parameters: TEMPLATE,
			items: output[0],
		});
		const raw = await buildRawMessage(await composedMessageFromItem(sender.context, 0));
		expect(raw).toMatch(/charset=ISO-2022-JP/i);
		expect(raw).toMatch(/^Subject: =\?ISO-2022-JP\?B\?/im);
	});

	test('bad option values are reported with the parameter name', async () => {
		const error = await runError({ options: { defaults: '{name: reader}' } });
		expect(error.message).toBe(
			`Item 1: 'Default Values' is not valid JSON; enter an object such as {"city": "Osaka"}`,
		);
		const noFrom = await runError({ fromEmail: '' });
		expect(noFrom.message).toMatch(/^Item 1: The From e-mail is empty/);
	});

	test('composedMessageFromItem explains items that are not composed messages', async () => {
		const mock = createExecuteMock(new ComposeMessage(), {
			parameters: TEMPLATE,
			items: [{ json: { to: 'a@example.com', from: 'b@example.com' } }],
		});
		await expect(composedMessageFromItem(mock.context, 0)).rejects.toThrow(
			/Item 1 is not a composed message: 'subject' is missing/,
		);
	});
});

describe('Preview', () => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	let hanakoId: string;
	const previousDir = process.env.BULK_MAIL_STORE_DIR;
	const storeCredentials = () => ({
		bulkMailSubscriberStoreApi: {
			backend: 'sqlite',
			file: 'test.sqlite',
			publicBaseUrl: BASE_URL,
			signingSecret: SECRET,
		},
	});

	beforeAll(async () => {
		fixture = storeFixture('sqlite');
		process.env.BULK_MAIL_STORE_DIR = (fixture.config as { baseDir: string }).baseDir;
		store = await fixture.open();
		const actor = { type: 'test' };
		const list = await store.createList({ name: 'Newsletter' }, actor);
		const result = await store.upsertSubscriber(
			list.id,
			{ email: 'hanako@example.com', name: 'Hanako', fields: { city: 'Kyoto' } },
			{},
			actor,
		);
		hanakoId = result.subscriber?.id as string;
	});

	afterAll(async () => {
		await store.close();
		await fixture.cleanup();
		if (previousDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
		else process.env.BULK_MAIL_STORE_DIR = previousDir;
	});

	function preview(parameters: IDataObject, options: Partial<ExecuteMockOptions> = {}) {
		return runNode(new ComposeMessage(), {
			credentials: storeCredentials(),
			items: [{ json: { orderId: 'A-7' } }],
			...options,
			parameters: { ...TEMPLATE, operation: 'preview', ...parameters },
		});
	}

	test('by list and e-mail from the SQLite store, with the HTML as preview.html', async () => {
		const { output, mock } = await preview({
			previewFor: 'subscriberEmail',
			previewList: 'Newsletter',
			previewEmail: 'hanako@example.com',
			text: 'Order {{ item.orderId }} for {{ name }} in {{ fields.city }}',
		});
		const [item] = output[0];
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			subject: 'Hello Hanako',
			text: 'Order A-7 for Hanako in Kyoto',
			recipient: { email: 'hanako@example.com', name: 'Hanako', subscriberId: hanakoId },
			textMode: 'template',
		});
		expect(item.json.html).toContain('Hi Hanako from Kyoto.');
		const headers = item.json.headers as IDataObject;
		expect(headers).toMatchObject({
			From: 'ACME News <news@example.com>',
			To: 'Hanako <hanako@example.com>',
			Subject: 'Hello Hanako',
			'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
			'X-Bulk-Mail-Proof': '1',
		});
		// Preview links are inert: the token names no subscriber.
		expect(new LinkSigner(SECRET).verify('unsubscribe', unsubscribeToken(headers))).toEqual({
			ok: true,
			claims: { subscriberId: '' },
		});
		const file = item.binary?.data;
		expect(file).toMatchObject({ fileName: 'preview.html', mimeType: 'text/html' });
		expect(Buffer.from(String(file?.data), 'base64').toString('utf8')).toBe(item.json.html);
		expect(mock.preparedBinaries).toHaveLength(1);
	});

	test('by subscriber ID, into a chosen binary field', async () => {
		const { output } = await preview({
			previewFor: 'subscriberId',
			previewSubscriberId: hanakoId,
			binaryPropertyName: 'page',
		});
		expect(output[0][0].json.subject).toBe('Hello Hanako');
		expect(output[0][0].binary?.page?.fileName).toBe('preview.html');
	});

	test('sample data needs no store; a text-only message previews as a <pre> page', async () => {
		const { output } = await preview(
			{
				previewFor: 'sample',
				sampleName: 'Sam & Co',
				sampleFields: '{"city": "Sapporo"}',
				html: '',
				text: 'Hi {{ name }} in {{ city }}',
			},
			{
				credentials: {
					bulkMailSubscriberStoreApi: {
						backend: 'sqlite',
						file: '../outside.sqlite',
						publicBaseUrl: '',
						signingSecret: '',
					},
				},
			},
		);
		const item = output[0][0];
		expect(item.json).toMatchObject({
			subject: 'Hello Sam & Co',
			text: 'Hi Sam & Co in Sapporo',
			recipient: { email: 'subscriber@example.com', name: 'Sam & Co', subscriberId: 'preview' },
			warnings: [NO_BASE_URL_WARNING],
		});
		const page = Buffer.from(String(item.binary?.data?.data), 'base64').toString('utf8');
		expect(page).toContain('<pre style="white-space:pre-wrap">Hi Sam &#38; Co in Sapporo</pre>');
	});

	test('an unknown subscriber is reported per item; continueOnFail keeps going', async () => {
		const error = await preview({
			previewFor: 'subscriberEmail',
			previewList: 'Newsletter',
			previewEmail: 'nobody@example.com',
		}).catch((e: Error) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as Error).message).toBe(
			"Item 1: The list 'Newsletter' has no subscriber with the e-mail nobody@example.com",
		);
		const { output } = await preview(
			{
				previewFor: 'subscriberId',
				previewSubscriberId: perItem((i) => (i === 0 ? '999999' : hanakoId)),
			},
			{ items: [{ json: {} }, { json: {} }], continueOnFail: true },
		);
		expect(output[0][0].json).toEqual({
			error: "Item 1: There is no subscriber with the ID '999999'",
		});
		expect(output[0][1].json.subject).toBe('Hello Hanako');
		expect(output[0][1].pairedItem).toEqual({ item: 1 });
	});
});
