import { readAuditLog } from './auditLog';
import { SqlCampaignRuns } from './campaignRuns';
import { lockCampaignHistories } from './campaigns';
import { applyDeliveryEventIn, readBouncePolicy, setBouncePolicy } from './deliveryEvents';
import type { SqlDriver, SqlExecutor } from './driver';
import { addressKeyHash, suppressionHash } from './email';
import * as lists from './lists';
import * as savedSegments from './savedSegments';
import { migrate } from './migrations';
import { pruneProcessedEvents } from './processedEvents';
import { now } from './rows';
import { hadHumanOpen, recordHistoryIn, type HistoryEvent, type HistoryOutcome } from './reportHistory';
import { compareCampaigns, getCampaignReport, pruneCampaignEvents, readEventRetention, seedCampaignEvents, setEventRetention, type SeedEventsInput } from './reportQuery';
import type { CampaignComparison, CampaignReportOptions, EventRetention } from './reportTypes';
import type { CampaignReport } from '../reports';
import { bulkStatus, bulkUpsert, upsertSubscriber } from './subscriberBatch';
import * as subscribers from './subscribers';
import * as suppressions from './suppressions';
import type {
	Actor,
	AuditEntry,
	BouncePolicy,
	BulkStatusAction,
	BulkUpsertResult,
	BulkUpsertRow,
	DeliveryEventInput,
	DeliveryEventResult,
	MailingList,
	Page,
	PageOptions,
	SavedSegment,
	StoreInfo,
	Subscriber,
	SubscriberFilter,
	SubscriberInput,
	SubscriberRef,
	SubscriberStatus,
	SubscriberStore,
	SubscriberUpdate,
	SuppressionEntry,
	UpsertOptions,
	UpsertResult,
} from './types';

/** PostgreSQL deadlock / serialisation failure: the whole transaction may simply run again. */
const RETRYABLE_PG_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

/**
 * The store's front door: the SubscriberStore the nodes use, composed of one repository module
 * per table (lists, subscribers, subscriberBatch, suppressions, auditLog, deliveryEvents,
 * processedEvents, campaigns, sendLog, consents, …). Written once against SqlDriver and so
 * identical on SQLite and PostgreSQL; only a few bulk statements differ per dialect.
 */
export class SqlSubscriberStore implements SubscriberStore {
	private salt = '';

	private constructor(
		private readonly driver: SqlDriver,
		private readonly schemaVersion: number,
	) {}

	static async open(driver: SqlDriver, schema?: string): Promise<SqlSubscriberStore> {
		try {
			const version = await migrate(driver, schema);
			const store = new SqlSubscriberStore(driver, version);
			const salt = await driver.get<{ value: string }>("SELECT value FROM bm_meta WHERE key = 'suppression_salt'");
			store.salt = String(salt?.value);
			return store;
		} catch (error) {
			await driver.close().catch(() => undefined);
			throw error;
		}
	}

	get backend(): 'sqlite' | 'postgres' {
		return this.driver.dialect;
	}

	/**
	 * The SQL driver, for the store's own repository modules and for tests that inspect tables.
	 * Code outside lib/store goes through the repository functions instead (test/unit/noSqlOutsideStore).
	 */
	get sql(): SqlDriver {
		return this.driver;
	}

	/** Where the data is (file path or PostgreSQL database/schema); a key for per-store caches. */
	get location(): string {
		return this.driver.location;
	}

	async info(): Promise<StoreInfo> {
		return { backend: this.backend, location: this.driver.location, schemaVersion: this.schemaVersion };
	}

	async close(): Promise<void> {
		await this.driver.close();
	}

	hashEmail(email: string): string {
		return suppressionHash(this.salt, email);
	}

	private readonly hash = (email: string): string => this.hashEmail(email);

	private readonly addressKey = (emailKey: string): string => addressKeyHash(this.salt, emailKey);

	/** The campaign runner's repository on this store (lib/campaign runCampaign). */
	get campaignRuns(): SqlCampaignRuns {
		return new SqlCampaignRuns(this.driver, this.hash, this.addressKey);
	}

