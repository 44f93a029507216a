/**
 * Store operations the service promises (no n8n imports): online backups of the SQLite store
 * with N generations and a checked restore, a full export of a customer's data as CSV files,
 * and erasing a list entirely.
 *
 *   backupStore(store, { keep?: 7, backupDir?, verify?: true }) → BackupResult
 *     { file, bytes, pages, durationMs, kept: string[], deleted: string[] }
 *     SQLite: `<store folder>/backups/<name>-<YYYYMMDDTHHMMSS.sssZ>.sqlite`, taken with SQLite's
 *     backup API on its own connection in one step (a consistent snapshot while others write).
 *     PostgreSQL: StoreError 'refused' whose message gives the pg_dump command.
 *   backupSqliteFile(storeFile, options) — the same for a file path (scripts/backup.js).
 *   listBackups(storeFile, backupDir?) → BackupEntry[] (newest first); pruneBackups(…).
 *   inspectSqliteBackup(file) → { schemaVersion, lists, subscribers, suppressions, auditEntries,
 *     lastAuditSeq } or StoreError 'invalid' (not SQLite, integrity, not a store, too new).
 *   restoreSqliteStore({ storeFile, backupFile, keepDir?, keepLaterOptOuts?: true, actor? })
 *     → RestoreResult { restored, from, previous, schemaVersion, lists, subscribers,
 *       erasuresReapplied: { lists, subscribers }, optOutsCarriedOver: { suppressions,
 *       statuses }, warnings }. Refused while another process has the store open; closes this
 *     process's shared connection to it first. Erasures, suppressions and opt-out statuses of
 *     the replaced file that are newer than the backup are carried over.
 *   portableFiles(store, { fileNamePrefix? }) → PortableFile[] { table, fileName, description }
 *   portableCsv(store, table, { bom?: true, pageSize? }) → { stream, rows() }
 *   exportEverythingToFolder(store, folder, options) → ExportedFile[] { table, file, rows, bytes }
 *   eraseList(store, listIdOrName, actor, { batchSize?: 500, compact?: false }) → EraseListResult
 *     { listId, name, subscribersErased, suppressionsAdded, sendLogRedacted, walCheckpointed,
 *       compacted, durationMs }
 */
export {
	backupSqliteFile,
	backupStamp,
	backupStore,
	DEFAULT_GENERATIONS,
	defaultBackupDir,
	inspectSqliteBackup,
	listBackups,
	MAX_GENERATIONS,
	postgresBackupMessage,
	pruneBackups,
	restoreSqliteStore,
	type BackupEntry,
	type BackupOptions,
	type BackupResult,
	type RestoreOptions,
	type RestoreResult,
	type StoreFileInspection,
} from './backup';
export { eraseList, type EraseListOptions, type EraseListResult } from './eraseList';
export {
	exportEverythingToFolder,
	portableCsv,
	portableFiles,
	type ExportedFile,
	type PortableCsv,
	type PortableCsvOptions,
	type PortableFile,
	type PortableTable,
} from './portability';
