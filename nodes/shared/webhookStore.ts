import type { ICredentialDataDecryptedObject, IWebhookFunctions } from 'n8n-workflow';
import type { Actor, LinkSigner, SqlSubscriberStore } from '../../lib/store';
import { cachedSigner, cachedStore } from '../../lib/webhook';
import { STORE_CREDENTIAL, storeConfigFromCredential } from './storeCredential';

/**
 * The store behind a webhook trigger. Unlike an execution, a webhook request must not open the
 * store itself: the store stays open per credential configuration across requests (the cache
 * in lib/webhook), and is only opened once a request has been verified.
 */
export interface WebhookStore {
	credential: ICredentialDataDecryptedObject;
	store: () => Promise<SqlSubscriberStore>;
	/** The link signer, or null when the credential has no signing secret. */
	signer: () => LinkSigner | null;
}

/**
 * How long a webhook trigger reuses a credential it has read. n8n 2.x resolves a credential
 * through its expression sandbox (a fresh isolate each time): two reads per request cost more
 * than everything else a request does, so a trigger reads them at most this often. An edited
 * credential takes effect within this time.
 */
export const CREDENTIAL_TTL_MS = 30_000;

const credentialCache = new Map<string, { data: ICredentialDataDecryptedObject; expires: number }>();

/** `ctx.getCredentials(type)`, reused for CREDENTIAL_TTL_MS per credential id. */
export async function cachedCredentials(
	ctx: IWebhookFunctions,
	type: string,
	now: number = Date.now(),
): Promise<ICredentialDataDecryptedObject> {
	const id = ctx.getNode().credentials?.[type]?.id;
	if (!id) return ctx.getCredentials(type);
	const key = `${type}:${id}`;
	const hit = credentialCache.get(key);
	if (hit && hit.expires > now) return hit.data;
	const data = await ctx.getCredentials(type);
	if (credentialCache.size >= 64) credentialCache.clear();
	credentialCache.set(key, { data, expires: now + CREDENTIAL_TTL_MS });
	return data;
}

/** Forgets every cached credential (tests). */
export function clearCachedCredentials(): void {
	credentialCache.clear();
}

export async function webhookStoreFromCredential(ctx: IWebhookFunctions): Promise<WebhookStore> {
	const credential = await cachedCredentials(ctx, STORE_CREDENTIAL);
	return {
		credential,
		store: () => cachedStore(storeConfigFromCredential(credential)),
		signer: () => {
			const secret = String(credential.signingSecret ?? '');
			return secret ? cachedSigner(secret) : null;
		},
	};
}

/** Who made a change, as the audit log records it. */
export function webhookActor(ctx: IWebhookFunctions): Actor {
	const workflow = ctx.getWorkflow();
	return {
		type: 'webhook',
		id: String(workflow.id ?? 'unsaved'),
		name: `${workflow.name ?? 'workflow'} / ${ctx.getNode().name}`,
	};
}
