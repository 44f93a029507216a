import { compileTemplate, ComposeError } from '../../../lib/compose';
import { subscriber } from './helpers';

const FROM = 'News <news@example.com>';

describe('CSS inlining (juice, once at compile time)', () => {
	test('style rules move into style attributes; merge fields still work', () => {
		const template = compileTemplate(
			{
				subject: 's',
				html: '<html><head><style>p { color: red; } .big { font-size: 20px }</style></head><body><p class="big">Hi {{ name }}</p></body></html>',
				from: FROM,
			},
			{ inlineCss: true },
		);
		const html = template.render(subscriber()).html;
		expect(html).toContain(
			'<p class="big" style="color: red; font-size: 20px;">Hi Taro Yamada</p>',
		);
		expect(html).not.toContain('<style>');
	});

	test('Liquid in attributes, comparisons and entities come through unchanged', () => {
		const source =
			'<style>a { color: blue }</style><p>{% if fields.points > 10 %}many &amp; more{% endif %}</p>' +
			'<a href="https://x.example.com/?a={{ fields.plan }}&amp;b=1" title="{{ name | upcase }}">x</a>';
		const template = compileTemplate(
			{ subject: 's', html: source, from: FROM },
			{ inlineCss: true },
		);
		const html = template.render(subscriber({ fields: { points: 11, plan: 'pro' } })).html;
		expect(html).toBe(
			'<p>many &amp; more</p><a href="https://x.example.com/?a=pro&amp;b=1" title="TARO YAMADA" style="color: blue;">x</a>',
		);
	});

	test('media queries are kept in a style block', () => {
		const template = compileTemplate(
			{
				subject: 's',
				html: '<style>p{margin:0} @media (max-width: 600px) { p { margin: 4px } }</style><p>x</p>',
				from: FROM,
			},
			{ inlineCss: true },
		);
		const html = template.render(subscriber()).html;
		expect(html).toContain('<p style="margin: 0;">x</p>');
		expect(html).toMatch(/@media \(max-width: 600px\)/);
	});

	test('a merge field in a style rule is inlined with the rule', () => {
		const template = compileTemplate(
			{
				subject: 's',
				html: '<style>p { color: {{ fields.color }}; }</style><p>a</p><p>b</p>',
				from: FROM,
			},
			{ inlineCss: true },
		);
		expect(template.render(subscriber({ fields: { color: 'green' } })).html).toBe(
			'<p style="color: green;">a</p><p style="color: green;">b</p>',
		);
	});

	test('an unknown field copied into several elements is reported at its place in the style block', () => {
		const template = compileTemplate(
			{
				subject: 's',
				html: '<style>\np { color: {{ fields.colr }}; }</style><p>a</p><p>b</p>',
				from: FROM,
			},
			{ inlineCss: true, strict: true },
		);
		expect(() => template.render(subscriber())).toThrow(
			expect.objectContaining({ code: 'unknown-field', field: 'fields.colr', line: 2, column: 15 }),
		);
	});

	test('a Liquid tag inside a style block is reported, with its line', () => {
		let error: ComposeError | undefined;
		try {
			compileTemplate(
				{
					subject: 's',
					html: '<style>\n{% if fields.vip %} p { color: gold; } {% endif %}\n</style><p>x</p>',
					from: FROM,
				},
				{ inlineCss: true },
			);
		} catch (e) {
			error = e as ComposeError;
		}
		expect(error).toBeInstanceOf(ComposeError);
		expect(error).toMatchObject({ code: 'css-inlining', template: 'html', line: 2, column: 1 });
		expect(error?.message).toMatch(/turn CSS inlining off/);
	});

	test('off by default: the template is used as written', () => {
		const html = '<style>p{color:red}</style><p>{{ name }}</p>';
		expect(compileTemplate({ subject: 's', html, from: FROM }).render(subscriber()).html).toBe(
			'<style>p{color:red}</style><p>Taro Yamada</p>',
		);
	});
});
