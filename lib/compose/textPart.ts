/**
 * Deriving the text part from the HTML template ONCE: Liquid constructs are swapped for
 * marker words, html-to-text converts the HTML, the markers are swapped back, and the result is
 * a text Liquid template rendered per recipient (converting per recipient costs ~1 ms each).
 */
import { compile as compileHtmlToText, type HtmlToTextOptions } from 'html-to-text';
import type { Liquid } from 'liquidjs';

import {
	SourceMap,
	makeMarkerNonce,
	markerPattern,
	maskConstructs,
	positionAt,
	type LiquidConstruct,
} from './liquidSource';

export function htmlToTextOptions(wordwrap: number | false | undefined): HtmlToTextOptions {
	const keepCase = { options: { uppercase: false } };
	// E-mail layout tables stay the default block format (dataTable would garble them).
	return {
		wordwrap: wordwrap === undefined ? 80 : wordwrap,
		selectors: [
			{ selector: 'img', format: 'skip' },
			{ selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
			...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, ...keepCase })),
		],
	};
}

/** A per-recipient converter for the slow fallback (HTML that cannot be derived once). */
export function makeHtmlToText(wordwrap: number | false | undefined): (html: string) => string {
	return compileHtmlToText(htmlToTextOptions(wordwrap));
}

export interface TidyFlags {
	/** Trim leading line breaks of the rendered text (the text starts with a block tag). */
	start: boolean;
	/** Trim trailing line breaks (the text ends with a block tag). */
	end: boolean;
}

/**
 * A tag between two blocks (`</p>{% if x %}<p>`) comes out of html-to-text as a paragraph of its
 * own. Such a tag-only line is glued to the start of the next content line: the line breaks
 * before it stay, and after it only those the next block needs beyond them
 * (max(0, after − before)). Then a condition that is false, a loop that repeats or runs zero
 * times leave the spacing the converted HTML would have (at most the ends differ: tidyDerivedText).
 */
function joinTagLines(
	text: string,
	marker: RegExp,
	constructs: readonly LiquidConstruct[],
): { text: string; tidy: TidyFlags } {
	const isTagOnly = (line: string): boolean => {
		if (!line.trim()) return false;
		let onlyTags = true;
		const rest = line.replace(marker, (_match, index: string) => {
			if (constructs[Number(index)]?.kind === 'output') onlyTags = false;
			return '';
		});
		return onlyTags && rest.trim() === '' && rest.length < line.length;
	};
	const lines = text.split('\n');
	const out: string[] = [];
	const tidy: TidyFlags = { start: false, end: false };
	let pending = '';
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		if (!isTagOnly(line)) {
			out.push(pending + line);
			pending = '';
			continue;
		}
		let blanksAfter = 0;
		while (i + 1 + blanksAfter < lines.length && !lines[i + 1 + blanksAfter].trim()) blanksAfter++;
		const atStart = !out.some((emitted) => emitted.trim()) && !pending;
		const atEnd = i + 1 + blanksAfter >= lines.length;
		let blanksBefore = 0;
		while (blanksBefore < out.length && !out[out.length - 1 - blanksBefore].trim()) blanksBefore++;
		const before = atStart ? 0 : blanksBefore + 1;
		const after = atEnd ? 0 : blanksAfter + 1;
		pending += line.trim() + (atStart ? '' : '\n'.repeat(Math.max(0, after - before)));
		if (atStart) tidy.start = true;
		if (atEnd) tidy.end = true;
		i += blanksAfter;
	}
	if (pending) {
		if (out.length) out[out.length - 1] += pending.replace(/\n+$/, '');
		else out.push(pending);
	}
	return { text: out.join('\n'), tidy };
}

/** The rendered derived text without the line breaks a leading/trailing block tag leaves. */
export function tidyDerivedText(text: string, tidy: TidyFlags): string {
	let start = 0;
	let end = text.length;
	if (tidy.start) while (start < end && text.charCodeAt(start) === 10) start++;
	if (tidy.end) while (end > start && text.charCodeAt(end - 1) === 10) end--;
	return start === 0 && end === text.length ? text : text.slice(start, end);
}

export type DerivedText =
	| { ok: true; source: string; sourceMap: SourceMap; tidy: TidyFlags }
	| { ok: false; reason: string };

/**
 * Converts the HTML template to a text template. Fails (the caller then converts per
 * recipient) when html-to-text drops or reorders a Liquid tag, e.g. one inside `<head>`.
 */
export function deriveTextTemplate(
	html: string,
	constructs: readonly LiquidConstruct[],
	textLiquid: Liquid,
	wordwrap: number | false | undefined,
): DerivedText {
	const nonce = makeMarkerNonce(html);
	const converted = compileHtmlToText(htmlToTextOptions(wordwrap))(
		maskConstructs(html, constructs, nonce),
	);
	// Text that html-to-text decoded to `{{` / `{%` (e.g. from &#123;&#123;) must stay literal.
	const { text: literalSafe, tidy } = joinTagLines(
		converted.replace(/\{(?=[{%])/g, "{{ '{' }}"),
		markerPattern(nonce),
		constructs,
	);

	const segments: Array<readonly [number, number, number]> = [];
	const seenTags: number[] = [];
	let out = '';
	let at = 0;
	for (const match of literalSafe.matchAll(markerPattern(nonce))) {
		const index = Number(match[1]);
		const construct = constructs[index];
		if (!construct) return { ok: false, reason: 'a placeholder was altered by the conversion' };
		out += literalSafe.slice(at, match.index);
		const text = html.slice(construct.start, construct.end);
		segments.push([out.length, out.length + text.length, construct.start]);
		out += text;
		at = (match.index as number) + match[0].length;
		if (construct.kind !== 'output') seenTags.push(index);
	}
	out += literalSafe.slice(at);

	const expectedTags = constructs.flatMap((c, i) => (c.kind === 'output' ? [] : [i]));
	if (
		seenTags.length !== expectedTags.length ||
		seenTags.some((index, i) => index !== expectedTags[i])
	) {
		const lost = expectedTags.find((index, i) => seenTags[i] !== index) as number;
		const { line, column } = positionAt(html, constructs[lost].start);
		return {
			ok: false,
			reason: `the Liquid tag at line ${line}, column ${column} of the HTML body is in a part the text conversion drops (e.g. <head> or <style>)`,
		};
	}
	try {
		textLiquid.parse(out);
	} catch (error) {
		return { ok: false, reason: `the derived text does not parse (${(error as Error).message})` };
	}
	return { ok: true, source: out, sourceMap: SourceMap.fromSegments(html, segments), tidy };
}
