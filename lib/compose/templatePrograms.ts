/** The compiled Liquid programs of a template: display names and the (link-tracked) HTML body. */
import { randomBytes } from 'node:crypto';

import { inlineCss } from './cssInline';
import { sanitizeHeaderText } from './headerSafety';
import { TemplateProgram, createSandboxedLiquid, parseTemplate } from './liquidEngine';
import { SourceMap, positionAt, scanConstructs } from './liquidSource';
import { applyLinkPlan, planLinks } from './links';
import type { ComposeOptions, TemplateName } from './types';

export interface NameTemplate {
	static: string | null;
	program: TemplateProgram | null;
}

/** What compileHtmlProgram tracks, and where it reports untracked links and warnings. */
export interface HtmlTracking {
	trackClicks: boolean;
	trackOpens: boolean;
	/** The hidden trap link goes where the pixel goes. */
	trapLink: boolean;
	baseUrl: string;
	untracked: Set<string>;
	warnings: string[];
}

export function compileNameTemplate(
	name: string,
	template: TemplateName,
	liquid: ReturnType<typeof createSandboxedLiquid>,
): NameTemplate {
	if (!/\{\{|\{%/.test(name)) return { static: sanitizeHeaderText(name), program: null };
	return {
		static: null,
		program: new TemplateProgram(
			template,
			liquid,
			parseTemplate(liquid, name, template),
			SourceMap.identity(name),
			false,
			true,
		),
	};
}

export function compileHtmlProgram(
	source: string,
	options: ComposeOptions,
	strict: boolean,
	tracking: HtmlTracking,
): TemplateProgram {
	const nonce = randomBytes(6).toString('hex');
	const trackTag = `bmtrack${nonce}`;
	const pixelTag = `bmpixel${nonce}`;
	const liquid = createSandboxedLiquid({ escapeHtml: true, strict, trackTag, pixelTag });
	parseTemplate(liquid, source, 'html'); // errors point at the user's own line and column
	const constructs = scanConstructs(source, liquid);

	let working = options.inlineCss ? inlineCss(source, constructs) : source;
	if (tracking.trackClicks || tracking.trackOpens) {
		const plan = planLinks(working, scanConstructs(working, liquid), {
			trackClicks: tracking.trackClicks,
			// the pixel's place (before </body>) also takes the trap link
			trackOpens: tracking.trackOpens || tracking.trapLink,
			ownPrefix: `${tracking.baseUrl}/`,
			parses: (fragment) => {
				try {
					liquid.parse(fragment);
					return true;
				} catch {
					return false;
				}
			},
		});
		for (const url of plan.untracked) tracking.untracked.add(url);
		for (const skipped of plan.skipped) {
			const { line, column } = positionAt(working, skipped.offset);
			tracking.warnings.push(
				`The link at line ${line}, column ${column} of the HTML body is not click-tracked: ${skipped.reason}`,
			);
		}
		working = applyLinkPlan(working, plan, {
			track: trackTag,
			pixel: tracking.trackOpens || tracking.trapLink ? pixelTag : null,
		});
	}
	const finalConstructs = scanConstructs(
		working,
		liquid,
		new Set([trackTag, `end${trackTag}`, pixelTag]),
	);
	const sourceMap = SourceMap.fromConstructs(source, constructs, working, finalConstructs);
	return new TemplateProgram(
		'html',
		liquid,
		parseTemplate(liquid, working, 'html', sourceMap),
		sourceMap,
		strict,
		true,
		{ track: trackTag, pixel: pixelTag },
	);
}
