import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openStore, type StoreConfig } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

export const PG_CONNECTION = {
	host: process.env.PGHOST_TEST ?? '127.0.0.1',
	port: Number(process.env.PGPORT_TEST ?? 5432),
	database: process.env.PGDATABASE_TEST ?? 'test',
	user: process.env.PGUSER_TEST ?? 'postgres',
	password: process.env.PGPASSWORD_TEST ?? '',
};

/** A fresh, empty store location per call: a temp folder for SQLite, a new schema for PostgreSQL. */
export interface StoreFixture {
	config: StoreConfig;
	open(): Promise<SqlSubscriberStore>;
	cleanup(): Promise<void>;
}

let counter = 0;

export function uniqueName(prefix: string): string {
	counter += 1;
	return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

export function storeFixture(backend: Backend): StoreFixture {
	if (backend === 'sqlite') {
		const baseDir = mkdtempSync(path.join(tmpdir(), 'bulk-mail-store-'));
		const config: StoreConfig = { backend: 'sqlite', file: 'test.sqlite', baseDir };
		return {
			config,
			open: () => openStore(config),
			cleanup: async () => rmSync(baseDir, { recursive: true, force: true }),
		};
	}
	const schema = uniqueName('bm_test').toLowerCase();
	const config: StoreConfig = { backend: 'postgres', ...PG_CONNECTION, schema };
	return {
		config,
		open: () => openStore(config),
		cleanup: async () => {
			const client = new Client(PG_CONNECTION);
			await client.connect();
			try {
				await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
			} finally {
				await client.end();
			}
		},
	};
}

/**
 * A fresh, empty store for each test of the calling describe block: opened before the test,
 * closed and removed after it. `reopen()` closes and opens the same location again.
 */
export function storePerTest(backend: Backend): { readonly store: SqlSubscriberStore; reopen(): Promise<SqlSubscriberStore> } {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;
	beforeEach(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
	});
	afterEach(async () => {
		await store.close();
		await fixture.cleanup();
	});
	return {
		get store() {
			return store;
		},
		async reopen() {
			await store.close();
			store = await fixture.open();
			return store;
		},
	};
}

/** Schema 9 undone (campaign audiences): the audience column and the send log's address key. */
const UNDO_9 = [
	'DROP INDEX send_log_address',
	'ALTER TABLE send_log DROP COLUMN address_key',
	'ALTER TABLE campaigns DROP COLUMN audience',
];

/** Schema 8 undone (campaign event history and report rollups), newest first. */
const UNDO_8 = [
	'DROP TABLE report_link_clickers',
	'DROP TABLE report_buckets',
	'DROP TABLE report_domains',
	'DROP TABLE report_links',
	'DROP TABLE report_counts',
	'DROP TABLE campaign_links',
	'DROP TABLE campaign_events',
	'ALTER TABLE send_log DROP COLUMN open_class',
	'ALTER TABLE send_log DROP COLUMN click_class',
	'ALTER TABLE send_log DROP COLUMN bounce_reason',
];

/**
 * Takes a store back to schema version 9 (before the match copy held every number). Migration 10
 * changed no schema, only what the copies hold: a test writes the old copies itself.
 */
export async function rollBackToSchemaVersion9(store: SqlSubscriberStore): Promise<void> {
	await store.sql.run("UPDATE bm_meta SET value = '9' WHERE key = 'schema_version'");
}

/**
 * Takes a store back to schema version 8 (before campaign audiences), so a test can check that
 * reopening it migrates campaigns and send logs written then.
 */
export async function rollBackToSchemaVersion8(store: SqlSubscriberStore): Promise<void> {
	for (const statement of UNDO_9) await store.sql.exec(statement);
	await store.sql.run("UPDATE bm_meta SET value = '8' WHERE key = 'schema_version'");
}

/** Takes a store back to schema version 7 (before the campaign event history), for migration 8's test. */
export async function rollBackToSchemaVersion7(store: SqlSubscriberStore): Promise<void> {
	for (const statement of [...UNDO_9, ...UNDO_8]) await store.sql.exec(statement);
	await store.sql.run("UPDATE bm_meta SET value = '7' WHERE key = 'schema_version'");
}

/** Takes a store back to schema version 6: undoes migrations 9, 8 and 7 (segments: the match copy, the send log's engagement indexes, saved segments), newest first. */
export async function rollBackToSchemaVersion6(store: SqlSubscriberStore): Promise<void> {
	for (const statement of [
		...UNDO_9,
		...UNDO_8,
		// 7: segments
		'ALTER TABLE subscribers DROP COLUMN email_fold',
		'ALTER TABLE subscribers DROP COLUMN name_fold',
		'ALTER TABLE subscribers DROP COLUMN fields_match',
		'DROP INDEX send_log_subscriber',
		'DROP INDEX send_log_opened',
		'DROP INDEX send_log_clicked',
		'DROP INDEX subscribers_list_status_key',
		'DROP TABLE segments',
	]) {
		await store.sql.exec(statement);
	}
	await store.sql.run("UPDATE bm_meta SET value = '6' WHERE key = 'schema_version'");
}

/**
 * Takes a store back to schema version 5 (before the bounce-reason and segment migrations), so a
 * test can check that reopening it migrates rows written then. Newest migration first.
 */
export async function rollBackToSchemaVersion5(store: SqlSubscriberStore): Promise<void> {
	await rollBackToSchemaVersion6(store);
	for (const statement of [
		// 6: bounce reasons and kinds, provider pauses
		'DROP TABLE campaign_provider_pauses',
		'DROP TABLE campaign_provider_stats',
		'ALTER TABLE campaigns DROP COLUMN sender_refused',
		'ALTER TABLE subscribers DROP COLUMN last_bounce_kind',
		'ALTER TABLE subscribers DROP COLUMN last_bounce_reason',
		'ALTER TABLE subscribers DROP COLUMN last_bounce_at',
	]) {
		await store.sql.exec(statement);
	}
	await store.sql.run("UPDATE bm_meta SET value = '5' WHERE key = 'schema_version'");
}
