import { subscriberStoreConnectionTest } from '../../shared/storeCredential';
import { bounceMailboxConnectionTest } from './credentialTest';

export const credentialTest = { bounceMailboxConnectionTest, subscriberStoreConnectionTest };
