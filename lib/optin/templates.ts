/**
 * The confirmation message used when the Send Confirmation operation is given no template of its
 * own, in English and Japanese. Liquid, like every Compose template: `{{ confirm_url }}` is the
 * signed confirm link, `{{ item.list_name }}` the list's name.
 */
export type ConfirmationLanguage = 'en' | 'ja';

export interface ConfirmationTemplateText {
	subject: string;
	html: string;
	text: string;
}

export const DEFAULT_CONFIRMATION_TEMPLATES: Record<ConfirmationLanguage, ConfirmationTemplateText> = {
	en: {
		subject: 'Please confirm your subscription to {{ item.list_name }}',
		html: `<!DOCTYPE html>
<html lang="en"><body>
<p>Hello{% if name != "" %} {{ name }}{% endif %},</p>
<p>We received a request to send “{{ item.list_name }}” to {{ email }}. Please confirm it:</p>
<p><a href="{{ confirm_url }}">Confirm my subscription</a></p>
<p>If you did not ask for this, ignore this message: you will not be added and will not hear from us again.</p>
</body></html>`,
		text: `Hello{% if name != "" %} {{ name }}{% endif %},

We received a request to send "{{ item.list_name }}" to {{ email }}. Please confirm it:

{{ confirm_url }}

If you did not ask for this, ignore this message: you will not be added and will not hear from us again.
`,
	},
	ja: {
		subject: '【{{ item.list_name }}】購読登録の確認をお願いします',
		html: `<!DOCTYPE html>
<html lang="ja"><body>
<p>{% if name != "" %}{{ name }} 様{% else %}ご登録ありがとうございます。{% endif %}</p>
<p>「{{ item.list_name }}」の配信登録（{{ email }}）を受け付けました。以下のリンクから登録を確定してください。</p>
<p><a href="{{ confirm_url }}">登録を確定する</a></p>
<p>お心当たりのない場合は、このメールを破棄してください。確定されない限り、登録も配信も行われません。</p>
</body></html>`,
		text: `{% if name != "" %}{{ name }} 様{% else %}ご登録ありがとうございます。{% endif %}

「{{ item.list_name }}」の配信登録（{{ email }}）を受け付けました。以下のリンクから登録を確定してください。

{{ confirm_url }}

お心当たりのない場合は、このメールを破棄してください。確定されない限り、登録も配信も行われません。
`,
	},
};
