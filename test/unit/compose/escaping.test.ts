import { compileTemplate, ComposeError } from '../../../lib/compose';
import { subscriber } from './helpers';

const FROM = 'News <news@example.com>';
const NASTY = `<script>alert("x")</script> & 'quotes'`;

describe('merge values: escaped in HTML, not in text or subject', () => {
	const template = compileTemplate({
		subject: 'Hi {{ name }} {{ fields.note }}',
		html: '<p title="{{ fields.note }}">Hi {{ name }}: {{ fields.note }}</p>',
		text: 'Hi {{ name }}: {{ fields.note }}',
		from: FROM,
	});
	const message = template.render(
		subscriber({ name: 'Tom & Jerry <TJ>', fields: { note: NASTY } }),
	);

	test('HTML body escapes every merge value, also inside attributes', () => {
		expect(message.html).toBe(
			'<p title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;">' +
				'Hi Tom &amp; Jerry &lt;TJ&gt;: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;</p>',
		);
		expect(message.html).not.toContain('<script>');
	});

	test('text body and subject keep the values as they are', () => {
		expect(message.text).toBe(`Hi Tom & Jerry <TJ>: ${NASTY}`);
		expect(message.subject).toBe(`Hi Tom & Jerry <TJ> ${NASTY}`);
	});

	test('the template HTML itself is not touched, | raw opts out of escaping', () => {
		const raw = compileTemplate({
			subject: 's',
			html: '<b>&nbsp;{{ fields.snippet | raw }}</b>',
			from: FROM,
		}).render(subscriber({ fields: { snippet: '<i>ok</i>' } }));
		expect(raw.html).toBe('<b>&nbsp;<i>ok</i></b>');
	});

	test('item values are escaped the same way', () => {
		const result = compileTemplate({ subject: 's', html: '{{ item.x }}', from: FROM }).render(
			subscriber(),
			{ item: { x: '<img src=x onerror=alert(1)>' } },
		);
		expect(result.html).toBe('&lt;img src=x onerror=alert(1)&gt;');
	});
});

describe('sandbox', () => {
	const render = (html: string, fields: Record<string, unknown> = {}) =>
		compileTemplate({ subject: 's', html, from: FROM }).render(subscriber({ fields })).html;

	test('no prototype access: constructor, __proto__, toString resolve to nothing', () => {
		expect(
			render(
				'[{{ name.constructor }}][{{ fields.constructor }}][{{ fields.__proto__ }}][{{ toString }}][{{ email.constructor.name }}]',
			),
		).toBe('[][][][][]');
	});

	test('no process, require or globalThis', () => {
		expect(
			render('[{{ process.env }}][{{ require }}][{{ globalThis.process }}][{{ global }}]'),
		).toBe('[][][][]');
	});

	test('strict mode rejects prototype paths as unknown fields', () => {
		const strict = compileTemplate(
			{ subject: 's', html: '{{ fields.constructor }}', from: FROM },
			{ strict: true },
		);
		expect(() => strict.render(subscriber())).toThrow(/unknown merge field 'fields.constructor'/);
	});

	test.each(['include', 'render', 'layout'])('{%% %s %%} is refused at compile time', (tag) => {
		expect(() =>
			compileTemplate({ subject: 's', html: `a {% ${tag} "/etc/passwd" %}`, from: FROM }),
		).toThrow(new RegExp(`\\{% ${tag} %\\} tag is not available`));
		try {
			compileTemplate({ subject: 's', html: `a {% ${tag} "/etc/passwd" %}`, from: FROM });
		} catch (error) {
			expect(error).toBeInstanceOf(ComposeError);
			expect((error as ComposeError).code).toBe('template-syntax');
			expect((error as ComposeError).template).toBe('html');
		}
	});

	test('unknown filters are errors, not silently ignored', () => {
		expect(() => compileTemplate({ subject: '{{ name | shout }}', text: 'x', from: FROM })).toThrow(
			/subject template.*undefined filter: shout/,
		);
	});

	test('a custom field holding a function-like name is just data', () => {
		expect(
			render('{{ fields.toLiquid }}|{{ fields.valueOf }}', { toLiquid: 'a', valueOf: 'b' }),
		).toBe('a|b');
	});

	test('a runaway loop hits the memory limit at once instead of hanging', () => {
		const template = compileTemplate({
			subject: 's',
			text: '{% for i in (1..100000000) %}{% for j in (1..100000000) %}x{% endfor %}{% endfor %}',
			from: FROM,
		});
		const started = Date.now();
		expect(() => template.render(subscriber())).toThrow(
			/text body template failed at line 1, column 1: memory alloc limit exceeded/,
		);
		expect(Date.now() - started).toBeLessThan(1_000);
	});
});
