/**
 * The sandboxed LiquidJS setup and a compiled "program" per template.
 *
 * Sandbox: own properties only (no prototypes, no `constructor`), strict filters, no file
 * system (include/render/layout are refused at parse time and the template map is empty),
 * parse/render/memory limits.
 *
 * Speed: LiquidJS drives every node through generators, ~1–3 µs per `{{ }}`. A program keeps
 * LiquidJS's parse tree but renders the common top-level cases directly: literal HTML, plain
 * `{{ a.b }}` outputs with optional `default: "literal"` (and the HTML escape), and the link
 * tags. Everything else (if/for/assign, other filters, unusual values, strict-mode misses) is
 * rendered by LiquidJS itself with the same context, so semantics and error messages are
 * LiquidJS's own. `test/unit/compose/fastPath.test.ts` checks both paths give the same output.
 */
import {
	Context,
	Liquid,
	Output,
	Tag,
	TypeGuards,
	toValueSync,
	type Emitter,
	type Template,
	type TagToken,
	type TopLevelToken,
} from 'liquidjs';

import { ComposeError, TEMPLATE_LABELS } from './errors';
import { RENDER_STATE, endOfBodyTags, trackHref, type LinkRenderState } from './links';
import { SourceMap } from './liquidSource';
import type { TemplateName } from './types';

export interface SandboxOptions {
	escapeHtml: boolean;
	strict: boolean;
	/** Names of the link tags to register (HTML programs only). */
	trackTag?: string;
	pixelTag?: string;
}

const DISABLED_TAGS = ['include', 'render', 'layout'];

function disabledTag(name: string) {
	return class extends Tag {
		constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
			super(token, remainTokens, liquid);
			throw new Error(
				`the {% ${name} %} tag is not available in e-mail templates (no file access); put the content in the template itself`,
			);
		}
		*render(): Generator<unknown, void, unknown> {}
	};
}

type StateScope = { [RENDER_STATE]?: LinkRenderState };

/** `{% track %}href content{% endtrack %}`: see links.ts. */
function trackTag(name: string) {
	return class TrackTag extends Tag {
		readonly templates: Template[] = [];
		/** The href as written (merge fields unrendered). */
		source = '';
		constructor(
			token: TagToken,
			remainTokens: TopLevelToken[],
			liquid: Liquid,
			parser: { parseToken(token: TopLevelToken, remain: TopLevelToken[]): Template },
		) {
			super(token, remainTokens, liquid);
			while (remainTokens.length) {
				const next = remainTokens.shift() as TopLevelToken;
				if (TypeGuards.isTagToken(next) && next.name === `end${name}`) return;
				this.source += next.getText();
				this.templates.push(parser.parseToken(next, remainTokens));
			}
			throw new Error(`tag ${token.getText()} not closed`);
		}
		*render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
			const inner = (yield this.liquid.renderer.renderTemplates(this.templates, ctx)) as string;
			emitter.write(trackHref(inner, (ctx.environments as StateScope)[RENDER_STATE], this.source));
		}
	};
}

function pixelTag() {
	return class PixelTag extends Tag {
		*render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
			emitter.write(endOfBodyTags((ctx.environments as StateScope)[RENDER_STATE]));
		}
	};
}

export function createSandboxedLiquid(options: SandboxOptions): Liquid {
	const liquid = new Liquid({
		ownPropertyOnly: true,
		strictFilters: true,
		strictVariables: options.strict,
		lenientIf: true,
		templates: Object.create(null) as Record<string, string>,
		relativeReference: false,
		dynamicPartials: false,
		jsTruthy: false,
		outputEscape: options.escapeHtml ? 'escape' : undefined,
		// Generous for any e-mail, small enough that a hostile template fails fast.
		parseLimit: 5_000_000,
		renderLimit: 2_000,
		memoryLimit: 5_000_000,
	});
	for (const name of DISABLED_TAGS) liquid.registerTag(name, disabledTag(name));
	if (options.trackTag) liquid.registerTag(options.trackTag, trackTag(options.trackTag));
	if (options.pixelTag) liquid.registerTag(options.pixelTag, pixelTag());
	return liquid;
}

