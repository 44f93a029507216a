import { convert } from 'html-to-text';

import { compileTemplate } from '../../../lib/compose';
import { htmlToTextOptions } from '../../../lib/compose/textPart';
import { LINKS, fixture, subscriber } from './helpers';

const FROM = 'News <news@example.com>';

describe('text part derived from the HTML template once', () => {
	const template = compileTemplate(
		{ subject: 's', html: fixture('newsletter.html'), from: FROM },
		LINKS,
	);

	test('the derived text template keeps merge fields, tags and link placeholders', () => {
		expect(template.textMode).toBe('derived');
		expect(template.warnings).toEqual([]);
		const derived = template.derivedTextTemplate as string;
		expect(derived).toContain('Hello {{ name | default: "there" }},');
		expect(derived).toContain('{% if fields.vip %}');
		expect(derived).toContain('{% endif %}');
		expect(derived).toContain('[https://shop.example.com/deals?plan={{ fields.plan }}&src=mail]');
		expect(derived).toContain('[{{ unsubscribe_url }}]');
		expect(derived).not.toMatch(/<\/?[a-z]/i);
	});

	test('rendered per recipient: values merged unescaped, conditions evaluated', () => {
		const vip = template.render(subscriber({ name: 'Tom & Jerry <TJ>' }), {
			item: { orderId: 'A-1' },
		});
		expect(vip.text).toContain('Hello Tom & Jerry <TJ>,');
		expect(vip.text).toContain('Your plan: pro. Order A-1 is on its way.');
		expect(vip.text).toContain('As a VIP you get 20% off.');
		expect(vip.text).toMatch(
			/Unsubscribe \[https:\/\/n8n\.example\.com\/webhook\/abc123\/bulk-mail\/unsubscribe\?t=[\w.-]+\]/,
		);
		const regular = template.render(subscriber({ fields: { plan: 'basic' } }));
		expect(regular.text).not.toContain('VIP');
		expect(regular.text).toContain(
			'See your deals [https://shop.example.com/deals?plan=basic&src=mail]',
		);
	});

	test('same text as converting each rendered HTML body (without wrapping)', () => {
		const unwrapped = compileTemplate(
			{ subject: 's', html: fixture('newsletter.html'), from: FROM },
			{ ...LINKS, textWordwrap: false },
		);
		for (const recipient of [
			subscriber(),
			subscriber({ name: '', fields: { plan: 'a&b', vip: false } }),
		]) {
			const message = unwrapped.render(recipient, { item: { orderId: 'Z<9>' } });
			expect(message.text).toBe(convert(message.html, htmlToTextOptions(false)));
		}
	});

	test.each([
		'<p>A</p>{% if fields.vip %}<p>B</p>{% endif %}<p>C</p>',
		'<div>A</div>\n{% for p in item.products %}\n<div>{{ p.name }}</div>\n{% endfor %}\n<div>C</div>',
		'{% if fields.vip %}<h2>VIP</h2>{% endif %}<p>text</p>{% if fields.vip %}<p>end</p>{% endif %}',
		'<ul>{% for p in item.products %}<li>{{ p.name }}</li>{% endfor %}</ul><p>after</p>',
		'<p>Hi {% if name %}{{ name }}{% else %}there{% endif %}!</p><br>{% unless fields.vip %}<p>join VIP</p>{% endunless %}',
	])(
		'conditions and loops between blocks give the converted spacing (up to trailing line breaks): %s',
		(html) => {
			const template = compileTemplate({ subject: 's', html, from: FROM }, { textWordwrap: false });
			expect(template.textMode).toBe('derived');
			for (const [recipient, products] of [
				[subscriber(), [{ name: 'Tea' }, { name: 'Rice' }]],
				[subscriber({ name: '', fields: { vip: false } }), []],
			] as const) {
				const message = template.render(recipient, { item: { products } });
				// (only a trailing <br> at the very end gives one line break less)
				expect(message.text.trimEnd()).toBe(
					convert(message.html, htmlToTextOptions(false)).trimEnd(),
				);
			}
		},
	);

	test('loops in tables and Liquid in attributes survive', () => {
		const table = compileTemplate(
			{
				subject: 's',
				html: '<table>{% for p in item.products %}<tr><td><a href="https://s.example.com/{{ p.id }}">{{ p.name }}</a></td></tr>{% endfor %}</table>',
				from: FROM,
			},
			{ textWordwrap: false },
		);
		expect(table.textMode).toBe('derived');
		const text = table.render(subscriber(), {
			item: {
				products: [
					{ id: 1, name: 'Tea' },
					{ id: 2, name: 'Rice' },
				],
			},
		}).text;
		// html-to-text runs layout-table rows together; the derived text does the same
		expect(text).toBe('Tea [https://s.example.com/1]Rice [https://s.example.com/2]');
	});

	test('characters that only look like Liquid after decoding stay literal', () => {
		const literal = compileTemplate({
			subject: 's',
			html: '<p>&#123;&#123; not liquid &#125;&#125; &#123;% x %&#125; {{ name }}</p>',
			from: FROM,
		});
		expect(literal.render(subscriber()).text).toBe('{{ not liquid }} {% x %} Taro Yamada');
	});

	test('a text template given by the user is used as is', () => {
		const own = compileTemplate({
			subject: 's',
			html: '<p>{{ name }}</p>',
			text: 'Dear {{ name }}',
			from: FROM,
		});
		expect(own.textMode).toBe('template');
		expect(own.render(subscriber()).text).toBe('Dear Taro Yamada');
	});

	test('when a Liquid tag sits where the conversion drops it, each body is converted instead (with a warning)', () => {
		const headTag = compileTemplate(
			{
				subject: 's',
				html: '<html><head>{% assign greeting = "Welcome" %}<title>x</title></head><body><p>{{ greeting }}, {{ name }}</p><a href="https://x.example.com">x</a></body></html>',
				from: FROM,
			},
			{ ...LINKS, listUnsubscribe: true, trackClicks: true },
		);
		expect(headTag.textMode).toBe('per-recipient');
		expect(headTag.warnings).toEqual([
			expect.stringMatching(/converted from the HTML for every recipient.*line 1, column 13/),
		]);
		const message = headTag.render(subscriber());
		expect(message.text).toBe('Welcome, Taro Yamada\n\nx [https://x.example.com]');
		expect(message.html).toContain('/click?t='); // the HTML is tracked, the text is not
	});
});
