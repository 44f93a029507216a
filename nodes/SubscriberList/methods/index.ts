import { searchLists } from '../../shared/listSearch';
import { segmentListSearch, segmentLoadOptions } from '../../shared/segmentMethods';
import { subscriberStoreConnectionTest } from '../../shared/storeCredential';

export const credentialTest = { subscriberStoreConnectionTest };
export const listSearch = { searchLists, ...segmentListSearch };
export const loadOptions = { ...segmentLoadOptions };
