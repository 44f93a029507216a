/**
 * A small, strict stand-in for n8n's IExecuteFunctions, for driving a node's execute() in jest.
 *
 *   const { output, mock } = await runNode(new ComposeMessage(), {
 *     parameters: { operation: 'compose', subject: 'Hi {{ name }}', fromEmail: 'a@example.com',
 *                   campaignId: perItem((i, item) => `c-${item.json.group}`) },
 *     items: [{ json: { email: 'taro@example.com' } }],
 *     credentials: { bulkMailSubscriberStoreApi: { publicBaseUrl: 'https://…', signingSecret: '…' } },
 *   });
 *
 * It behaves like n8n where tests most often go wrong:
 * - Reading a parameter that the node's description does not declare fails (also a collection
 *   option that is not declared, e.g. `options.trackOpns`), and so does passing one in `parameters`.
 * - Parameters are built like n8n builds node.parameters: declared defaults fill what the test
 *   leaves out, parameters hidden by displayOptions are absent (reading one without a fallback
 *   fails with n8n's "Could not get parameter"), collection options are never defaulted.
 *   `options`-type values must be one of the declared values.
 * - Values may be n8n expressions of the simple kind (`={{ $json.email }}`, `=Hi {{ $json.a.b }}`,
 *   `$itemIndex`), resolved per item; declared defaults such as `={{ $json.id }}` work too. For
 *   anything else pass `perItem((itemIndex, item) => value)`.
 * - Credentials must be declared by the node and supplied by the test.
 * - Input items are deep-frozen (a node must not change its input); binary data is held in
 *   memory as base64 like n8n's default mode, helpers return real Buffers.
 * - Any other IExecuteFunctions member the node touches fails with a clear message.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';

import {
	NodeOperationError,
	type IBinaryData,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeProperties,
	type INodePropertyCollection,
	type INodeType,
	type NodeExecutionHint,
} from 'n8n-workflow';

const PER_ITEM = Symbol('per-item parameter');

export type PerItemValue = ((
	itemIndex: number,
	item: INodeExecutionData | undefined,
) => unknown) & {
	[PER_ITEM]: true;
};

/** A parameter value computed per item, like an n8n expression the mock cannot evaluate. */
export function perItem(
	compute: (itemIndex: number, item: INodeExecutionData | undefined) => unknown,
): PerItemValue {
	return Object.assign(compute, { [PER_ITEM]: true as const });
}

export interface ExecuteMockOptions {
	/** Parameter values as the user set them; defaults fill the rest. */
	parameters?: Record<string, unknown>;
	items?: INodeExecutionData[];
	/** Credential data by credential type name. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	continueOnFail?: boolean;
	node?: { name?: string; typeVersion?: number; id?: string };
	workflow?: { id?: string; name?: string; active?: boolean };
	executionId?: string;
	mode?: 'manual' | 'trigger' | 'webhook' | 'internal';
	/** Package name used in the node type (`<package>.<name>`). */
	packageName?: string;
	/** Drop parameters the test passes but the description hides, instead of failing. */
	allowHiddenParameters?: boolean;
}

export interface ExecuteMock {
	context: IExecuteFunctions;
	/** The node's parameters as n8n would store them (defaults filled, hidden ones absent). */
	nodeParameters: IDataObject;
	/** Every parameter path the node read, in order of first read. */
	readParameters: string[];
	/** Credential types the node asked for. */
	credentialsRead: string[];
	hints: NodeExecutionHint[];
	/** Files made with helpers.prepareBinaryData. */
	preparedBinaries: IBinaryData[];
	logs: Array<{ level: string; message: string; meta?: unknown }>;
}

type DisplayCondition = Record<string, unknown[]>;

function declarationsOf(nodeType: INodeType): INodeProperties[] {
	return nodeType.description.properties;
}

function isDataProperty(property: INodeProperties): boolean {
	return property.type !== 'notice' && property.type !== 'button' && property.type !== 'callout';
}

