/**
 * The engine renders plain `{{ a.b }}` outputs without LiquidJS's generator machinery. These
 * tests render the same parsed templates both ways and require identical results (or the same
 * error), across values that trip up lookups: prototype names, empty values, objects, arrays.
 */
import { TemplateProgram, createSandboxedLiquid } from '../../../lib/compose/liquidEngine';
import { SourceMap } from '../../../lib/compose/liquidSource';

const TEMPLATES = [
	'{{ a }}',
	'{{ a.b }}',
	'{{ a.b.c }}',
	"{{ a | default: 'x' }}",
	'{{ a | default: 3 }}',
	'{{ a.b | default: "y" }}',
	"{{ a | default: '' }}",
	'{{ a | upcase }}',
	'{{ a | raw }}',
	'{{ a | escape }}',
	'{{ a.size }}',
	'{{ a.first }}',
	'{{ a[0] }}',
	'{{ a["b"] }}',
	'{{ b }}',
	'{{ b.c }} and {{ missing.deep.path }}',
	"{% assign a = 'assigned' %}{{ a }}",
	'{% capture a %}captured{% endcapture %}{{ a }}',
	'{% for x in list %}{{ x }}-{{ a }};{% endfor %}{{ x }}',
	'{% increment a %}{{ a }}',
	'{{ constructor }}|{{ toString }}|{{ hasOwnProperty }}|{{ __proto__ }}',
	'{{ a.constructor }}|{{ a.length }}|{{ a.toString }}',
	'<p title="{{ a }}">{{ a.b }}</p>{% if a %}yes{% else %}no{% endif %}',
];

const VALUES: unknown[] = [
	'text <&>"\'',
	'',
	0,
	12.5,
	false,
	true,
	null,
	undefined,
	[],
	[1, 'two'],
	{},
	{ b: { c: 'deep' } },
	{ b: '', c: null },
	{ b: 'x', toLiquid: 'not a function' },
	{ size: 7, first: 'f' },
	() => 'called',
];

function scopeFor(value: unknown): Record<string, unknown> {
	const scope: Record<string, unknown> = Object.create(null);
	if (value !== undefined) scope.a = value;
	scope.list = ['l1', 'l2'];
	return scope;
}

function outcome(program: TemplateProgram, scope: Record<string, unknown>, globals: object) {
	try {
		return { text: program.render(scope, globals) };
	} catch (error) {
		const e = error as {
			code?: string;
			field?: string;
			line?: number;
			column?: number;
			message: string;
		};
		return { error: { code: e.code, field: e.field, line: e.line, column: e.column } };
	}
}

describe.each([
	['HTML (escaped)', true, false],
	['text', false, false],
	['HTML, strict', true, true],
	['text, strict', false, true],
])('%s: fast path = LiquidJS', (_label, escapeHtml, strict) => {
	const liquid = createSandboxedLiquid({ escapeHtml, strict });
	test.each(TEMPLATES)('%s', (source) => {
		const templates = liquid.parse(source);
		const map = SourceMap.identity(source);
		const fast = new TemplateProgram('html', liquid, templates, map, strict, true);
		const reference = new TemplateProgram('html', liquid, templates, map, strict, false);
		for (const value of VALUES) {
			for (const globals of [{ b: { c: 'global' } }, {}]) {
				const expected = outcome(reference, scopeFor(value), globals);
				expect({ value, ...outcome(fast, scopeFor(value), globals) }).toEqual({
					value,
					...expected,
				});
			}
		}
	});
});

test('the fast path is really taken for plain outputs', () => {
	const liquid = createSandboxedLiquid({ escapeHtml: true, strict: false });
	const program = new TemplateProgram(
		'html',
		liquid,
		liquid.parse('<p>{{ a.b | default: "x" }}</p>'),
		SourceMap.identity(''),
		false,
		true,
	);
	const spy = jest.spyOn(liquid.renderer, 'renderTemplates');
	try {
		expect(program.render(scopeFor({ b: '<b>' }), {})).toBe('<p>&lt;b&gt;</p>');
		expect(spy).not.toHaveBeenCalled();
	} finally {
		spy.mockRestore();
	}
});
