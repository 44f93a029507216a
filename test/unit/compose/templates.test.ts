import { Liquid } from 'liquidjs';

import { compileTemplate, ComposeError } from '../../../lib/compose';
import { LINKS, fixture, subscriber } from './helpers';

const FROM = 'News <news@example.com>';

function compileError(fn: () => unknown): ComposeError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(ComposeError);
		return error as ComposeError;
	}
	throw new Error('expected a ComposeError');
}

describe('merge fields', () => {
	test('subscriber, custom fields (nested and top level), item, subscriber.* and campaign_id', () => {
		const template = compileTemplate({
			subject: '{{ name }} <{{ email }}>',
			text: '{{ fields.city }}|{{ city }}|{{ fields.address.zip }}|{{ item.order.id }}|{{ subscriber.id }}|{{ campaign_id }}',
			from: FROM,
		});
		const message = template.render(
			subscriber({ fields: { city: 'Tokyo', address: { zip: '100-0001' } } }),
			{ item: { order: { id: 'A-1' } }, campaignId: 'c9' },
		);
		expect(message.subject).toBe('Taro Yamada <taro@example.com>');
		expect(message.text).toBe('Tokyo|Tokyo|100-0001|A-1|sub-1|c9');
	});

	test('built-in names win over custom fields of the same name', () => {
		const template = compileTemplate({
			subject: 's',
			text: '{{ email }}/{{ fields.email }}',
			from: FROM,
		});
		expect(template.render(subscriber({ fields: { email: 'other@example.com' } })).text).toBe(
			'taro@example.com/other@example.com',
		);
	});

	test('numbers, booleans and Liquid logic work on custom fields', () => {
		const template = compileTemplate({
			subject: 's',
			text: '{{ points }} {% if vip %}VIP{% else %}regular{% endif %} {{ points | plus: 1 }}',
			from: FROM,
		});
		expect(template.render(subscriber({ fields: { points: 41, vip: false } })).text).toBe(
			'41 regular 42',
		);
	});
});

describe('missing fields and defaults', () => {
	const source =
		'Hi {{ name | default: "friend" }}, {{ fields.city | default: "your city" }}, {{ company }}, {{ item.orderId }}, {{ fields.tier }}';

	test('a missing field renders empty, `default` fills it', () => {
		const template = compileTemplate({ subject: 's', text: source, from: FROM });
		expect(template.render(subscriber({ name: '', fields: {} })).text).toBe(
			'Hi friend, your city, , , ',
		);
	});

	test('the defaults option fills name, fields.*, top-level custom fields and item.*', () => {
		const template = compileTemplate(
			{ subject: 'For {{ name }}', text: source, from: FROM },
			{
				defaults: {
					name: 'Customer',
					company: 'ACME',
					'item.orderId': 'n/a',
					'fields.tier': 'basic',
				},
			},
		);
		expect(template.render(subscriber({ name: null, fields: {} })).text).toBe(
			'Hi Customer, your city, ACME, n/a, basic',
		);
		expect(template.render(subscriber({ name: null, fields: {} })).subject).toBe('For Customer');
		// given values win; empty and null count as missing
		expect(
			template.render(subscriber({ fields: { company: 'Own', tier: '' } }), {
				item: { orderId: 'X' },
			}).text,
		).toBe('Hi Taro Yamada, your city, Own, X, basic');
	});

	test('defaults never change the caller’s objects', () => {
		const fields = Object.freeze({ city: 'Osaka' });
		const item = Object.freeze({});
		const template = compileTemplate(
			{ subject: 's', text: '{{ company }}{{ item.x }}', from: FROM },
			{ defaults: { company: 'A', 'item.x': 'B' } },
		);
		expect(template.render(subscriber({ fields }), { item }).text).toBe('AB');
		expect(fields).toEqual({ city: 'Osaka' });
		expect(item).toEqual({});
	});

	test('bad defaults are reported', () => {
		expect(() =>
			compileTemplate(
				{ subject: 's', text: 't', from: FROM },
				{ defaults: { unsubscribe_url: 'x' } },
			),
		).toThrow(/provided by the engine/);
		expect(() =>
			compileTemplate({ subject: 's', text: 't', from: FROM }, { defaults: { city: { a: 1 } } }),
		).toThrow(/must be text or a number/);
	});
});

describe('strict mode', () => {
	test('an unknown field fails, naming the field, template, line and column', () => {
		const template = compileTemplate(
			{ subject: 'Hi {{ name }}', html: '<p>\n  Hello {{ fields.citty }}</p>', from: FROM },
			{ strict: true },
		);
		const error = compileError(() => template.render(subscriber({ fields: { city: 'Tokyo' } })));
		expect(error).toMatchObject({
			code: 'unknown-field',
			field: 'fields.citty',
			template: 'html',
			line: 2,
			column: 12,
		});
		expect(error.message).toMatch(
			/HTML body template uses the unknown merge field 'fields\.citty' at line 2, column 12/,
		);
	});

	test('known fields, defaults and the default filter pass', () => {
		const template = compileTemplate(
			{
				subject: '{{ nickname | default: name }}',
				text: '{{ city }} {{ company }} {% if fields.vip %}v{% endif %}',
				from: FROM,
			},
			{ strict: true, defaults: { company: 'ACME' } },
		);
		expect(template.render(subscriber({ fields: { city: 'Kyoto', vip: true } })).text).toBe(
			'Kyoto ACME v',
		);
		expect(template.render(subscriber({ fields: { city: 'Kyoto' } })).subject).toBe('Taro Yamada');
	});

	test('unknown top-level and item fields are named too', () => {
		const template = compileTemplate(
			{ subject: '{{ item.order.id }}', text: '{{ nope }}', from: FROM },
			{ strict: true },
		);
		expect(compileError(() => template.render(subscriber(), { item: {} }))).toMatchObject({
			field: 'item.order',
			template: 'subject',
		});
		expect(
			compileError(() => template.render(subscriber(), { item: { order: { id: 1 } } })),
		).toMatchObject({
			field: 'nope',
			template: 'text',
			line: 1,
			column: 4,
		});
	});

	test('positions stay right after CSS inlining and link rewriting', () => {
		const html = fixture('newsletter.html').replace('{{ fields.plan }}.', '{{ fields.plann }}.');
		const template = compileTemplate(
			{ subject: 's', html, from: FROM },
			{ ...LINKS, strict: true, inlineCss: true, trackClicks: true, trackOpens: true },
		);
		const error = compileError(() => template.render(subscriber(), { item: { orderId: '1' } }));
		const line = html.split('\n').findIndex((l) => l.includes('fields.plann')) + 1;
		const column = html.split('\n')[line - 1].indexOf('fields.plann') + 1;
		expect(error).toMatchObject({ field: 'fields.plann', template: 'html', line, column });
	});
});