// ---------------------------------------------------------------------------------------------
// Programs

const FALLBACK = Symbol('fallback');
const SPECIAL_KEYS = new Set(['size', 'first', 'last']);

interface FastOutput {
	kind: 'out';
	path: string[];
	hasDefault: boolean;
	defaultValue: string | number;
	escape: boolean;
	node: Template;
}
interface GenericPart {
	kind: 'liquid';
	nodes: Template[];
}
interface TrackPart {
	kind: 'track';
	parts: Part[];
	/** The href as written (merge fields unrendered), for the campaign report's per-link figures. */
	source: string;
}
interface PixelPart {
	kind: 'pixel';
}
type Part = string | FastOutput | GenericPart | TrackPart | PixelPart;

interface Run {
	scope: Record<string | symbol, unknown>;
	globals: object;
	ctx: Context | null;
}

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&#34;',
	"'": '&#39;',
};
const ESCAPE_TEST = /[&<>"']/;

/** LiquidJS's `escape` filter, byte for byte. */
function escapeLikeLiquid(value: string): string {
	return ESCAPE_TEST.test(value) ? value.replace(/&|<|>|"|'/g, (c) => ESCAPES[c]) : value;
}

const hasOwn = Object.prototype.hasOwnProperty;

function isPlainData(value: unknown): value is Record<string, unknown> {
	return (
		value !== null &&
		typeof value === 'object' &&
		!Array.isArray(value) &&
		typeof (value as { toLiquid?: unknown }).toLiquid !== 'function'
	);
}

export class TemplateProgram {
	private readonly parts: Part[];

	constructor(
		readonly name: TemplateName,
		private readonly liquid: Liquid,
		readonly templates: Template[],
		private readonly sourceMap: SourceMap,
		private readonly strict: boolean,
		fastPath: boolean,
		tagNames: { track?: string; pixel?: string } = {},
	) {
		this.parts = fastPath
			? compileParts(templates, liquid, tagNames)
			: [{ kind: 'liquid', nodes: templates }];
	}

	/** True when the template is plain text without any Liquid. */
	get isStatic(): boolean {
		return this.parts.every((part) => typeof part === 'string');
	}

	render(scope: Record<string | symbol, unknown>, globals: object): string {
		const run: Run = { scope, globals, ctx: null };
		try {
			return this.renderParts(this.parts, run);
		} catch (error) {
			throw toComposeError(error, this.name, this.sourceMap);
		}
	}

	private renderParts(parts: Part[], run: Run): string {
		let out = '';
		for (let i = 0; i < parts.length; i++) {
			const part = parts[i];
			if (typeof part === 'string') {
				out += part;
				continue;
			}
			switch (part.kind) {
				case 'out': {
					const value = this.fastOutput(part, run);
					out += value === FALLBACK ? this.renderGeneric([part.node], run) : value;
					break;
				}
				case 'liquid':
					out += this.renderGeneric(part.nodes, run);
					break;
				case 'track':
					out += trackHref(
						this.renderParts(part.parts, run),
						run.scope[RENDER_STATE] as LinkRenderState | undefined,
						part.source,
					);
					break;
				case 'pixel':
					out += endOfBodyTags(run.scope[RENDER_STATE] as LinkRenderState | undefined);
					break;
			}
		}
		return out;
	}

	private renderGeneric(nodes: Template[], run: Run): string {
		if (!run.ctx) {
			run.ctx = new Context(run.scope, this.liquid.options, { sync: true, globals: run.globals });
		}
		return toValueSync(this.liquid.renderer.renderTemplates(nodes, run.ctx)) as string;
	}

	/** LiquidJS's lookup (scopes → environment → globals, own properties only), or FALLBACK. */
	private fastOutput(part: FastOutput, run: Run): string | typeof FALLBACK {
		const path = part.path;
		const first = path[0];
		let holder: object | undefined;
		if (run.ctx) {
			const scopes = (run.ctx as unknown as { scopes: object[] }).scopes;
			for (let i = scopes.length - 1; i >= 0; i--) {
				if (first in scopes[i]) {
					holder = scopes[i];
					break;
				}
			}
		}
		if (!holder) holder = first in run.scope ? run.scope : run.globals;
		let value: unknown = hasOwn.call(holder, first)
			? (holder as Record<string, unknown>)[first]
			: undefined;
		for (let i = 1; i < path.length && value !== undefined && value !== null; i++) {
			if (!isPlainData(value)) return FALLBACK;
			value = hasOwn.call(value, path[i]) ? value[path[i]] : undefined;
		}
		if (part.hasDefault) {
			if (value === undefined || value === null || value === false || value === '') {
				value = part.defaultValue;
			}
		} else if (value === undefined && this.strict) {
			return FALLBACK; // LiquidJS raises the unknown-field error with its position.
		}
		let text: string;
		switch (typeof value) {
			case 'string':
				text = value;
				break;
			case 'number':
			case 'boolean':
				text = String(value);
				break;
			case 'undefined':
				text = '';
				break;
			default:
				if (value === null) {
					text = '';
					break;
				}
				return FALLBACK;
		}
		return part.escape ? escapeLikeLiquid(text) : text;
	}
}

function compileParts(
	templates: Template[],
	liquid: Liquid,
	tagNames: { track?: string; pixel?: string },
): Part[] {
	const parts: Part[] = [];
	const push = (part: Part) => {
		const last = parts[parts.length - 1];
		if (typeof part === 'string' && typeof last === 'string') {
			parts[parts.length - 1] = last + part;
		} else if (
			typeof part !== 'string' &&
			part.kind === 'liquid' &&
			typeof last === 'object' &&
			last.kind === 'liquid'
		) {
			last.nodes.push(...part.nodes);
		} else {
			parts.push(part);
		}
	};
	for (const template of templates) {
		const token = (template as unknown as { token?: TopLevelToken }).token;
		if (
			token &&
			TypeGuards.isHTMLToken(token) &&
			typeof (template as { str?: unknown }).str === 'string'
		) {
			push((template as unknown as { str: string }).str);
			continue;
		}
		if (template instanceof Output) {
			const fast = fastOutputFor(template, liquid);
			push(fast ?? { kind: 'liquid', nodes: [template] });
			continue;
		}
		const tagName = token && TypeGuards.isTagToken(token) ? token.name : undefined;
		if (tagName !== undefined && tagName === tagNames.track) {
			push({
				kind: 'track',
				parts: compileParts(
					(template as unknown as { templates: Template[] }).templates,
					liquid,
					tagNames,
				),
				source: (template as unknown as { source?: string }).source ?? '',
			});
			continue;
		}
		if (tagName !== undefined && tagName === tagNames.pixel) {
			push({ kind: 'pixel' });
			continue;
		}
		push({ kind: 'liquid', nodes: [template] });
	}
	return parts;
}

interface ValueShape {
	initial: { postfix: unknown[] };
	filters: Array<{ name: string; handler: unknown; args: unknown[] }>;
}

/** A FastOutput when the output is `{{ a.b.c }}` [| default: "literal"] [| escape]. */
function fastOutputFor(template: Output, liquid: Liquid): FastOutput | null {
	const value = (template as unknown as { value: ValueShape }).value;
	const postfix = value.initial.postfix;
	if (postfix.length !== 1) return null;
	const access = postfix[0] as { variable?: unknown; props?: Array<{ content?: unknown }> };
	if (!TypeGuards.isPropertyAccessToken(postfix[0] as never) || access.variable || !access.props) {
		return null;
	}
	const path: string[] = [];
	for (const prop of access.props) {
		if (typeof prop.content !== 'string' || SPECIAL_KEYS.has(prop.content)) return null;
		if (TypeGuards.isNumberToken(prop as never)) return null;
		path.push(prop.content);
	}
	if (!path.length) return null;
	const escapeFilter = liquid.filters.escape;
	let filters = value.filters;
	let escape = false;
	if (filters.length && filters[filters.length - 1].handler === escapeFilter) {
		escape = true;
		filters = filters.slice(0, -1);
	}
	let hasDefault = false;
	let defaultValue: string | number = '';
	if (filters.length === 1 && filters[0].name === 'default' && filters[0].args.length === 1) {
		const arg = filters[0].args[0];
		if (Array.isArray(arg)) return null;
		if (TypeGuards.isQuotedToken(arg as never) || TypeGuards.isNumberToken(arg as never)) {
			const content = (arg as { content: unknown }).content;
			if (typeof content !== 'string' && typeof content !== 'number') return null;
			hasDefault = true;
			defaultValue = content;
		} else {
			return null;
		}
	} else if (filters.length) {
		return null;
	}
	return { kind: 'out', path, hasDefault, defaultValue, escape, node: template };
}

// ---------------------------------------------------------------------------------------------
// Errors

interface LiquidErrorShape {
	name?: string;
	message?: string;
	token?: { begin?: number; getText?: () => string; getPosition?: () => [number, number] };
	originalError?: { message?: string };
}

function baseMessage(message: string): string {
	return message
		.replace(/,\s*line:\d+,\s*col:\d+\s*$/s, '')
		.replace(/\s+/g, ' ')
		.trim();
}

function clip(text: string, max = 80): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** The `{{ … }}` / `{% … %}` around a position of the user's template, else its line. */
function snippetAt(source: string, position: { line: number; column: number }): string | undefined {
	const line = source.split('\n')[position.line - 1];
	if (line === undefined) return undefined;
	const at = position.column - 1;
	for (const match of line.matchAll(/\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)/g)) {
		const start = match.index as number;
		if (at >= start && at <= start + match[0].length) return clip(match[0]);
	}
	return clip(line) || undefined;
}

/** Converts a LiquidJS error into a ComposeError naming the template, line, column and token. */
export function toComposeError(
	error: unknown,
	template: TemplateName,
	sourceMap: SourceMap,
): ComposeError {
	if (error instanceof ComposeError) return error;
	const err = (error ?? {}) as LiquidErrorShape;
	const label = TEMPLATE_LABELS[template];
	const token = err.token;
	let position =
		token && typeof token.begin === 'number' ? sourceMap.position(token.begin) : undefined;
	if (!position && token?.getPosition) {
		const [line, column] = token.getPosition();
		position = { line, column };
	}
	let tokenText = token?.getText ? clip(token.getText()) : undefined;
	if (!tokenText && position) tokenText = snippetAt(sourceMap.original, position);
	const where = position ? ` at line ${position.line}, column ${position.column}` : '';
	const details = {
		template,
		line: position?.line,
		column: position?.column,
		token: tokenText,
	};
	const rawMessage = baseMessage(String(err.message ?? error));

	if (err.name === 'UndefinedVariableError') {
		const field =
			/undefined variable: ([^,\s]+)/.exec(err.originalError?.message ?? rawMessage)?.[1] ??
			tokenText ??
			'?';
		return new ComposeError(
			'unknown-field',
			`The ${label} template uses the unknown merge field '${field}'${where} (strict mode). Give the recipient that field, add it to Defaults, or write {{ ${field} | default: "…" }}`,
			{ ...details, field },
		);
	}
	if (err.name === 'TokenizationError' || err.name === 'ParseError') {
		return new ComposeError(
			'template-syntax',
			`Syntax error in the ${label} template${where}: ${rawMessage}${tokenText ? ` (near '${tokenText}')` : ''}`,
			details,
		);
	}
	return new ComposeError(
		'template-render',
		`The ${label} template failed${where}: ${rawMessage}${tokenText ? ` (in '${tokenText}')` : ''}`,
		details,
	);
}

/** Parses `source`, throwing a ComposeError with the user's line and column on failure. */
export function parseTemplate(
	liquid: Liquid,
	source: string,
	template: TemplateName,
	sourceMap: SourceMap = SourceMap.identity(source),
): Template[] {
	try {
		return liquid.parse(source);
	} catch (error) {
		throw toComposeError(error, template, sourceMap);
	}
}
