/**
 * The strict IExecuteFunctions mock (test/helpers/n8nMock.ts) that the Compose Message tests,
 * and other nodes' tests, rely on: it must fail where real n8n (or a careless node) would.
 */
import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { ComposeMessage } from '../../nodes/ComposeMessage/ComposeMessage.node';
import { binaryItem, createExecuteMock, perItem, runNode } from '../helpers/n8nMock';

class Probe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Probe',
		name: 'probe',
		group: ['transform'],
		version: [1, 2],
		description: 'Reads what the test tells it to',
		defaults: { name: 'Probe' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'probeApi', required: true }],
		properties: [
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				options: [
					{ name: 'A', value: 'a' },
					{ name: 'B', value: 'b' },
				],
				default: 'a',
			},
			{
				displayName: 'Only A',
				name: 'onlyA',
				type: 'string',
				default: 'a-default',
				displayOptions: { show: { mode: ['a'] } },
			},
			{
				displayName: 'Greeting',
				name: 'greeting',
				type: 'string',
				default: '=Hi {{ $json.user.name }} #{{ $itemIndex }}',
			},
			{
				displayName: 'New In V2',
				name: 'newInV2',
				type: 'boolean',
				default: true,
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				default: {},
				options: [{ displayName: 'Loud', name: 'loud', type: 'boolean', default: false }],
			},
		],
	};
}

/** Runs `body` as the node's execute() and returns what it returned. */
async function probe(
	body: (ctx: IExecuteFunctions) => unknown,
	options: Parameters<typeof runNode>[1] = {},
) {
	const node: INodeType = new Probe();
	node.execute = async function (this: IExecuteFunctions) {
		return [[{ json: { result: (await body(this)) as string } }]];
	};
	const { output, mock } = await runNode(node, options);
	return { result: output[0][0].json.result, mock };
}

