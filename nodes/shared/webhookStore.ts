import type { ICredentialDataDecryptedObject, IWebhookFunctions } from 'n8n-workflow';
import type { LinkSigner } from '../../lib/store/linkTokens';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import type { Actor } from '../../lib/store/types';
import { cachedSigner, cachedStore } from '../../lib/webhook/storeCache';
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

export async function webhookStoreFromCredential(ctx: IWebhookFunctions): Promise<WebhookStore> {
	const credential = await ctx.getCredentials(STORE_CREDENTIAL);
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
