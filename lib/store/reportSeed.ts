/**
 * Bulk seeding of a synthetic campaign's history, for the report benchmark and tests: written
 * as set-based SQL (no classification, no webhook path). Not for production data.
 */
import type { SqlDriver } from './driver';

export interface SeedEventsInput {
	campaignId: string;
}

export async function seedCampaignEvents(_driver: SqlDriver, _input: SeedEventsInput): Promise<void> {
	throw new Error('seedCampaignEvents: not implemented yet');
}
