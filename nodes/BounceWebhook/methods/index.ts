import { subscriberStoreConnectionTest } from '../../shared/storeCredential';
import { bounceWebhookCredentialTest } from './credentialTest';

export const credentialTest = { subscriberStoreConnectionTest, bounceWebhookCredentialTest };