function matchesCondition(actual: unknown, expected: unknown): boolean {
	if (expected && typeof expected === 'object' && '_cnd' in (expected as object)) {
		const [[operator, operand]] = Object.entries(
			(expected as { _cnd: Record<string, unknown> })._cnd,
		);
		const a = actual as number & string;
		switch (operator) {
			case 'eq':
				return actual === operand;
			case 'not':
				return actual !== operand;
			case 'gte':
				return a >= (operand as number);
			case 'lte':
				return a <= (operand as number);
			case 'gt':
				return a > (operand as number);
			case 'lt':
				return a < (operand as number);
			case 'between': {
				const { from, to } = operand as { from: number; to: number };
				return a >= from && a <= to;
			}
			case 'startsWith':
				return String(actual).startsWith(String(operand));
			case 'endsWith':
				return String(actual).endsWith(String(operand));
			case 'includes':
				return String(actual).includes(String(operand));
			case 'regex':
				return new RegExp(String(operand)).test(String(actual));
			case 'exists':
				return actual !== undefined && actual !== null && actual !== '';
			default:
				throw new Error(`n8nMock: displayOptions condition '${operator}' is not supported`);
		}
	}
	return actual === expected;
}

function matchesAny(actual: unknown, expected: unknown[]): boolean {
	const values = Array.isArray(actual) ? actual : [actual];
	return values.some((value) => expected.some((candidate) => matchesCondition(value, candidate)));
}

/** n8n's displayParameter, for show/hide with plain values, `_cnd` conditions and `@version`. */
function isDisplayed(
	displayOptions: INodeProperties['displayOptions'],
	siblings: IDataObject,
	root: IDataObject,
	typeVersion: number,
): boolean {
	if (!displayOptions) return true;
	const valueOf = (key: string): unknown => {
		if (key === '@version') return typeVersion;
		// n8n: whether the node runs as its AI-tool variant; the mock runs the node itself
		if (key === '@tool') return false;
		if (key.startsWith('/')) return root[key.slice(1)];
		return siblings[key];
	};
	const show = displayOptions.show as DisplayCondition | undefined;
	if (show) {
		for (const [key, expected] of Object.entries(show)) {
			const actual = valueOf(key);
			if (actual === undefined || !matchesAny(actual, expected)) return false;
		}
	}
	const hide = displayOptions.hide as DisplayCondition | undefined;
	if (hide) {
		for (const [key, expected] of Object.entries(hide)) {
			const actual = valueOf(key);
			if (actual !== undefined && matchesAny(actual, expected)) return false;
		}
	}
	return true;
}

function isExpression(value: unknown): value is string {
	return typeof value === 'string' && value.startsWith('=');
}

function checkOptionsValue(property: INodeProperties, value: unknown, label: string): void {
	if (property.type !== 'options' || isExpression(value) || typeof value === 'function') return;
	const allowed = (property.options ?? []).map((option) => (option as { value: unknown }).value);
	if (!allowed.includes(value)) {
		throw new Error(
			`n8nMock: '${String(value)}' is not one of the values of ${label}: ${allowed.join(', ')}`,
		);
	}
}

/** Checks a collection's value against its declared options (names and option values). */
function checkCollectionValue(property: INodeProperties, value: unknown, label: string): void {
	if (isExpression(value) || typeof value === 'function') return;
	if (property.type === 'collection') {
		if (!value || typeof value !== 'object' || Array.isArray(value)) {
			throw new Error(`n8nMock: ${label} is a collection; pass an object`);
		}
		const options = (property.options ?? []) as INodeProperties[];
		for (const [key, optionValue] of Object.entries(value)) {
			const option = options.find((candidate) => candidate.name === key);
			if (!option) {
				throw new Error(
					`n8nMock: ${label} has no option '${key}' (declared: ${options.map((o) => o.name).join(', ')})`,
				);
			}
			checkOptionsValue(option, optionValue, `${label}.${key}`);
		}
	} else if (property.type === 'fixedCollection') {
		if (!value || typeof value !== 'object' || Array.isArray(value)) {
			throw new Error(`n8nMock: ${label} is a fixed collection; pass an object`);
		}
		const groups = (property.options ?? []) as INodePropertyCollection[];
		for (const [groupName, groupValue] of Object.entries(value)) {
			const group = groups.find((candidate) => candidate.name === groupName);
			if (!group) throw new Error(`n8nMock: ${label} has no group '${groupName}'`);
			const entries = Array.isArray(groupValue) ? groupValue : [groupValue];
			for (const entry of entries) {
				for (const key of Object.keys((entry ?? {}) as object)) {
					if (!group.values.some((field) => field.name === key)) {
						throw new Error(`n8nMock: ${label}.${groupName} has no field '${key}'`);
					}
				}
			}
		}
	}
}

