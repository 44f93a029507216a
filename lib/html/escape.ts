const HTML_ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
	'`': '&#96;',
};

/**
 * Escapes text for HTML element content and quoted attribute values (the backtick too, for old
 * parsers that took it as an attribute quote). `null` and `undefined` become the empty string.
 */
export function escapeHtml(value: unknown): string {
	return String(value ?? '').replace(/[&<>"'`]/g, (char) => HTML_ESCAPES[char]);
}
