import { searchLists } from '../../shared/listSearch';
import { subscriberStoreConnectionTest } from '../../shared/storeCredential';

export const credentialTest = { subscriberStoreConnectionTest };
export const listSearch = { searchLists };
