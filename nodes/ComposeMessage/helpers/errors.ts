import type { INode, NodeOperationError } from 'n8n-workflow';

import { ComposeError } from '../../../lib/compose';
import { itemError } from '../../shared/nodeHelpers';

const TEMPLATE_PARAMETERS: Record<string, string> = {
	subject: 'Subject',
	html: 'HTML',
	text: 'Text',
	from: 'From Name',
	replyTo: 'Reply-To',
};

/** What to do about a compose error, for the error's description in the editor. */
function describe(error: ComposeError): string | undefined {
	const parameter = error.template ? TEMPLATE_PARAMETERS[error.template] : undefined;
	let where = '';
	if (parameter) {
		const position = [
			error.line !== undefined ? `line ${error.line}` : '',
			error.column !== undefined ? `column ${error.column}` : '',
		].filter(Boolean);
		const near = error.token ? ` (near ${error.token.slice(0, 80)})` : '';
		where = `Look at the '${[`${parameter}' parameter`, ...position].join(', ')}${near}.`;
	}
	switch (error.code) {
		case 'template-syntax':
			return `${where} Merge fields are written {{ name }}, tags {% if fields.vip %}…{% endif %}.`.trim();
		case 'unknown-field':
			return `${where} Give the recipient the field, add it to 'Default Values', use {{ ${error.field ?? 'field'} | default: "…" }}, or turn off 'Strict Merge Fields'.`.trim();
		case 'template-render':
			return where || undefined;
		case 'invalid-recipient':
			return 'Check the Recipient parameters: by default they read email, name, id and fields from the input item, as the Subscriber List node outputs them.';
		case 'invalid-attachment':
			return "Check 'Attachments': it names binary fields of the input item, separated by commas.";
		default:
			return where || undefined;
	}
}

/**
 * A NodeOperationError for one item ("Item 3: …"); compose errors keep the template, line and
 * column in the message and say in the description what to fix.
 */
export function composeItemError(node: INode, itemIndex: number, error: unknown): NodeOperationError {
	return itemError(node, itemIndex, error, error instanceof ComposeError ? describe(error) : undefined);
}
