import { generateKeyPairSync, sign } from 'node:crypto';
import { createCampaign } from '../../../lib/campaign';
import { SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, signGenericPayload } from '../../../lib/events';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import type { Actor } from '../../../lib/store/types';
import type { HttpRequest } from '../../../lib/webhook';

export const actor: Actor = { type: 'test', id: 'webhook-tests' };
export const GENERIC_SECRET = 'generic-webhook-secret-for-tests';
export const LINK_SECRET = 'link-signing-secret-of-32-chars!';

const sendgridPair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
export const SENDGRID_PUBLIC_KEY = sendgridPair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function jsonPost(body: unknown, headers: Record<string, string> = {}): HttpRequest {
	const rawBody = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
	return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, rawBody };
}

/** A generic-format request signed with GENERIC_SECRET (or the given secret). */
export function genericRequest(events: unknown[], secret = GENERIC_SECRET): HttpRequest {
	const body = JSON.stringify({ events });
	return jsonPost(body, { 'X-Bulk-Mail-Signature': signGenericPayload(secret, body) });
}

/** A SendGrid Event Webhook request, ECDSA-signed like SendGrid signs it. */
export function sendgridRequest(records: unknown[]): HttpRequest {
	const body = JSON.stringify(records);
	const timestamp = String(nowSeconds());
	const signature = sign('sha256', Buffer.from(timestamp + body, 'utf8'), {
		key: sendgridPair.privateKey,
		dsaEncoding: 'der',
	});
	return jsonPost(body, {
		[SENDGRID_SIGNATURE_HEADER]: signature.toString('base64'),
		[SENDGRID_TIMESTAMP_HEADER]: timestamp,
	});
}

export function getRequest(query: Record<string, string>): HttpRequest {
	return { method: 'GET', headers: {}, query };
}

export interface Seeded {
	listId: string;
	ids: Record<string, string>;
}

/** A list with the given addresses, all active. */
export async function seedList(store: SqlSubscriberStore, emails: string[], listName = 'Newsletter'): Promise<Seeded> {
	const list = await store.createList({ name: listName }, actor);
	const ids: Record<string, string> = {};
	for (const email of emails) {
		const result = await store.upsertSubscriber(list.id, { email }, {}, actor);
		ids[email] = result.subscriber!.id;
	}
	return { listId: list.id, ids };
}

/** A running campaign whose send log holds the given subscribers as sent. */
export async function seedCampaign(
	store: SqlSubscriberStore,
	listId: string,
	subscriberIds: string[],
	counters: { sent?: number; delivered?: number } = {},
): Promise<string> {
	const campaign = await createCampaign(
		store,
		{ name: 'Spring news', listId, template: { subject: 'Hi', html: '<p>Hi</p>', from: 'news@sender.example' } },
		actor,
	);
	const at = new Date().toISOString();
	for (const id of subscriberIds) {
		await store.sql.run("INSERT INTO send_log (campaign_id, subscriber_id, state, updated_at) VALUES (?, ?, 'sent', ?)", [
			campaign.id,
			id,
			at,
		]);
	}
	await store.sql.run("UPDATE campaigns SET status = 'running', started_at = ?, sent = ?, delivered = ? WHERE id = ?", [
		at,
		counters.sent ?? subscriberIds.length,
		counters.delivered ?? 0,
		campaign.id,
	]);
	return campaign.id;
}

export async function campaignRow(store: SqlSubscriberStore, id: string): Promise<Record<string, unknown>> {
	const row = await store.sql.get('SELECT * FROM campaigns WHERE id = ?', [id]);
	if (!row) throw new Error(`no campaign ${id}`);
	const numbers: Record<string, unknown> = { ...row };
	for (const key of ['sent', 'bounced', 'complained', 'unsubscribed', 'opened', 'clicked', 'delivered']) {
		numbers[key] = Number(row[key]);
	}
	return numbers;
}

export async function count(store: SqlSubscriberStore, sql: string, params: unknown[] = []): Promise<number> {
	const row = await store.sql.get(sql, params);
	return Number(Object.values(row ?? { n: 0 })[0]);
}
