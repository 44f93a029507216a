/** The one HTML escaping rule of the package (lib/html), used by the report and the webhook pages. */
import { escapeHtml } from '../../../lib/html';
import { escapeHtml as webhookEscape } from '../../../lib/webhook';

describe('escapeHtml', () => {
	it('escapes every character that can end text or a quoted attribute', () => {
		expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
	});

	it('writes nothing for null and undefined, and numbers as text', () => {
		expect(escapeHtml(null)).toBe('');
		expect(escapeHtml(undefined)).toBe('');
		expect(escapeHtml(3.5)).toBe('3.5');
	});

	it('is the same function for the webhook pages', () => {
		expect(webhookEscape).toBe(escapeHtml);
	});
});
