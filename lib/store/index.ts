export * from './types';
export * from './bouncePolicy';
export * from './email';
export * from './linkTokens';
export * from './urls';
export { openStore, defaultStoreDir, resolveStoreFile, type StoreConfig, type SqliteStoreConfig, type PostgresStoreConfig } from './openStore';
export { SqlSubscriberStore } from './sqlStore';
export type { SqlDriver, SqlExecutor, Dialect } from './driver';
export { LATEST_SCHEMA_VERSION } from './migrations';
