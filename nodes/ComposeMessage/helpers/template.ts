import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import {
	compileTemplate,
	ComposeError,
	type CompiledTemplate,
	type ComposeOptions,
	type MessageEncoding,
	type TemplateSpec,
} from '../../../lib/compose';
import { STORE_CREDENTIAL } from '../../shared/storeCredential';

/** The link settings of the store credential: the same for every item of an execution. */
export interface LinkSettings {
	baseUrl: string | null;
	secret: string | null;
}

export async function readLinkSettings(ctx: IExecuteFunctions): Promise<LinkSettings> {
	const data = await ctx.getCredentials(STORE_CREDENTIAL);
	const baseUrl = String(data.publicBaseUrl ?? '').trim();
	const secret = String(data.signingSecret ?? '');
	return { baseUrl: baseUrl || null, secret: secret || null };
}

export const NO_BASE_URL_WARNING =
	'The store credential has no public base URL, so messages carry no List-Unsubscribe header and no unsubscribe link: Gmail, Yahoo and Microsoft require one-click unsubscribe (RFC 8058) for bulk mail. Set the public base URL of your Bounce Webhook in the credential.';

/** What the template parameters of one item resolve to. */
interface TemplateParameters {
	spec: TemplateSpec;
	options: ComposeOptions;
}

const INVALID_JSON = Symbol('invalid JSON');

function parseJson(value: string): unknown {
	try {
		return JSON.parse(value);
	} catch {
		return INVALID_JSON;
	}
}

/** A JSON object parameter: an object from an expression, a JSON string typed in the UI. */
export function parseJsonObject(value: unknown, label: string): IDataObject | null {
	if (value === undefined || value === null || value === '') return null;
	let parsed: unknown = value;
	if (typeof value === 'string') {
		parsed = parseJson(value);
		if (parsed === INVALID_JSON) {
			throw new ComposeError(
				'invalid-option',
				`'${label}' is not valid JSON; enter an object such as {"city": "Osaka"}`,
			);
		}
	}
	if (parsed === null) return null;
	if (typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new ComposeError(
			'invalid-option',
			`'${label}' must be a JSON object such as {"city": "Osaka"}`,
		);
	}
	return parsed as IDataObject;
}

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

function readTemplateParameters(
	ctx: IExecuteFunctions,
	itemIndex: number,
	links: LinkSettings,
	forCompose: boolean,
): TemplateParameters {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const fromName = text(ctx.getNodeParameter('fromName', itemIndex, ''));
	const fromEmail = text(ctx.getNodeParameter('fromEmail', itemIndex, '')).trim();
	if (!fromEmail) {
		throw new ComposeError('invalid-address', 'The From e-mail is empty; enter the sender address');
	}
	const spec: TemplateSpec = {
		subject: text(ctx.getNodeParameter('subject', itemIndex, '')),
		html: text(ctx.getNodeParameter('html', itemIndex, '')),
		text: text(ctx.getNodeParameter('text', itemIndex, '')),
		from: { name: fromName, address: fromEmail },
		replyTo: text(ctx.getNodeParameter('replyTo', itemIndex, '')).trim() || null,
	};
	const compose: ComposeOptions = {
		baseUrl: links.baseUrl,
		secret: links.secret,
		allowInsecureHttp: options.allowInsecureHttp === true,
		inlineCss: options.inlineCss === true,
		strict: options.strict === true,
		defaults: parseJsonObject(options.defaults, 'Default Values'),
		encoding: (options.encoding as MessageEncoding | undefined) ?? 'utf-8',
		unsubscribeMailto: text(options.unsubscribeMailto).trim() || null,
		messageIdDomain: text(options.messageIdDomain).trim() || null,
	};
	if (forCompose) {
		compose.trackOpens = options.trackOpens === true;
		compose.trackClicks = options.trackClicks === true;
		compose.trackTextLinks = options.trackTextLinks === true;
		if (ctx.getNodeParameter('proof', itemIndex, false) === true) {
			compose.proofSubjectPrefix = text(
				ctx.getNodeParameter('proofSubjectPrefix', itemIndex, '[TEST] '),
			);
		}
	}
	return { spec, options: compose };
}

export interface ResolvedTemplate {
	template: CompiledTemplate;
	/** The HTML template source (which attachments it shows inline as cid:). */
	html: string;
	/** The engine's warnings plus the node's own (no public base URL). */
	warnings: string[];
}

/**
 * Compiles the templates once per execution: the parameters are resolved per item (expressions
 * may differ per item) and a template is compiled again only for values not seen before.
 * Compile errors are kept too, so a broken template fails each item without recompiling.
 */
export class TemplateCache {
	/** How many templates were compiled (for tests and diagnostics). */
	compiled = 0;

	private readonly entries = new Map<string, ResolvedTemplate | Error>();

	constructor(
		private readonly links: LinkSettings,
		private readonly maxEntries = 16,
	) {}

	forItem(ctx: IExecuteFunctions, itemIndex: number, forCompose: boolean): ResolvedTemplate {
		const { spec, options } = readTemplateParameters(ctx, itemIndex, this.links, forCompose);
		// The link settings are the same for the whole execution; the secret stays out of the key.
		const key = JSON.stringify([spec, { ...options, secret: undefined }]);
		let entry = this.entries.get(key);
		if (entry === undefined) {
			entry = this.compile(spec, options);
			if (this.entries.size >= this.maxEntries) {
				this.entries.delete(this.entries.keys().next().value as string);
			}
			this.entries.set(key, entry);
		}
		if (entry instanceof Error) throw entry;
		return entry;
	}

	private compile(spec: TemplateSpec, options: ComposeOptions): ResolvedTemplate | Error {
		this.compiled += 1;
		try {
			const template = compileTemplate(spec, options);
			const warnings = [...template.warnings];
			if (!options.baseUrl) warnings.push(NO_BASE_URL_WARNING);
			return { template, html: spec.html ?? '', warnings };
		} catch (error) {
			return error instanceof Error ? error : new Error(String(error));
		}
	}
}
