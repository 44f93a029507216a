/** What a render takes, checked and normalised: merge-field defaults, ids, attachments, addresses. */
import { ComposeError } from './errors';
import { hasControlCharacters, parseMailbox, sanitizeHeaderText } from './headerSafety';
import type {
	ComposeAttachment,
	MailAddress,
	MessageIdSource,
	RenderContext,
} from './types';

/** Merge-field names the engine provides; custom fields cannot shadow them at the top level. */
export const BUILT_IN_FIELDS = [
	'email',
	'name',
	'fields',
	'item',
	'subscriber',
	'unsubscribe_url',
	'preferences_url',
	'campaign_id',
	'confirm_url',
] as const;

type DefaultEntry = readonly [path: readonly string[], value: unknown];

export interface NormalisedDefaults {
	name?: unknown;
	email?: unknown;
	fields: DefaultEntry[];
	item: DefaultEntry[];
}

const hasOwn = Object.prototype.hasOwnProperty;

function isMissing(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function readPath(object: unknown, path: readonly string[]): unknown {
	let value = object;
	for (const key of path) {
		if (value === null || typeof value !== 'object' || !hasOwn.call(value, key)) return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/** Copy-on-write: the caller's objects are never changed. */
export function withDefaults(
	object: Record<string, unknown>,
	entries: readonly DefaultEntry[],
): Record<string, unknown> {
	let result = object;
	for (const [path, value] of entries) {
		if (!isMissing(readPath(result, path))) continue;
		const setAt = (target: unknown, depth: number): Record<string, unknown> => {
			const copy: Record<string, unknown> =
				target !== null && typeof target === 'object' && !Array.isArray(target)
					? { ...(target as Record<string, unknown>) }
					: {};
			copy[path[depth]] = depth === path.length - 1 ? value : setAt(copy[path[depth]], depth + 1);
			return copy;
		};
		result = setAt(result, 0);
	}
	return result;
}

export function normaliseDefaults(
	defaults: Record<string, unknown> | null | undefined,
): NormalisedDefaults {
	const result: NormalisedDefaults = { fields: [], item: [] };
	if (!defaults) return result;
	if (typeof defaults !== 'object' || Array.isArray(defaults)) {
		throw new ComposeError('invalid-option', 'Defaults must be an object of field name → value');
	}
	for (const [key, value] of Object.entries(defaults)) {
		const path = key.split('.').map((part) => part.trim());
		if (!key.trim() || path.some((part) => !part)) {
			throw new ComposeError('invalid-option', `Defaults: '${key}' is not a field name`);
		}
		if (value !== null && typeof value === 'object') {
			throw new ComposeError(
				'invalid-option',
				`Defaults: the default of '${key}' must be text or a number`,
			);
		}
		const [head, ...rest] = path;
		if ((head === 'name' || head === 'email') && rest.length === 0) {
			result[head] = value;
		} else if (head === 'fields' && rest.length) {
			result.fields.push([rest, value]);
		} else if (head === 'item' && rest.length) {
			result.item.push([rest, value]);
		} else if ((BUILT_IN_FIELDS as readonly string[]).includes(head)) {
			throw new ComposeError(
				'invalid-option',
				`Defaults: '${key}' is provided by the engine and cannot have a default`,
			);
		} else {
			result.fields.push([path, value]); // a top-level custom field name
		}
	}
	return result;
}

export function normaliseId(raw: unknown, label: string): string | null {
	if (raw === undefined || raw === null || raw === '') return null;
	if (typeof raw !== 'string' && typeof raw !== 'number') {
		throw new ComposeError('invalid-recipient', `${label} must be text or a number`);
	}
	const id = String(raw);
	if (hasControlCharacters(id) || id.length > 200) {
		throw new ComposeError(
			'invalid-recipient',
			`${label} '${id.slice(0, 40)}' contains control characters or is longer than 200 characters`,
		);
	}
	return id;
}

export function validateAttachments(attachments: unknown): ComposeAttachment[] {
	if (!Array.isArray(attachments)) {
		throw new ComposeError('invalid-attachment', 'Attachments must be a list');
	}
	return attachments.map((attachment: unknown, index) => {
		const a = (attachment ?? {}) as Record<string, unknown>;
		const label = `Attachment ${index + 1}`;
		if ('path' in a || 'href' in a || 'raw' in a) {
			throw new ComposeError(
				'invalid-attachment',
				`${label}: only in-memory content is accepted (no path, href or raw)`,
			);
		}
		if (!Buffer.isBuffer(a.content)) {
			throw new ComposeError('invalid-attachment', `${label}: content must be a Buffer`);
		}
		const filename = sanitizeHeaderText(a.filename).replace(/[\\/]/g, '_');
		if (!filename)
			throw new ComposeError('invalid-attachment', `${label}: a file name is required`);
		const contentType = String(a.contentType ?? 'application/octet-stream').trim();
		if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(contentType)) {
			throw new ComposeError(
				'invalid-attachment',
				`${label}: '${contentType.slice(0, 80)}' is not a MIME type like image/png`,
			);
		}
		const result: ComposeAttachment = { filename, content: a.content, contentType };
		if (a.cid !== undefined && a.cid !== null && a.cid !== '') {
			const cid = String(a.cid);
			if (!/^[A-Za-z0-9._@+-]{1,200}$/.test(cid)) {
				throw new ComposeError(
					'invalid-attachment',
					`${label}: content id '${cid.slice(0, 80)}' may only hold letters, digits and . _ @ + -`,
				);
			}
			result.cid = cid;
		}
		return result;
	});
}

/**
 * `"{{ item.team | default: "News" }}" <news@example.com>`: a display name that is a template
 * may hold quotes an address parser would take apart, so it is split off at the final `<…>`.
 */
export function parseTemplatedMailbox(input: unknown, label: string): MailAddress {
	if (typeof input === 'string' && /\{\{|\{%/.test(input) && !hasControlCharacters(input)) {
		const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/s.exec(input);
		if (match) {
			const quoted = /^"(.*)"$/s.exec(match[1]);
			return parseMailbox({ name: quoted ? quoted[1] : match[1], address: match[2] }, label);
		}
	}
	return parseMailbox(input, label);
}

export function messageIdSource(value: RenderContext['messageIdFrom']): MessageIdSource | null {
	if (value === undefined || value === null) return null;
	if (value === 'recipient') return value;
	const key = typeof value === 'object' ? String(value.key ?? '').trim() : '';
	if (!key) return null;
	if (key.length > 200) {
		throw new ComposeError('invalid-option', `The idempotency key is longer than 200 characters (${key.length})`);
	}
	return { key };
}

export function formatAddress(address: MailAddress): string {
	if (!address.name) return address.address;
	const name = /^[\w !#$%&'*+/=?^`{|}~-]*$/.test(address.name)
		? address.name
		: `"${address.name.replace(/(["\\])/g, '\\$1')}"`;
	return `${name} <${address.address}>`;
}