describe('n8nMock', () => {
	test('reading a parameter the description does not declare fails', async () => {
		await expect(probe((ctx) => ctx.getNodeParameter('mood', 0))).rejects.toThrow(
			/reads parameter 'mood', which its description does not declare/,
		);
		await expect(probe((ctx) => ctx.getNodeParameter('options.lod', 0, false))).rejects.toThrow(
			/'options' declares no option 'lod'/,
		);
		await expect(
			probe((ctx) => ctx.getNodeParameter('options.loud', 0, false)),
		).resolves.toMatchObject({
			result: false,
		});
	});

	test('parameters the test sets must exist, be visible and hold declared values', () => {
		expect(() => createExecuteMock(new Probe(), { parameters: { mood: 'x' } })).toThrow(
			/does not declare/,
		);
		expect(() => createExecuteMock(new Probe(), { parameters: { mode: 'b', onlyA: 'x' } })).toThrow(
			/displayOptions hide/,
		);
		expect(() => createExecuteMock(new Probe(), { parameters: { mode: 'c' } })).toThrow(
			/not one of the values/,
		);
		expect(() =>
			createExecuteMock(new Probe(), { parameters: { options: { lod: true } } }),
		).toThrow(/has no option 'lod'/);
		const lenient = createExecuteMock(new Probe(), {
			parameters: { mode: 'b', onlyA: 'x' },
			allowHiddenParameters: true,
		});
		expect(lenient.nodeParameters).not.toHaveProperty('onlyA');
	});

	test('defaults fill in, hidden parameters are absent like in n8n, @version conditions apply', async () => {
		const v2 = createExecuteMock(new Probe());
		expect(v2.nodeParameters).toEqual({
			mode: 'a',
			onlyA: 'a-default',
			greeting: '=Hi {{ $json.user.name }} #{{ $itemIndex }}',
			newInV2: true,
			options: {},
		});
		expect(
			createExecuteMock(new Probe(), { node: { typeVersion: 1 } }).nodeParameters,
		).not.toHaveProperty('newInV2');
		const hidden = createExecuteMock(new Probe(), { parameters: { mode: 'b' } });
		expect(() => hidden.context.getNodeParameter('onlyA', 0)).toThrow(
			'Could not get parameter "onlyA"',
		);
		expect(hidden.context.getNodeParameter('onlyA', 0, 'fallback')).toBe('fallback');
		expect(hidden.readParameters).toEqual(['onlyA']);
	});

	test('simple expressions and perItem values resolve per item', () => {
		const items = [{ json: { user: { name: 'Taro' } } }, { json: { user: { name: 'Hanako' } } }];
		const mock = createExecuteMock(new Probe(), {
			items,
			parameters: {
				onlyA: perItem(
					(i, item) =>
						`${i}:${String(item?.json.user && (item.json.user as { name: string }).name)}`,
				),
			},
		});
		expect(mock.context.getNodeParameter('greeting', 0)).toBe('Hi Taro #0');
		expect(mock.context.getNodeParameter('greeting', 1)).toBe('Hi Hanako #1');
		expect(mock.context.getNodeParameter('onlyA', 1)).toBe('1:Hanako');
		const unsupported = createExecuteMock(new Probe(), {
			parameters: { greeting: '={{ $now.toISO() }}' },
		});
		expect(() => unsupported.context.getNodeParameter('greeting', 0)).toThrow(/cannot evaluate/);
	});

	test('credentials must be declared and supplied', async () => {
		await expect(probe((ctx) => ctx.getCredentials('otherApi'))).rejects.toThrow(
			/does not declare/,
		);
		await expect(probe((ctx) => ctx.getCredentials('probeApi'))).rejects.toThrow(
			NodeOperationError,
		);
		const { result } = await probe(async (ctx) => (await ctx.getCredentials('probeApi')).token, {
			credentials: { probeApi: { token: 't0k' } },
		});
		expect(result).toBe('t0k');
	});

	test('input items are frozen, unknown members fail clearly', async () => {
		await expect(
			probe((ctx) => {
				(ctx.getInputData()[0].json as { x?: number }).x = 1;
			}),
		).rejects.toThrow(TypeError);
		await expect(probe((ctx) => ctx.getInputConnectionData)).rejects.toThrow(
			/n8nMock does not implement getInputConnectionData/,
		);
		await expect(probe((ctx) => ctx.helpers.httpRequest)).rejects.toThrow(
			/does not implement helpers\.httpRequest/,
		);
	});

	test('binary helpers work on real Buffers and fail like n8n', async () => {
		const items = [
			binaryItem({}, { doc: { content: 'hello', fileName: 'doc.txt' } }),
			{ json: {} },
		];
		const mock = createExecuteMock(new Probe(), { items });
		const helpers = mock.context.helpers;
		expect(helpers.assertBinaryData(0, 'doc')).toMatchObject({
			fileName: 'doc.txt',
			mimeType: 'text/plain',
		});
		expect(await helpers.getBinaryDataBuffer(0, 'doc')).toEqual(Buffer.from('hello'));
		expect(() => helpers.assertBinaryData(0, 'nope')).toThrow(
			"The item has no binary field 'nope' [item 0]",
		);
		expect(() => helpers.assertBinaryData(1, 'doc')).toThrow(
			/expects the node's input data to contain a binary file 'doc'/,
		);
		const prepared = await helpers.prepareBinaryData(
			Buffer.from('<p>x</p>'),
			'page.html',
			'text/html',
		);
		expect(prepared).toMatchObject({
			fileName: 'page.html',
			mimeType: 'text/html',
			fileExtension: 'html',
		});
		expect(mock.preparedBinaries).toEqual([prepared]);
	});

	test('Compose Message reads only parameters it declares, in both operations', async () => {
		const credentials = { bulkMailSubscriberStoreApi: { publicBaseUrl: '', signingSecret: '' } };
		const common = { subject: 's', text: 't', fromEmail: 'a@example.com' };
		const composed = await runNode(new ComposeMessage(), {
			credentials,
			items: [{ json: { email: 'x@example.com' } }],
			parameters: { ...common, operation: 'compose', proof: true },
		});
		expect(composed.mock.readParameters).toEqual(
			expect.arrayContaining([
				'operation',
				'subject',
				'recipientEmail',
				'proofSubjectPrefix',
				'options',
			]),
		);
		const previewed = await runNode(new ComposeMessage(), {
			credentials,
			parameters: { ...common, operation: 'preview' },
		});
		expect(previewed.mock.readParameters).toEqual(
			expect.arrayContaining(['previewFor', 'sampleEmail', 'binaryPropertyName']),
		);
		expect(previewed.mock.readParameters).not.toContain('recipientEmail');
	});
});
