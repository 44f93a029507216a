import { getCampaignOptions, searchCampaigns, searchLists } from '../../shared/listSearch';
import { segmentListSearch, segmentLoadOptions } from '../../shared/segmentMethods';
import { subscriberStoreConnectionTest } from '../../shared/storeCredential';
import { bulkMailRedisConnectionTest, bulkMailSmtpConnectionTest } from './credentialTest';

export const credentialTest = {
	bulkMailSmtpConnectionTest,
	bulkMailRedisConnectionTest,
	subscriberStoreConnectionTest,
};
export const listSearch = { searchLists, searchCampaigns, ...segmentListSearch };
export const loadOptions = { getCampaignOptions, ...segmentLoadOptions };
