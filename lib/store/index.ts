/**
 * The subscriber store (no n8n imports) and the one owner of SQL: the SqlSubscriberStore facade
 * the nodes use, and the repository functions of each table that the engine areas call inside
 * their own transactions (store.transaction). Nothing outside lib/store writes SQL.
 */
export * from './types';
export * from './bouncePolicy';
export * from './email';
export * from './linkTokens';
export * from './urls';
export { openStore, defaultStoreDir, resolveStoreFile, type StoreConfig, type SqliteStoreConfig, type PostgresStoreConfig } from './openStore';
export { SqlSubscriberStore } from './sqlStore';
export type { SqlDriver, SqlExecutor, Dialect } from './driver';
export { LATEST_SCHEMA_VERSION } from './migrations';
export * from './campaignTypes';
export {
	addToCounter,
	campaignExists,
	changeCampaign,
	checkCampaignId,
	complaintFigures,
	COUNTER_NAMES,
	getCampaign,
	insertCampaign,
	isCampaignId,
	listCampaigns,
	lockCampaigns,
	pauseCampaignIn,
	toCampaign,
	validateFilter,
	type CampaignStatusChange,
	type DecidedChange,
	type NewCampaign,
} from './campaigns';
export type { ClaimOptions, ClaimResult, FlushOutcome, LogResult, MarkResult, ReadyRecipient } from './sendLog';
export { campaignWithRemaining, SqlCampaignRuns, type RunEnd, type RunStart } from './campaignRuns';
export * from './recipients';
export { checkLimitAs } from './rows';
export { readSubscriberBrief } from './subscribers';
export { rememberEvents } from './processedEvents';
export { membershipsOfAddress, subscriberWithList, writeStatus, type AddressRow } from './subscribers';
export * from './confirmationSends';
export * from './consents';
export { isHashSuppressed } from './suppressions';
export * from './tables';
export { eraseListBatch, type ErasureCounts } from './erasure';
export { removeListRow } from './lists';
export { withSecureDelete } from './driver';
export {
	carryOverOptOuts,
	detachLiveFile,
	erasuresAfter,
	finishCopy,
	inspectSqliteBackup,
	openForBackup,
	prepareStagedCopy,
	saltOf,
	type Erasure,
	type StoreFileInspection,
} from './sqliteFiles';
export { acquireSqliteDriver, closeSharedSqliteDriver } from './sqliteDriver';
export { reviewOldBounces, type BounceReviewEntry, type BounceReviewOptions, type BounceReviewResult } from './bounceReview';
export {
	countProviderOutcomes,
	countSenderRefusal,
	holdPausedRecipients,
	pausedProviders,
	resumeProviders,
	type ProviderOutcome,
	type ProviderPause,
} from './providerPauses';
export { readAuditLog, recordAudit, recordAuditMany, type AuditRecord } from './auditLog';
export { compileSegment, type SegmentSql } from './segmentSql';
export * from './reportTypes';
export { recordHistoryIn, recordSendsIn, humanOpenSql, hadHumanOpen, type HistoryEvent, type HistoryOutcome } from './reportHistory';
export { localBucketStart, nextBucketStart, foldBuckets, checkTimeZone } from './reportBuckets';
export type { SeedEventsInput } from './reportSeed';