/** node.parameters as n8n builds them from the user's values and the declared defaults. */
function buildNodeParameters(
	nodeType: INodeType,
	given: Record<string, unknown>,
	typeVersion: number,
	allowHidden: boolean,
): IDataObject {
	const declarations = declarationsOf(nodeType).filter(isDataProperty);
	for (const name of Object.keys(given)) {
		if (!declarations.some((property) => property.name === name)) {
			throw new Error(
				`n8nMock: the test sets parameter '${name}', which the node does not declare`,
			);
		}
	}
	let values: IDataObject = { ...(given as IDataObject) };
	// Display conditions depend on other values: settle in a few passes, like n8n's loop.
	for (let pass = 0; pass < 4; pass++) {
		const next: IDataObject = {};
		for (const property of declarations) {
			if (property.name in next) continue;
			if (!isDisplayed(property.displayOptions, values, values, typeVersion)) continue;
			next[property.name] =
				property.name in given
					? (given[property.name] as IDataObject[string])
					: (structuredClone(property.default) as IDataObject[string]);
		}
		const stable = JSON.stringify(next) === JSON.stringify(values);
		values = next;
		if (stable) break;
	}
	for (const name of Object.keys(given)) {
		if (!(name in values) && !allowHidden) {
			throw new Error(
				`n8nMock: the test sets parameter '${name}', which displayOptions hide with these settings (n8n would drop it)`,
			);
		}
	}
	for (const [name, value] of Object.entries(values)) {
		const property = declarations.find(
			(candidate) =>
				candidate.name === name &&
				isDisplayed(candidate.displayOptions, values, values, typeVersion),
		) as INodeProperties;
		checkOptionsValue(property, value, `parameter '${name}'`);
		if (name in given) checkCollectionValue(property, value, `parameter '${name}'`);
	}
	return values;
}

function getPath(object: unknown, pathParts: string[]): unknown {
	let value = object;
	for (const part of pathParts) {
		if (value === null || value === undefined || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[part];
	}
	return value;
}

/** `$json.a.b`, `$json["a"].b`, `$itemIndex`: the few expressions the mock evaluates. */
function evaluateSimpleExpression(
	source: string,
	itemIndex: number,
	item: INodeExecutionData | undefined,
): unknown {
	const expression = source.trim();
	if (expression === '$itemIndex') return itemIndex;
	const match = /^\$json((?:\.[A-Za-z_$][\w$]*|\[\s*(?:"[^"]*"|'[^']*'|\d+)\s*\])*)$/.exec(
		expression,
	);
	if (!match) {
		throw new Error(
			`n8nMock cannot evaluate the expression {{ ${expression} }}; pass perItem((i, item) => …) instead`,
		);
	}
	const parts = [
		...match[1].matchAll(/\.([A-Za-z_$][\w$]*)|\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\]/g),
	].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
	return getPath(item?.json, parts);
}

function resolveValue(
	value: unknown,
	itemIndex: number,
	item: INodeExecutionData | undefined,
): unknown {
	if (typeof value === 'function') {
		if (!(value as PerItemValue)[PER_ITEM]) {
			throw new Error('n8nMock: wrap computed parameter values in perItem()');
		}
		return (value as PerItemValue)(itemIndex, item);
	}
	if (isExpression(value)) {
		const body = value.slice(1);
		const whole = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(body);
		if (whole && !whole[1].includes('{{'))
			return evaluateSimpleExpression(whole[1], itemIndex, item);
		return body.replace(/\{\{([\s\S]*?)\}\}/g, (_match, inner: string) => {
			const result = evaluateSimpleExpression(inner, itemIndex, item);
			if (result === undefined || result === null) return '';
			return typeof result === 'object' ? JSON.stringify(result) : String(result);
		});
	}
	if (Array.isArray(value)) return value.map((entry) => resolveValue(entry, itemIndex, item));
	if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [key, resolveValue(entry, itemIndex, item)]),
		);
	}
	return value;
}

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const entry of Object.values(value)) deepFreeze(entry);
	}
	return value;
}