describe('syntax errors name the template, line, column and token', () => {
	test.each([
		['subject', { subject: 'Hi {{ name', text: 'x' }, 1, 4, '{{ name'],
		[
			'html',
			{ subject: 's', html: '<p>\n<b>{% if fields.vip %}VIP</b>\n</p>' },
			2,
			4,
			'{% if fields.vip %}',
		],
		['text', { subject: 's', text: 'line 1\nline 2 {{ fields[ }}' }, 2, 18, 'fields['], // LiquidJS points after the [
		['text', { subject: 's', text: 'a\n\n  {% endfor %}' }, 3, 3, '{% endfor %}'],
	])('%s template', (template, spec, line, column, token) => {
		const error = compileError(() => compileTemplate({ from: FROM, ...spec }));
		expect(error).toMatchObject({ code: 'template-syntax', template, line, column });
		expect(error.token).toContain(token.slice(0, 7));
		expect(error.message).toMatch(
			new RegExp(`Syntax error in the .* template at line ${line}, column ${column}: `),
		);
	});

	test('a From name can be a template, also with quotes inside', () => {
		const template = compileTemplate({
			subject: 's',
			text: 't',
			from: '"{{ item.team | default: "News" }} at ACME" <news@example.com>',
			replyTo: '{{ name }} via ACME <reply@example.com>',
		});
		const message = template.render(subscriber(), { item: {} });
		expect(message.from).toEqual({ name: 'News at ACME', address: 'news@example.com' });
		expect(message.replyTo).toEqual({ name: 'Taro Yamada via ACME', address: 'reply@example.com' });
		expect(template.render(subscriber(), { item: { team: 'Sales' } }).from.name).toBe(
			'Sales at ACME',
		);
	});

	test('an error in the From name template is reported as such', () => {
		const error = compileError(() =>
			compileTemplate({
				subject: 's',
				text: 't',
				from: { name: '{{ item.team', address: 'a@example.com' },
			}),
		);
		expect(error).toMatchObject({ code: 'template-syntax', template: 'from' });
	});

	test('positions are those of the user template even with CSS inlining and tracking on', () => {
		const html =
			'<style>p{color:red}</style>\n<p><a href="https://x.example.com">x</a>\n  {% if vip %}</p>';
		const error = compileError(() =>
			compileTemplate(
				{ subject: 's', html, from: FROM },
				{ ...LINKS, inlineCss: true, trackClicks: true },
			),
		);
		expect(error).toMatchObject({ template: 'html', line: 3, column: 3 });
	});
});

describe('compile once, render many', () => {
	test('rendering does not parse templates again', () => {
		const template = compileTemplate(
			{ subject: '{{ name }}', html: fixture('newsletter.html'), from: FROM },
			{ ...LINKS, trackClicks: true, trackOpens: true, inlineCss: true },
		);
		const parse = jest.spyOn(Liquid.prototype, 'parse');
		const parseAndRender = jest.spyOn(Liquid.prototype, 'parseAndRenderSync');
		try {
			for (let i = 0; i < 50; i++)
				template.render(subscriber({ id: `s${i}` }), { item: { orderId: i } });
			expect(parse).not.toHaveBeenCalled();
			expect(parseAndRender).not.toHaveBeenCalled();
		} finally {
			parse.mockRestore();
			parseAndRender.mockRestore();
		}
	});

	test('spec errors are clear', () => {
		expect(() => compileTemplate({ subject: 's', from: FROM })).toThrow(
			/An HTML body or a text body template is required/,
		);
		expect(() => compileTemplate({ subject: 's', text: 't', from: 'nobody' })).toThrow(
			/From: expected exactly one address/,
		);
		expect(() =>
			compileTemplate({ subject: 's', text: 't', from: FROM }, { encoding: 'latin1' as never }),
		).toThrow(/Encoding/);
		expect(() =>
			compileTemplate({ subject: 's', text: 't', from: FROM }, { headers: { Subject: 'x' } }),
		).toThrow(/set by the engine/);
	});

	test('recipients without a valid e-mail are refused with the reason', () => {
		const template = compileTemplate({ subject: 's', text: 't', from: FROM });
		expect(() => template.render({ email: '' })).toThrow(/not a valid e-mail address/);
		expect(() => template.render({ email: 'taro@example.com', fields: [] as never })).toThrow(
			/custom fields/,
		);
	});
});
