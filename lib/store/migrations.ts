import { randomBytes } from 'node:crypto';
import type { Dialect, SqlDriver, SqlExecutor } from './driver';
import { MATCH_COPY_COLUMNS, refreshMatchCopies } from './matchCopy';
import { backfillReportRollups, REPORT_TABLES } from './reportSchema';

/**
 * Versioned schema migrations. Each runs once, in order, inside one transaction that first takes
 * a store-wide lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two processes
 * starting at once apply each migration exactly once.
 *
 * Timestamps are ISO-8601 UTC text and JSON is text on both backends, so both behave the same.
 */
interface Migration {
	version: number;
	description: string;
	statements: (dialect: Dialect) => string[];
	/** Fills what SQL alone cannot (values computed in JavaScript), after the statements. */
	backfill?: (tx: SqlExecutor) => Promise<unknown>;
}

const id = (dialect: Dialect) =>
	dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
const ref = (dialect: Dialect) => (dialect === 'sqlite' ? 'INTEGER' : 'BIGINT');

function appendOnly(dialect: Dialect, table: string): string[] {
	if (dialect === 'sqlite') {
		return ['UPDATE', 'DELETE'].map(
			(op) =>
				`CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table} ` +
				`BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
		);
	}
	return [
		`CREATE OR REPLACE FUNCTION ${table}_append_only() RETURNS trigger LANGUAGE plpgsql AS ` +
			`$$ BEGIN RAISE EXCEPTION '${table} is append-only'; END $$`,
		`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} ` +
			`FOR EACH ROW EXECUTE FUNCTION ${table}_append_only()`,
	];
}

export const MIGRATIONS: Migration[] = [
	{
		version: 1,
		description: 'lists, subscribers, suppressions, audit log, processed events',
		statements: (d) => [
			`CREATE TABLE lists (
				id ${id(d)},
				name TEXT NOT NULL,
				name_key TEXT NOT NULL UNIQUE,
				description TEXT NOT NULL DEFAULT '',
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL
			)`,
			`CREATE TABLE subscribers (
				id ${id(d)},
				list_id ${ref(d)} NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
				email TEXT NOT NULL,
				email_key TEXT NOT NULL,
				email_lower TEXT NOT NULL,
				name TEXT NOT NULL DEFAULT '',
				fields TEXT NOT NULL DEFAULT '{}',
				status TEXT NOT NULL,
				hard_bounces INTEGER NOT NULL DEFAULT 0,
				soft_bounces INTEGER NOT NULL DEFAULT 0,
				soft_bounce_times TEXT NOT NULL DEFAULT '[]',
				complaints INTEGER NOT NULL DEFAULT 0,
				last_error TEXT,
				last_event_at TEXT,
				source TEXT NOT NULL DEFAULT '',
				import_run TEXT,
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL,
				UNIQUE (list_id, email_key)
			)`,
			'CREATE INDEX subscribers_email_lower ON subscribers (email_lower)',
			'CREATE INDEX subscribers_list_status ON subscribers (list_id, status, id)',
			`CREATE TABLE suppressions (
				hash TEXT PRIMARY KEY,
				email TEXT,
				reason TEXT NOT NULL,
				source TEXT NOT NULL,
				created_at TEXT NOT NULL
			)`,
			`CREATE TABLE audit_log (
				seq ${id(d)},
				id TEXT NOT NULL UNIQUE,
				at TEXT NOT NULL,
				actor TEXT NOT NULL,
				action TEXT NOT NULL,
				entity_type TEXT NOT NULL,
				entity_id TEXT,
				details TEXT NOT NULL
			)`,
			'CREATE INDEX audit_log_entity ON audit_log (entity_id, seq)',
			...appendOnly(d, 'audit_log'),
			`CREATE TABLE processed_events (
				event_id TEXT PRIMARY KEY,
				processed_at TEXT NOT NULL
			)`,
		],
	},
	{
		version: 2,
		description: 'campaigns and their send log (lib/campaign)',
		statements: (d) => [
			// list_id has no foreign key: a campaign's history outlives a deleted list.
			`CREATE TABLE campaigns (
				id ${id(d)},
				name TEXT NOT NULL,
				list_id ${ref(d)} NOT NULL,
				filter TEXT NOT NULL DEFAULT '{}',
				template TEXT NOT NULL,
				sender TEXT NOT NULL DEFAULT '{}',
				status TEXT NOT NULL,
				send_at TEXT,
				max_subscriber_id ${ref(d)},
				next_subscriber_id ${ref(d)} NOT NULL DEFAULT 0,
				total_recipients INTEGER,
				sent INTEGER NOT NULL DEFAULT 0,
				failed INTEGER NOT NULL DEFAULT 0,
				unknown INTEGER NOT NULL DEFAULT 0,
				skipped INTEGER NOT NULL DEFAULT 0,
				bounced INTEGER NOT NULL DEFAULT 0,
				complained INTEGER NOT NULL DEFAULT 0,
				unsubscribed INTEGER NOT NULL DEFAULT 0,
				opened INTEGER NOT NULL DEFAULT 0,
				clicked INTEGER NOT NULL DEFAULT 0,
				delivered INTEGER NOT NULL DEFAULT 0,
				pause_reason TEXT,
				last_error TEXT,
				created_by TEXT NOT NULL DEFAULT '{}',
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL,
				started_at TEXT,
				finished_at TEXT
			)`,
			'CREATE INDEX campaigns_status ON campaigns (status, id)',
			// subscriber_id has no foreign key either: the log is the campaign's record, and an
			// erased or deleted subscriber's row stays (without personal data, which lives in
			// subscribers only).
			`CREATE TABLE send_log (
				campaign_id ${ref(d)} NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
				subscriber_id ${ref(d)} NOT NULL,
				state TEXT NOT NULL,
				owner TEXT,
				lease_until TEXT,
				attempts INTEGER NOT NULL DEFAULT 0,
				message_id TEXT,
				response TEXT,
				response_code INTEGER,
				error TEXT,
				opened_at TEXT,
				clicked_at TEXT,
				bounced_at TEXT,
				complained_at TEXT,
				unsubscribed_at TEXT,
				delivered_at TEXT,
				updated_at TEXT NOT NULL,
				PRIMARY KEY (campaign_id, subscriber_id)
			)${d === 'sqlite' ? ' WITHOUT ROWID' : ''}`,
			'CREATE INDEX send_log_state ON send_log (campaign_id, state, subscriber_id)',
		],
	},
	{
		version: 3,
		description: 'double opt-in: consent records and confirmation re-send limits (lib/optin)',
		statements: (d) => [
			// How and when a subscriber confirmed. The IP address and user agent are personal data,
			// so they live here (removed with the subscriber row, blanked by an erase) and not in the
			// append-only audit log, whose `subscriber.confirm` entry names this record.
			`CREATE TABLE consents (
				id ${id(d)},
				subscriber_id ${ref(d)} NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
				list_id ${ref(d)} NOT NULL,
				method TEXT NOT NULL,
				source TEXT NOT NULL DEFAULT '',
				ip TEXT,
				user_agent TEXT,
				requested_at TEXT,
				confirmed_at TEXT NOT NULL
			)`,
			'CREATE INDEX consents_subscriber ON consents (subscriber_id, id)',
			// Confirmation mails sent per address (salted hash, as on the suppression list), so a
			// form cannot be used to mail-bomb a stranger; `nonce` is the one confirmation message
			// Bulk Send may still deliver to that pending address.
			`CREATE TABLE confirmation_sends (
				address_hash TEXT PRIMARY KEY,
				last_sent_at TEXT NOT NULL,
				window_start TEXT NOT NULL,
				sends INTEGER NOT NULL,
				nonce TEXT
			)`,
		],
	},
	{
		version: 4,
		description: 'campaign create keys: a repeated Create with the same key returns the first campaign',
		statements: () => [
			'ALTER TABLE campaigns ADD COLUMN create_key TEXT',
			'CREATE UNIQUE INDEX campaigns_create_key ON campaigns (create_key) WHERE create_key IS NOT NULL',
		],
	},
	{
		version: 5,
		description: 'processed provider event ids can be forgotten by age',
		statements: () => ['CREATE INDEX processed_events_processed_at ON processed_events (processed_at)'],
	},
	{
		version: 6,
		description: 'bounce reasons and kinds, sender health and per-provider pauses (lib/bounce)',
		statements: (d) => [
			// Why the last bounce happened (last_error keeps its diagnostic); existing rows keep
			// their counts and get NULL here, which the bounce re-examination reads as "old rules".
			'ALTER TABLE subscribers ADD COLUMN last_bounce_kind TEXT',
			'ALTER TABLE subscribers ADD COLUMN last_bounce_reason TEXT',
			'ALTER TABLE subscribers ADD COLUMN last_bounce_at TEXT',
			'ALTER TABLE campaigns ADD COLUMN sender_refused INTEGER NOT NULL DEFAULT 0',
			// No foreign keys: like the send log's subscriber_id, these are a campaign's own working
			// figures, and a store without campaign tables (an old backup) must stay readable.
			`CREATE TABLE campaign_provider_stats (
				campaign_id ${ref(d)} NOT NULL,
				provider TEXT NOT NULL,
				minute TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				refusals INTEGER NOT NULL DEFAULT 0,
				last_reason TEXT,
				last_diagnostic TEXT,
				PRIMARY KEY (campaign_id, provider, minute)
			)`,
			`CREATE TABLE campaign_provider_pauses (
				campaign_id ${ref(d)} NOT NULL,
				provider TEXT NOT NULL,
				paused_at TEXT NOT NULL,
				reason TEXT NOT NULL,
				PRIMARY KEY (campaign_id, provider)
			)`,
		],
	},
	{
		version: 7,
		description: 'segments: the match copy of each subscriber row (folded e-mail and name, custom fields as text, number and date), saved segments',
		statements: (d) => [
			...MATCH_COPY_COLUMNS(d),
			`CREATE TABLE segments (
				id ${id(d)},
				name TEXT NOT NULL,
				name_key TEXT NOT NULL UNIQUE,
				definition TEXT NOT NULL,
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL
			)`,
		],
		backfill: (tx) => refreshMatchCopies(tx),
	},
	{
		version: 8,
		description: 'campaign event history (opens, clicks, bounces, …) and the report rollups kept with it (lib/reports)',
		statements: (d) => REPORT_TABLES(d),
		backfill: (tx) => backfillReportRollups(tx),
	},
	{
		version: 9,
		description: 'campaign audiences: several lists in order, a frozen segment, follow-ups; one send per (campaign, address)',
		statements: () => [
			// JSON (lib/store campaignTypes CampaignAudience); '{}' reads as the campaign's one list.
			"ALTER TABLE campaigns ADD COLUMN audience TEXT NOT NULL DEFAULT '{}'",
			// The address a send-log row is for (lib/store email addressKeyHash: a salted hash of the
			// row's email_key, so no address lives in the log), unique per campaign: two rows of one
			// person on a campaign's lists can never both be claimed, by any run. Only audiences where
			// one address can have several rows (several lists, every list) set it: one list has one
			// row per address already, and a random key costs a page write per row in the index.
			// Rows written before keep NULL, which the partial index leaves out.
			'ALTER TABLE send_log ADD COLUMN address_key TEXT',
			'CREATE UNIQUE INDEX send_log_address ON send_log (campaign_id, address_key) WHERE address_key IS NOT NULL',
		],
	},
	{
		version: 10,
		description: "segments: the match copy holds every custom field's number, so number conditions never parse the fields JSON",
		statements: () => [],
		backfill: (tx) => refreshMatchCopies(tx),
	},
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

async function currentVersion(tx: SqlExecutor): Promise<number> {
	const row = await tx.get<{ value: string }>("SELECT value FROM bm_meta WHERE key = 'schema_version'");
	return row ? Number(row.value) : 0;
}

/** Brings the store's schema up to date; returns the version it is at afterwards. */
export async function migrate(driver: SqlDriver, schema?: string): Promise<number> {
	// Fast path: an up-to-date store needs one read, no lock.
	try {
		const version = await currentVersion(driver);
		if (version >= LATEST_SCHEMA_VERSION) return version;
	} catch {
		// bm_meta does not exist yet.
	}
	return driver.transaction(async (tx) => {
		if (driver.dialect === 'postgres') {
			await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`n8n-nodes-bulk-mail:${schema}`]);
			await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
		}
		await tx.exec('CREATE TABLE IF NOT EXISTS bm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
		let version = await currentVersion(tx);
		for (const migration of MIGRATIONS) {
			if (migration.version <= version) continue;
			for (const statement of migration.statements(driver.dialect)) await tx.exec(statement);
			await migration.backfill?.(tx);
			version = migration.version;
		}
		await tx.run(
			"INSERT INTO bm_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			[String(version)],
		);
		// The salt of the suppression hashes; made once per store and never changed.
		await tx.run(
			"INSERT INTO bm_meta (key, value) VALUES ('suppression_salt', ?) ON CONFLICT (key) DO NOTHING",
			[randomBytes(16).toString('hex')],
		);
		return version;
	});
}
