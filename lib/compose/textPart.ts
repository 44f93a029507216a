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

export type DerivedText =
	| { ok: true; source: string; sourceMap: SourceMap }
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
	const literalSafe = converted.replace(/\{(?=[{%])/g, "{{ '{' }}");

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
	return { ok: true, source: out, sourceMap: SourceMap.fromSegments(html, segments) };
}
