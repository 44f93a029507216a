import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type {
	VerifyFailure,
	VerifyResult,
	VerifySuccess,
	WebhookRequest,
} from '../../../lib/events';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'events');

export function fixtureText(name: string): string {
	return readFileSync(join(FIXTURES, name), 'utf8');
}

export function fixtureJson<T = Record<string, unknown>>(name: string): T {
	return JSON.parse(fixtureText(name)) as T;
}

/** A POST request as an adapter would build it. */
export function post(
	body: string | Buffer | object,
	headers: Record<string, string | string[] | undefined> = {},
): WebhookRequest {
	const rawBody = Buffer.isBuffer(body)
		? body
		: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
	return { method: 'POST', headers, rawBody };
}

export function basic(username: string, password: string): string {
	return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function expectOk(result: VerifyResult): VerifySuccess {
	if (!result.ok) throw new Error(`expected success, got ${result.status}: ${result.reason}`);
	return result;
}

export function expectFailure(
	result: VerifyResult,
	status: number,
	reason?: RegExp,
): VerifyFailure {
	if (result.ok)
		throw new Error(`expected a ${status} failure, got ${result.events.length} events`);
	expect(result.status).toBe(status);
	if (reason) expect(result.reason).toMatch(reason);
	expect(result).not.toHaveProperty('events');
	return result;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