	/**
	 * Runs `work` in one transaction; the handle it gets is passed to the repository functions
	 * (it is not for SQL outside lib/store). On PostgreSQL a deadlock or serialisation failure
	 * runs the whole transaction again (up to 4 attempts), as `retry` asks.
	 */
	async transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: { retry?: boolean } = {}): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.driver.transaction(work);
			} catch (error) {
				const code = String((error as { code?: unknown } | null)?.code);
				if (!options.retry || attempt >= MAX_ATTEMPTS || !RETRYABLE_PG_CODES.has(code)) throw error;
				await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
			}
		}
	}

	// ---------------------------------------------------------------- audit

	async getAuditLog(filter: { entityId?: string; action?: string }, page: PageOptions): Promise<Page<AuditEntry>> {
		return readAuditLog(this.driver, filter, page);
	}

	// ---------------------------------------------------------------- lists

	async createList(input: { name: string; description?: string }, actor: Actor): Promise<MailingList> {
		return lists.createList(this.driver, input, actor);
	}

	async getList(idOrName: string): Promise<MailingList | null> {
		return lists.getList(this.driver, idOrName);
	}

	async getLists(): Promise<MailingList[]> {
		return lists.getLists(this.driver);
	}

	async renameList(id: string, name: string, actor: Actor): Promise<MailingList> {
		return lists.renameList(this.driver, id, name, actor);
	}

	async deleteList(id: string, actor: Actor): Promise<{ deleted: boolean; subscribers: number }> {
		return lists.deleteList(this.driver, id, actor);
	}

	async createSegment(input: { name: string; definition: unknown }, actor: Actor): Promise<SavedSegment> {
		return savedSegments.createSegment(this.driver, input, actor);
	}

	async getSegment(idOrName: string): Promise<SavedSegment | null> {
		return savedSegments.getSegment(this.driver, idOrName);
	}

	async getSegments(): Promise<SavedSegment[]> {
		return savedSegments.getSegments(this.driver);
	}

	async renameSegment(id: string, name: string, actor: Actor): Promise<SavedSegment> {
		return savedSegments.renameSegment(this.driver, id, name, actor);
	}

	async deleteSegment(id: string, actor: Actor): Promise<{ deleted: boolean }> {
		return savedSegments.deleteSegment(this.driver, id, actor);
	}

	// ---------------------------------------------------------------- subscribers

	async upsertSubscriber(listId: string, input: SubscriberInput, options: UpsertOptions, actor: Actor): Promise<UpsertResult> {
		return upsertSubscriber(this.driver, this.hash, listId, input, options, actor);
	}

	async bulkUpsert(listId: string, rows: BulkUpsertRow[], options: UpsertOptions, actor: Actor): Promise<BulkUpsertResult> {
		return bulkUpsert(this.driver, this.hash, listId, rows, options, actor);
	}

	async bulkStatus(
		listId: string,
		emails: Array<{ email: string; ref?: number }>,
		action: BulkStatusAction,
		actor: Actor,
	): Promise<{ changed: number; missing: Array<{ email: string; ref?: number }> }> {
		return bulkStatus(this.driver, this.hash, listId, emails, action, actor);
	}

	async updateSubscriber(id: string, update: SubscriberUpdate, actor: Actor): Promise<Subscriber> {
		return subscribers.updateSubscriber(this.driver, this.hash, id, update, actor);
	}

	async setStatus(
		id: string,
		status: SubscriberStatus,
		options: { allowReactivate?: boolean; reason?: string },
		actor: Actor,
	): Promise<Subscriber> {
		return subscribers.setStatus(this.driver, this.hash, id, status, options, actor);
	}

	async eraseSubscriber(id: string, actor: Actor): Promise<{ erased: boolean }> {
		return subscribers.eraseSubscriber(this.driver, this.hash, id, actor);
	}

	async getSubscriber(ref: SubscriberRef): Promise<Subscriber | null> {
		return subscribers.getSubscriber(this.driver, ref);
	}

	async getSubscribers(filter: SubscriberFilter, page: PageOptions): Promise<Page<Subscriber>> {
		return subscribers.getSubscribers(this.driver, filter, page);
	}

	async countSubscribers(filter: SubscriberFilter): Promise<number> {
		return subscribers.countSubscribers(this.driver, filter);
	}

	// ---------------------------------------------------------------- suppression

	async suppress(email: string, reason: string, source: string, actor: Actor): Promise<void> {
		await suppressions.suppress(this.driver, this.hash, email, reason, source, actor);
	}

	async isSuppressed(email: string): Promise<boolean> {
		return suppressions.isSuppressed(this.driver, this.hash, email);
	}

	async getSuppressions(page: PageOptions): Promise<Page<SuppressionEntry>> {
		return suppressions.getSuppressions(this.driver, page);
	}

	// ---------------------------------------------------------------- bounce policy and events

	async getBouncePolicy(): Promise<BouncePolicy> {
		return readBouncePolicy(this.driver);
	}

	async setBouncePolicy(policy: Partial<BouncePolicy>, actor: Actor): Promise<BouncePolicy> {
		return setBouncePolicy(this.driver, policy, actor);
	}

	/**
	 * Applies one delivery event (hard/soft bounce, complaint, unsubscribe) through the bounce
	 * policy. An event id seen before is ignored, so provider retries never double-count.
	 */
	async applyDeliveryEvent(event: DeliveryEventInput, actor: Actor): Promise<DeliveryEventResult> {
		const occurredAt = event.occurredAt ? new Date(event.occurredAt).toISOString() : now();
		return this.driver.transaction(async (tx) => applyDeliveryEventIn(tx, this.hash, { ...event, occurredAt }, actor));
	}

	/** The same as applyDeliveryEvent, inside a caller's transaction (campaign sending, webhooks). */
	async applyDeliveryEventIn(
		tx: SqlExecutor,
		event: DeliveryEventInput & { occurredAt: string },
		actor: Actor,
	): Promise<DeliveryEventResult> {
		return applyDeliveryEventIn(tx, this.hash, event, actor);
	}

	/** Forgets provider event ids recorded before `before` (see processedEvents.ts). */
	async pruneProcessedEvents(before: Date, limit = 10_000): Promise<number> {
		return pruneProcessedEvents(this.driver, before, limit);
	}

	// ---------------------------------------------------------------- campaign reports (#18)

	/**
	 * Benchmarks only: bench:report measures the history's cost on the Bounce Webhook in real n8n
	 * with a second n8n started with BULK_MAIL_BENCH_EVENT_HISTORY=off (its stores record none).
	 */
	private historyEnabled = process.env.BULK_MAIL_BENCH_EVENT_HISTORY !== 'off';

	/**
	 * Records campaign events in the history and its rollups inside the caller's transaction, which
	 * holds the campaigns' history locks (`lockCampaigns(…, { history: true })`: the pixel, the click
	 * redirect). Returns each event's hit verdict.
	 */
	async recordCampaignHistoryIn(tx: SqlExecutor, events: HistoryEvent[]): Promise<HistoryOutcome[]> {
		if (!this.historyEnabled || !events.length) return events.map(() => ({ recorded: false }));
		return recordHistoryIn(tx, events);
	}

	/**
	 * Records campaign events in the history and its rollups in a short transaction of their own
	 * (run again on a deadlock), under the campaigns' history locks only: the Bounce Webhook calls
	 * this after its counting transaction has committed, so the next request's counting does not
	 * wait for this one's history (see lib/webhook record.ts).
	 */
	async recordCampaignHistory(events: HistoryEvent[]): Promise<HistoryOutcome[]> {
		if (!this.historyEnabled || !events.length) return events.map(() => ({ recorded: false }));
		return this.transaction(async (tx) => {
			await lockCampaignHistories(tx, events.map((event) => event.campaignId));
			return recordHistoryIn(tx, events);
		}, { retry: true });
	}

	/** Benchmarks only: switches recording of the history off and on, to measure its cost in one run. */
	setEventHistoryRecording(enabled: boolean): void {
		this.historyEnabled = enabled;
	}

	/** Whether recordCampaignHistoryIn records (always, but in benchmarks): callers skip building its input when not. */
	get recordsEventHistory(): boolean {
		return this.historyEnabled;
	}

	/** The campaign's report (lib/reports CampaignReport), from the rollups only. Throws ReportError. */
	async getCampaignReport(campaignId: string, options: CampaignReportOptions = {}): Promise<CampaignReport> {
		return getCampaignReport(this.driver, campaignId, options);
	}

	/** Headline figures and rates of several campaigns of this store, in the order given. Throws ReportError. */
	async compareCampaigns(campaignIds: string[]): Promise<CampaignComparison[]> {
		return compareCampaigns(this.driver, campaignIds);
	}

	async getEventRetention(): Promise<EventRetention> {
		return readEventRetention(this.driver);
	}

	async setEventRetention(retention: EventRetention, actor: Actor): Promise<EventRetention> {
		return setEventRetention(this.driver, retention, actor);
	}

	/**
	 * Deletes raw events older than the retention setting (nothing when it keeps all), at most
	 * `limit` per call. Counters, rollups and the send log's marks are never touched.
	 */
	async pruneCampaignEvents(options: { now?: number; limit?: number } = {}): Promise<number> {
		return pruneCampaignEvents(this.driver, options);
	}

	/** Whether the subscriber had at least one human open of the campaign (audience conditions, #19). */
	async hadHumanOpen(campaignId: string, subscriberId: string): Promise<boolean> {
		return hadHumanOpen(this.driver, campaignId, subscriberId);
	}

	/**
	 * Benchmarks and tests only: writes a synthetic campaign's send log, events and rollups in bulk
	 * SQL (no classification, no webhook path), to load millions of events quickly.
	 */
	async seedCampaignEvents(input: SeedEventsInput): Promise<void> {
		return seedCampaignEvents(this.driver, input);
	}
}
