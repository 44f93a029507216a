import { getCampaignOptions, searchCampaigns, searchLists } from '../../shared/listSearch';
import { subscriberStoreConnectionTest } from '../../shared/storeCredential';
import { bulkMailRedisConnectionTest, bulkMailSmtpConnectionTest } from './credentialTest';

export const credentialTest = {
	bulkMailSmtpConnectionTest,
	bulkMailRedisConnectionTest,
	subscriberStoreConnectionTest,
};
export const listSearch = { searchLists, searchCampaigns };
export const loadOptions = { getCampaignOptions };