const MIME_TYPES: Record<string, string> = {
	html: 'text/html',
	htm: 'text/html',
	txt: 'text/plain',
	csv: 'text/csv',
	json: 'application/json',
	pdf: 'application/pdf',
	png: 'image/png',
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	gif: 'image/gif',
	svg: 'image/svg+xml',
};

function prettySize(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** An IBinaryData held in memory, as n8n's default binary mode stores it. */
export function binaryData(
	content: Buffer | string,
	fileName?: string,
	mimeType?: string,
): IBinaryData {
	const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
	const extension = fileName ? path.extname(fileName).slice(1).toLowerCase() : undefined;
	const type = mimeType ?? (extension && MIME_TYPES[extension]) ?? 'application/octet-stream';
	const result: IBinaryData = {
		data: buffer.toString('base64'),
		mimeType: type,
		fileSize: prettySize(buffer.length),
	};
	if (fileName) result.fileName = path.basename(fileName);
	if (extension) result.fileExtension = extension;
	const kind = type.split('/')[0];
	if (['text', 'image', 'audio', 'video'].includes(kind))
		result.fileType = kind as IBinaryData['fileType'];
	else if (type === 'application/pdf') result.fileType = 'pdf';
	else if (type === 'application/json') result.fileType = 'json';
	return result;
}

/** An input item with binary properties: `{ logo: { content, fileName, mimeType } }`. */
export function binaryItem(
	json: IDataObject,
	files: Record<string, { content: Buffer | string; fileName?: string; mimeType?: string }>,
): INodeExecutionData {
	const binary: Record<string, IBinaryData> = {};
	for (const [name, file] of Object.entries(files)) {
		binary[name] = binaryData(file.content, file.fileName, file.mimeType);
	}
	return { json, binary };
}

async function streamToBuffer(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream)
		chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
	return Buffer.concat(chunks);
}

