import type { IExecuteFunctions } from 'n8n-workflow';

import { compileTemplate, type CompiledTemplate, type ComposeOptions, type TemplateSpec } from '../../../lib/compose';
import { NO_BASE_URL_WARNING, readTemplateParameters, type LinkSettings } from '../../shared/template';

export interface ResolvedTemplate {
	template: CompiledTemplate;
	/** The HTML template source (which attachments it shows inline as cid:). */
	html: string;
	/** The engine's warnings plus the node's own (no public base URL). */
	warnings: string[];
}

function composeOptions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	links: LinkSettings,
	forCompose: boolean,
): { spec: TemplateSpec; options: ComposeOptions } {
	const { spec, options } = readTemplateParameters(ctx, itemIndex, 'options', forCompose);
	const compose: ComposeOptions = { baseUrl: links.baseUrl, secret: links.secret, ...options };
	if (forCompose && ctx.getNodeParameter('proof', itemIndex, false) === true) {
		compose.proofSubjectPrefix = String(ctx.getNodeParameter('proofSubjectPrefix', itemIndex, '[TEST] ') ?? '');
	}
	return { spec, options: compose };
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
		const { spec, options } = composeOptions(ctx, itemIndex, this.links, forCompose);
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
