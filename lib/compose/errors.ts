import type { TemplateName } from './types';

export type ComposeErrorCode =
	| 'template-syntax'
	| 'unknown-field'
	| 'template-render'
	| 'invalid-option'
	| 'invalid-address'
	| 'invalid-recipient'
	| 'invalid-attachment'
	| 'css-inlining';

export interface ComposeErrorDetails {
	template?: TemplateName;
	line?: number;
	column?: number;
	/** The offending template text (a tag, an output or a variable path). */
	token?: string;
	/** The unknown merge field, for `unknown-field`. */
	field?: string;
}

/** Every error the engine throws on bad input: a stable code plus where the problem is. */
export class ComposeError extends Error {
	readonly code: ComposeErrorCode;
	readonly template?: TemplateName;
	readonly line?: number;
	readonly column?: number;
	readonly token?: string;
	readonly field?: string;

	constructor(code: ComposeErrorCode, message: string, details: ComposeErrorDetails = {}) {
		super(message);
		this.name = 'ComposeError';
		this.code = code;
		if (details.template !== undefined) this.template = details.template;
		if (details.line !== undefined) this.line = details.line;
		if (details.column !== undefined) this.column = details.column;
		if (details.token !== undefined) this.token = details.token;
		if (details.field !== undefined) this.field = details.field;
	}
}

export const TEMPLATE_LABELS: Record<TemplateName, string> = {
	subject: 'subject',
	html: 'HTML body',
	text: 'text body',
	from: 'From name',
	replyTo: 'Reply-To name',
};