export function createExecuteMock(
	nodeType: INodeType,
	options: ExecuteMockOptions = {},
): ExecuteMock {
	const description = nodeType.description;
	const versions = Array.isArray(description.version) ? description.version : [description.version];
	const typeVersion = options.node?.typeVersion ?? Math.max(...versions);
	const nodeParameters = buildNodeParameters(
		nodeType,
		options.parameters ?? {},
		typeVersion,
		options.allowHiddenParameters === true,
	);
	const items = deepFreeze(options.items ?? [{ json: {} }]);
	const declaredCredentials = (description.credentials ?? []).map((credential) => credential.name);
	const node: INode = {
		id: options.node?.id ?? 'node-under-test',
		name: options.node?.name ?? String(description.defaults.name ?? description.displayName),
		type: `${options.packageName ?? 'n8n-nodes-bulk-mail'}.${description.name}`,
		typeVersion,
		position: [0, 0],
		parameters: nodeParameters as INode['parameters'],
		credentials: Object.fromEntries(
			Object.keys(options.credentials ?? {}).map((type) => [
				type,
				{ id: `cred-${type}`, name: type },
			]),
		),
	};
	const workflow = {
		id: options.workflow?.id ?? 'wf-test',
		name: options.workflow?.name ?? 'Test workflow',
		active: options.workflow?.active ?? false,
	};
	const executionId = options.executionId ?? 'exec-1';

	const mock: ExecuteMock = {
		context: undefined as unknown as IExecuteFunctions,
		nodeParameters,
		readParameters: [],
		credentialsRead: [],
		hints: [],
		preparedBinaries: [],
		logs: [],
	};
	const staticData: Record<string, IDataObject> = {};

	const checkDeclared = (parameterPath: string): void => {
		const [root, optionName] = parameterPath.split('.');
		const declarations = declarationsOf(nodeType).filter(
			(property) => property.name === root && isDataProperty(property),
		);
		if (!declarations.length) {
			throw new Error(
				`n8nMock: the node reads parameter '${parameterPath}', which its description does not declare`,
			);
		}
		if (optionName === undefined) return;
		const known = declarations.some((property) =>
			((property.options ?? []) as Array<{ name: string }>).some(
				(option) => option.name === optionName,
			),
		);
		if (!known) {
			throw new Error(
				`n8nMock: the node reads '${parameterPath}', but '${root}' declares no option '${optionName}'`,
			);
		}
	};

	const itemAt = (itemIndex: number): INodeExecutionData => {
		const item = items[itemIndex];
		if (!item) throw new Error(`n8nMock: there is no input item ${itemIndex}`);
		return item;
	};

	const binaryOf = (itemIndex: number, propertyName: string): IBinaryData => {
		const binary = itemAt(itemIndex).binary;
		if (binary === undefined) {
			throw new NodeOperationError(
				node,
				`This operation expects the node's input data to contain a binary file '${propertyName}', but none was found [item ${itemIndex}]`,
				{ itemIndex, description: 'Make sure that the previous node outputs a binary file' },
			);
		}
		const data = binary[propertyName];
		if (data === undefined) {
			throw new NodeOperationError(
				node,
				`The item has no binary field '${propertyName}' [item ${itemIndex}]`,
				{
					itemIndex,
					description:
						'Check that the parameter where you specified the input binary field name is correct, and that it matches a field in the binary input',
				},
			);
		}
		return data;
	};

	const bufferOf = (data: IBinaryData): Buffer => {
		if (data.id) throw new Error('n8nMock holds binary data in memory only (this one has an id)');
		return Buffer.from(data.data, 'base64');
	};

	const implemented: Record<string, unknown> = {
		getNodeParameter(
			parameterPath: string,
			itemIndex: number,
			fallbackValue?: unknown,
			parameterOptions?: { rawExpressions?: boolean },
		): unknown {
			if (typeof itemIndex !== 'number') {
				throw new Error(`n8nMock: getNodeParameter('${parameterPath}') needs an item index`);
			}
			checkDeclared(parameterPath);
			if (!mock.readParameters.includes(parameterPath)) mock.readParameters.push(parameterPath);
			let value = getPath(nodeParameters, parameterPath.split('.'));
			if (value === undefined) value = fallbackValue;
			if (value === undefined) throw new Error(`Could not get parameter "${parameterPath}"`);
			if (parameterOptions?.rawExpressions) return value;
			const resolved = resolveValue(value, itemIndex, items[itemIndex]);
			return resolved !== null && typeof resolved === 'object'
				? structuredClone(resolved)
				: resolved;
		},
		getInputData(inputIndex = 0): INodeExecutionData[] {
			if (inputIndex !== 0)
				throw new Error(`n8nMock: the node has one input, not input ${inputIndex}`);
			return items as INodeExecutionData[];
		},
		async getCredentials(type: string): Promise<ICredentialDataDecryptedObject> {
			mock.credentialsRead.push(type);
			if (!declaredCredentials.includes(type)) {
				throw new Error(
					`n8nMock: the node reads credential '${type}', which its description does not declare`,
				);
			}
			const data = options.credentials?.[type];
			if (!data) {
				throw new NodeOperationError(node, `Node does not have any credentials set for "${type}"`);
			}
			return structuredClone(data);
		},
		continueOnFail: () => options.continueOnFail === true,
		getNode: () => node,
		getWorkflow: () => ({ ...workflow }),
		getExecutionId: () => executionId,
		getMode: () => options.mode ?? 'manual',
		getTimezone: () => 'UTC',
		getWorkflowSettings: () => ({}),
		getWorkflowStaticData(type: string): IDataObject {
			staticData[type] ??= {};
			return staticData[type];
		},
		addExecutionHints(...hints: NodeExecutionHint[]): void {
			mock.hints.push(...hints);
		},
		evaluateExpression(expression: string, itemIndex = 0): unknown {
			return resolveValue(
				expression.startsWith('=') ? expression : `=${expression}`,
				itemIndex,
				items[itemIndex],
			);
		},
		sendMessageToUI(...args: unknown[]): void {
			mock.logs.push({ level: 'ui', message: args.map(String).join(' ') });
		},
		logger: Object.fromEntries(
			['debug', 'info', 'warn', 'error', 'verbose'].map((level) => [
				level,
				(message: string, meta?: unknown) => mock.logs.push({ level, message, meta }),
			]),
		),
		helpers: {
			assertBinaryData(itemIndex: number, parameterData: string | IBinaryData): IBinaryData {
				if (typeof parameterData !== 'string') return parameterData;
				return binaryOf(itemIndex, parameterData);
			},
			async getBinaryDataBuffer(
				itemIndex: number,
				parameterData: string | IBinaryData,
			): Promise<Buffer> {
				const data =
					typeof parameterData === 'string'
						? itemAt(itemIndex).binary?.[parameterData]
						: parameterData;
				if (!data)
					throw new Error(
						`n8nMock: item ${itemIndex} has no binary field '${String(parameterData)}'`,
					);
				return bufferOf(data);
			},
			async prepareBinaryData(
				content: Buffer | Readable,
				filePath?: string,
				mimeType?: string,
			): Promise<IBinaryData> {
				const buffer = Buffer.isBuffer(content) ? content : await streamToBuffer(content);
				const data = binaryData(buffer, filePath, mimeType);
				mock.preparedBinaries.push(data);
				return data;
			},
			async binaryToBuffer(stream: Readable): Promise<Buffer> {
				return streamToBuffer(stream);
			},
			binaryToString(buffer: Buffer, encoding: BufferEncoding = 'utf8'): string {
				return buffer.toString(encoding);
			},
			returnJsonArray(json: IDataObject | IDataObject[]): INodeExecutionData[] {
				return (Array.isArray(json) ? json : [json]).map((entry) => ({ json: entry }));
			},
			constructExecutionMetaData(
				data: INodeExecutionData[],
				metadata: { itemData: { item: number } | Array<{ item: number }> },
			): INodeExecutionData[] {
				return data.map((entry) => ({ ...entry, pairedItem: metadata.itemData }));
			},
		},
	};

	const refuse = (member: string): never => {
		throw new Error(`n8nMock does not implement ${member}; add it to test/helpers/n8nMock.ts`);
	};
	const helpers = new Proxy(implemented.helpers as object, {
		get(target, property) {
			if (typeof property === 'symbol' || property in target) {
				return (target as Record<string | symbol, unknown>)[property];
			}
			return refuse(`helpers.${property}`);
		},
	});
	mock.context = new Proxy(implemented, {
		get(target, property) {
			if (property === 'helpers') return helpers;
			if (typeof property === 'symbol' || property === 'then' || property in target) {
				return target[property as string];
			}
			return refuse(String(property));
		},
	}) as unknown as IExecuteFunctions;
	return mock;
}

/** Runs the node's execute() with a fresh mock; returns the output and the mock. */
export async function runNode(
	nodeType: INodeType,
	options: ExecuteMockOptions = {},
): Promise<{ output: INodeExecutionData[][]; mock: ExecuteMock }> {
	if (typeof nodeType.execute !== 'function') throw new Error('n8nMock: the node has no execute()');
	const mock = createExecuteMock(nodeType, options);
	const output = (await nodeType.execute.call(mock.context)) as INodeExecutionData[][];
	return { output, mock };
}

/** The NodeOperationError a node run throws (fails the test when it does not throw one). */
export async function expectNodeError(promise: Promise<unknown>): Promise<NodeOperationError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(NodeOperationError);
		return error as NodeOperationError;
	}
	throw new Error('expected the node to fail');
}
