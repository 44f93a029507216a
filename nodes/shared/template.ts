/**
 * The message template as node parameters (subject, HTML, text, sender, options), read the same
 * way by Compose Message and by Bulk Send's Create Campaign, and the store credential's link
 * settings that every signed link needs.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { ComposeError, type ComposeOptions, type MessageEncoding, type TemplateSpec } from '../../lib/compose';
import { STORE_CREDENTIAL } from './storeCredential';

/** The link settings of the store credential: the same for every item of an execution. */
export interface LinkSettings {
	baseUrl: string | null;
	secret: string | null;
}

export async function readLinkSettings(
	ctx: Pick<IExecuteFunctions, 'getCredentials'>,
): Promise<LinkSettings> {
	const data = await ctx.getCredentials(STORE_CREDENTIAL);
	const baseUrl = String(data.publicBaseUrl ?? '').trim();
	const secret = String(data.signingSecret ?? '');
	return { baseUrl: baseUrl || null, secret: secret || null };
}

export const NO_BASE_URL_WARNING =
	'The store credential has no public base URL, so messages carry no List-Unsubscribe header and no unsubscribe link: Gmail, Yahoo and Microsoft require one-click unsubscribe (RFC 8058) for bulk mail. Set the public base URL of your Bounce Webhook in the credential.';

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

/** What the template parameters of one item resolve to; links (base URL, secret) not included. */
export interface TemplateParameters {
	spec: TemplateSpec;
	options: Omit<ComposeOptions, 'baseUrl' | 'secret'>;
}

/**
 * The template of one item. `optionsParameter` names the options collection ('options' in
 * Compose Message, 'templateOptions' in Bulk Send); `tracking` reads the open/click switches
 * (messages sent to subscribers, not previews).
 */
export function readTemplateParameters(
	ctx: IExecuteFunctions,
	itemIndex: number,
	optionsParameter: string,
	tracking: boolean,
): TemplateParameters {
	const options = ctx.getNodeParameter(optionsParameter, itemIndex, {}) as IDataObject;
	const fromEmail = text(ctx.getNodeParameter('fromEmail', itemIndex, '')).trim();
	if (!fromEmail) {
		throw new ComposeError('invalid-address', 'The From e-mail is empty; enter the sender address');
	}
	const spec: TemplateSpec = {
		subject: text(ctx.getNodeParameter('subject', itemIndex, '')),
		html: text(ctx.getNodeParameter('html', itemIndex, '')),
		text: text(ctx.getNodeParameter('text', itemIndex, '')),
		from: { name: text(ctx.getNodeParameter('fromName', itemIndex, '')), address: fromEmail },
		replyTo: text(ctx.getNodeParameter('replyTo', itemIndex, '')).trim() || null,
	};
	const compose: TemplateParameters['options'] = {
		allowInsecureHttp: options.allowInsecureHttp === true,
		inlineCss: options.inlineCss === true,
		strict: options.strict === true,
		defaults: parseJsonObject(options.defaults, 'Default Values'),
		encoding: (options.encoding as MessageEncoding | undefined) ?? 'utf-8',
		unsubscribeMailto: text(options.unsubscribeMailto).trim() || null,
		messageIdDomain: text(options.messageIdDomain).trim() || null,
	};
	if (tracking) {
		compose.trackOpens = options.trackOpens === true;
		compose.trackClicks = options.trackClicks === true;
		compose.trackTextLinks = options.trackTextLinks === true;
		compose.trapLink = options.trapLink === true;
	}
	return { spec, options: compose };
}
