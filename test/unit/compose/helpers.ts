import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import nodemailer from 'nodemailer';

import { toSendMailOptions, type ComposedMessage, type Recipient } from '../../../lib/compose';

export const SECRET = 'compose-test-secret-0123456789';
export const BASE_URL = 'https://n8n.example.com/webhook/abc123/bulk-mail';
export const LINKS = { baseUrl: BASE_URL, secret: SECRET };

export function fixture(name: string): string {
	return readFileSync(join(__dirname, '../../fixtures/compose', name), 'utf8');
}

export function subscriber(overrides: Partial<Recipient> = {}): Recipient {
	return {
		id: 'sub-1',
		email: 'taro@example.com',
		name: 'Taro Yamada',
		fields: { plan: 'pro', vip: true, company: 'ACME' },
		...overrides,
	};
}

/** The raw RFC 5322 message nodemailer builds for a composed message (stream transport). */
export async function buildRawMessage(message: ComposedMessage): Promise<string> {
	const transport = nodemailer.createTransport({
		streamTransport: true,
		buffer: true,
		newline: 'windows',
	});
	const info = await transport.sendMail(toSendMailOptions(message));
	return (info.message as Buffer).toString('latin1');
}

export interface HeaderLine {
	name: string;
	value: string;
}

/** Top-level header fields of a raw message, unfolded. */
export function topLevelHeaders(raw: string): HeaderLine[] {
	const end = raw.indexOf('\r\n\r\n');
	const block = raw.slice(0, end === -1 ? raw.length : end);
	const unfolded = block.replace(/\r\n(?=[ \t])/g, '');
	return unfolded.split('\r\n').map((line) => {
		const colon = line.indexOf(':');
		return { name: line.slice(0, colon), value: line.slice(colon + 1).trim() };
	});
}

export function headerNames(raw: string): string[] {
	return topLevelHeaders(raw).map((h) => h.name.toLowerCase());
}
