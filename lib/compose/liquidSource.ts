/**
 * Liquid constructs (`{{ … }}`, `{% … %}`, raw/comment blocks) located in a template's source,
 * so transformations at compile time (CSS inlining, text derivation, link wrapping) can hide
 * them from HTML tools and errors can still point at the user's own line and column.
 */
import { Tokenizer, TypeGuards, type Liquid, type TagToken, type TopLevelToken } from 'liquidjs';

export interface LiquidConstruct {
	start: number;
	end: number;
	/** `output` for `{{ }}`, `tag` for `{% %}`, `block` for a whole raw/comment block. */
	kind: 'output' | 'tag' | 'block';
}

function isTag(token: TopLevelToken): token is TagToken {
	return TypeGuards.isTagToken(token as never);
}

const OPAQUE_BLOCKS: Record<string, string> = { raw: 'endraw', comment: 'endcomment' };

/** The constructs of `source` in order; tags named in `skipTags` are left out. */
export function scanConstructs(
	source: string,
	liquid: Liquid,
	skipTags?: ReadonlySet<string>,
): LiquidConstruct[] {
	const tokens = new Tokenizer(source, liquid.options.operators).readTopLevelTokens(liquid.options);
	const constructs: LiquidConstruct[] = [];
	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i];
		if (TypeGuards.isOutputToken(token as never)) {
			constructs.push({ start: token.begin, end: token.end, kind: 'output' });
		} else if (isTag(token)) {
			if (skipTags?.has(token.name)) continue;
			const closer = OPAQUE_BLOCKS[token.name];
			if (closer) {
				let j = i + 1;
				while (j < tokens.length) {
					const candidate = tokens[j];
					if (isTag(candidate) && candidate.name === closer) break;
					j++;
				}
				const last = tokens[Math.min(j, tokens.length - 1)];
				constructs.push({ start: token.begin, end: last.end, kind: 'block' });
				i = j;
			} else {
				constructs.push({ start: token.begin, end: token.end, kind: 'tag' });
			}
		}
	}
	return constructs;
}

export interface Position {
	line: number;
	column: number;
}

export function positionAt(source: string, offset: number): Position {
	let line = 1;
	let lineStart = 0;
	const end = Math.min(Math.max(offset, 0), source.length);
	for (let i = 0; i < end; i++) {
		if (source.charCodeAt(i) === 10) {
			line++;
			lineStart = i + 1;
		}
	}
	return { line, column: end - lineStart + 1 };
}

/**
 * Maps offsets of a transformed template back to the user's source: construct i of the
 * transformed text is construct i of the original.
 */
export class SourceMap {
	private constructor(
		readonly original: string,
		private readonly segments: ReadonlyArray<readonly [number, number, number]> | null,
	) {}

	static identity(source: string): SourceMap {
		return new SourceMap(source, null);
	}

	/**
	 * Pairs the constructs of a transformed template with the user's by their text, in order
	 * (CSS inlining may copy an output into several elements or drop one).
	 */
	static fromConstructs(
		original: string,
		originalConstructs: readonly LiquidConstruct[],
		transformed: string,
		transformedConstructs: readonly LiquidConstruct[],
	): SourceMap {
		const segments: Array<readonly [number, number, number]> = [];
		const textOf = (source: string, c: LiquidConstruct) => source.slice(c.start, c.end);
		let next = 0;
		for (const construct of transformedConstructs) {
			const text = textOf(transformed, construct);
			let match = -1;
			for (let i = next; i < originalConstructs.length && match === -1; i++) {
				if (textOf(original, originalConstructs[i]) === text) match = i;
			}
			for (let i = 0; i < next && match === -1; i++) {
				if (textOf(original, originalConstructs[i]) === text) match = i;
			}
			if (match === -1) continue;
			segments.push([construct.start, construct.end, originalConstructs[match].start]);
			next = match + 1;
		}
		return new SourceMap(original, segments);
	}

	static fromSegments(
		original: string,
		segments: Array<readonly [number, number, number]>,
	): SourceMap {
		return new SourceMap(original, segments);
	}

	/** Line and column in the user's template, when the offset can be mapped. */
	position(transformedOffset: number): Position | undefined {
		if (this.segments === null) return positionAt(this.original, transformedOffset);
		for (const [start, end, originalStart] of this.segments) {
			if (transformedOffset >= start && transformedOffset < end) {
				return positionAt(this.original, originalStart + (transformedOffset - start));
			}
		}
		return undefined;
	}
}

/** A random marker alphabet that survives HTML tools and upper-casing: letters and digits. */
export function makeMarkerNonce(avoid: string): string {
	for (;;) {
		let nonce = '';
		for (let i = 0; i < 8; i++) nonce += 'ABCDEFGHJKLMNPQRSTUVWXYZ'[Math.floor(Math.random() * 24)];
		if (!avoid.toUpperCase().includes(nonce)) return nonce;
	}
}

/**
 * Replaces every construct by a marker word `Q<nonce>N<i>Z` that HTML tools keep as text.
 * `restoreMarkers` puts the constructs back.
 */
export function maskConstructs(
	source: string,
	constructs: readonly LiquidConstruct[],
	nonce: string,
): string {
	let out = '';
	let at = 0;
	constructs.forEach((c, i) => {
		out += source.slice(at, c.start) + markerFor(nonce, i);
		at = c.end;
	});
	return out + source.slice(at);
}

export function markerFor(nonce: string, index: number): string {
	return `Q${nonce}N${index}Z`;
}

export function markerPattern(nonce: string): RegExp {
	return new RegExp(`Q${nonce}N(\\d+)Z`, 'gi');
}
