/** The subscriber store's public model and interface. Both backends implement it identically. */

export const SUBSCRIBER_STATUSES = [
	'active',
	'pending',
	'unsubscribed',
	'bounced',
	'complained',
	'stopped',
	'trashed',
] as const;

export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

/** Statuses that only an explicit consent flag may turn back to active. */
export const CONSENT_BLOCKING_STATUSES: readonly SubscriberStatus[] = [
	'unsubscribed',
	'bounced',
	'complained',
];

/**
 * How strict each status is, for a change that may only tighten (an import's status column):
 * stopped by the operator, trashed, then the consent-blocking ones. Pending is no stricter than
 * active for an existing subscriber (asking for confirmation never downgrades a confirmed one).
 */
const STATUS_STRICTNESS: Record<SubscriberStatus, number> = {
	active: 0,
	pending: 0,
	stopped: 1,
	trashed: 2,
	unsubscribed: 3,
	bounced: 3,
	complained: 3,
};

/** Whether `to` is a stricter status than `from` (see STATUS_STRICTNESS). */
export function isStricterStatus(from: SubscriberStatus, to: SubscriberStatus): boolean {
	return STATUS_STRICTNESS[to] > STATUS_STRICTNESS[from];
}

/** Statuses that are never mailed (everything but active). */
export const MAILABLE_STATUS: SubscriberStatus = 'active';

export type CustomFields = Record<string, unknown>;

export interface MailingList {
	id: string;
	name: string;
	description: string;
	createdAt: string;
	updatedAt: string;
}

export interface Subscriber {
	id: string;
	listId: string;
	email: string;
	name: string;
	fields: CustomFields;
	status: SubscriberStatus;
	hardBounces: number;
	softBounces: number;
	complaints: number;
	lastError: string | null;
	/**
	 * The last bounce, so "why was this address stopped?" has an answer: its kind, reason and the
	 * server's words. Null before any bounce, and for bounces recorded before reasons were kept.
	 */
	lastBounce: LastBounce | null;
	lastEventAt: string | null;
	source: string;
	createdAt: string;
	updatedAt: string;
}

/** A saved segment: a name and a validated definition in the JSON form of docs/segments.md. */
export interface SavedSegment {
	id: string;
	name: string;
	definition: Record<string, unknown>;
	createdAt: string;
	updatedAt: string;
}

export interface LastBounce {
	kind: 'hard' | 'soft' | 'sender';
	/** Sisimai's reason name. */
	reason: string;
	diagnostic: string | null;
	at: string;
}

/** Who made a change, for the audit log. */
export interface Actor {
	/** e.g. `n8n`, `webhook`, `import`, `bench`. */
	type: string;
	/** Workflow id, execution id, node name, … */
	id?: string;
	name?: string;
}

export interface AuditEntry {
	id: string;
	at: string;
	actor: Actor;
	action: string;
	entityType: 'list' | 'subscriber' | 'suppression' | 'settings' | string;
	entityId: string | null;
	details: Record<string, unknown>;
}

export interface SubscriberInput {
	email: string;
	name?: string;
	fields?: CustomFields;
	/** Status for a new subscriber (default active); on an existing one see `allowReactivate`. */
	status?: SubscriberStatus;
	source?: string;
}

export type UpsertMode = 'upsert' | 'createOnly' | 'updateOnly';

export interface UpsertOptions {
	mode?: UpsertMode;
	/**
	 * Explicit consent: lets an unsubscribed, bounced, complained or suppressed address become
	 * active again. Without it such an address keeps its status (and a suppressed address is not
	 * created at all).
	 */
	allowReactivate?: boolean;
	/** Replace custom fields instead of merging them into the existing ones. */
	replaceFields?: boolean;
	/**
	 * A row's status other than active is applied to an existing subscriber only when it is
	 * stricter than the stored one (an import's status column never loosens a status); active
	 * still follows `allowReactivate`.
	 */
	onlyStricterStatus?: boolean;
	/**
	 * An import run id: a row whose address was already written by the same run is reported as
	 * a duplicate instead of being written again (first one wins).
	 */
	importRunId?: string;
}

export type UpsertOutcome =
	| 'invalid'
	| 'created'
	| 'updated'
	| 'unchanged'
	| 'duplicate'
	| 'skipped-exists'
	| 'skipped-missing'
	| 'skipped-suppressed';

export interface UpsertResult {
	outcome: UpsertOutcome;
	subscriber: Subscriber | null;
	/** Set when a requested status change was refused for consent reasons. */
	statusKept?: SubscriberStatus;
}

export interface SubscriberFilter {
	listId?: string;
	status?: SubscriberStatus | SubscriberStatus[];
	/** Case-insensitive substring of e-mail or name. */
	search?: string;
	/** Custom field equality (compared as text). */
	field?: { name: string; value: string };
	/** Trashed subscribers are left out unless asked for or filtered by status. */
	includeTrashed?: boolean;
	/** Only rows a segment selects (docs/segments.md), evaluated at `at` (default: now). */
	segment?: SegmentFilter;
}

export interface SegmentFilter {
	/** The segment's JSON form (an object or JSON text); or give `saved`. */
	definition?: unknown;
	/** A saved segment's id or name, read when the filter is used; or give `definition`. */
	saved?: string;
	/** The evaluation time; give the same one for every page of one listing. */
	at?: Date | string;
	/** IANA zone for calendar days in the conditions (default UTC). */
	timeZone?: string;
}

export interface Page<T> {
	items: T[];
	/** Opaque cursor for the next page, null at the end. */
	next: string | null;
}

export interface PageOptions {
	limit: number;
	cursor?: string | null;
}

export type SubscriberRef = { id: string } | { listId: string; email: string };

export interface SubscriberUpdate {
	email?: string;
	name?: string;
	fields?: CustomFields;
	replaceFields?: boolean;
	status?: SubscriberStatus;
	allowReactivate?: boolean;
}

export interface BouncePolicy {
	/** Hard bounces before the subscriber is marked bounced. */
	hardBounceLimit: number;
	/** Soft bounces within `softBounceWindowDays` before the subscriber is marked bounced. */
	softBounceLimit: number;
	softBounceWindowDays: number;
	/** Whether a complaint also suppresses the address in every list of the store. */
	suppressOnComplaint: boolean;
	/** Whether a bounce that reaches the limit also suppresses the address. */
	suppressOnBounce: boolean;
}

export const DEFAULT_BOUNCE_POLICY: BouncePolicy = {
	hardBounceLimit: 1,
	softBounceLimit: 3,
	softBounceWindowDays: 30,
	suppressOnComplaint: true,
	suppressOnBounce: false,
};

/** A bounce's kind (lib/bounce reason → kind table), a complaint, or an unsubscribe. */
export type DeliveryEventType = 'hard' | 'soft' | 'sender' | 'complaint' | 'unsubscribe';

export interface DeliveryEventInput {
	type: DeliveryEventType;
	/** Why, for a bounce: Sisimai's reason name (`userunknown`, `mailboxfull`, `blocked`, …). */
	reason?: string | null;
	/** The subscriber row; or give email (+ optional listId) to apply to every matching row. */
	subscriberId?: string | null;
	email?: string | null;
	listId?: string | null;
	diagnostic?: string | null;
	occurredAt?: string;
	/** Provider event id; an event id seen before is ignored (exactly-once). */
	eventId?: string | null;
	source?: string;
}

export interface DeliveryEventResult {
	/** False when the event id had been applied before. */
	applied: boolean;
	duplicate: boolean;
	/** Subscribers the event was applied to, with their status afterwards. */
	subscribers: Array<{ id: string; listId: string; email: string; status: SubscriberStatus; changed: boolean }>;
	suppressed: boolean;
}

export interface SuppressionEntry {
	/** Null after an erase: only the hash is kept. */
	email: string | null;
	hash: string;
	reason: string;
	source: string;
	createdAt: string;
}

export interface BulkUpsertRow extends SubscriberInput {
	/** The caller's reference for the row (e.g. CSV line number), echoed back in results. */
	ref?: number;
}

export interface BulkUpsertResult {
	created: number;
	updated: number;
	unchanged: number;
	duplicates: number;
	skipped: number;
	/** Per-row outcome for every row that was not created/updated/unchanged. */
	rejected: Array<{ ref?: number; email: string; outcome: UpsertOutcome }>;
}

export type BulkStatusAction = 'unsubscribe' | 'trash' | 'suppress';

export interface StoreInfo {
	backend: 'sqlite' | 'postgres';
	location: string;
	schemaVersion: number;
}

export interface SubscriberStore {
	readonly backend: 'sqlite' | 'postgres';
	info(): Promise<StoreInfo>;
	close(): Promise<void>;

	// Lists
	createList(input: { name: string; description?: string }, actor: Actor): Promise<MailingList>;
	getList(idOrName: string): Promise<MailingList | null>;
	getLists(): Promise<MailingList[]>;
	renameList(id: string, name: string, actor: Actor): Promise<MailingList>;
	/** Deletes the list and its subscribers. Returns how many subscribers were removed. */
	deleteList(id: string, actor: Actor): Promise<{ deleted: boolean; subscribers: number }>;

	// Saved segments (the definition is validated; see lib/segments)
	createSegment(input: { name: string; definition: unknown }, actor: Actor): Promise<SavedSegment>;
	getSegment(idOrName: string): Promise<SavedSegment | null>;
	getSegments(): Promise<SavedSegment[]>;
	renameSegment(id: string, name: string, actor: Actor): Promise<SavedSegment>;
	deleteSegment(id: string, actor: Actor): Promise<{ deleted: boolean }>;

	// Subscribers
	upsertSubscriber(listId: string, input: SubscriberInput, options: UpsertOptions, actor: Actor): Promise<UpsertResult>;
	/** Many rows in one transaction: the batch commits whole or not at all. */
	bulkUpsert(listId: string, rows: BulkUpsertRow[], options: UpsertOptions, actor: Actor): Promise<BulkUpsertResult>;
	/** Unsubscribes, trashes or suppresses the listed addresses (one transaction). */
	bulkStatus(listId: string, emails: Array<{ email: string; ref?: number }>, action: BulkStatusAction, actor: Actor): Promise<{ changed: number; missing: Array<{ email: string; ref?: number }> }>;
	getSubscriber(ref: SubscriberRef): Promise<Subscriber | null>;
	getSubscribers(filter: SubscriberFilter, page: PageOptions): Promise<Page<Subscriber>>;
	countSubscribers(filter: SubscriberFilter): Promise<number>;
	updateSubscriber(id: string, update: SubscriberUpdate, actor: Actor): Promise<Subscriber>;
	setStatus(id: string, status: SubscriberStatus, options: { allowReactivate?: boolean; reason?: string }, actor: Actor): Promise<Subscriber>;
	/** Removes personal data; keeps a suppression hash so the address is never mailed again. */
	eraseSubscriber(id: string, actor: Actor): Promise<{ erased: boolean }>;

	// Suppression
	suppress(email: string, reason: string, source: string, actor: Actor): Promise<void>;
	isSuppressed(email: string): Promise<boolean>;
	getSuppressions(page: PageOptions): Promise<Page<SuppressionEntry>>;

	// Bounce policy and delivery events
	getBouncePolicy(): Promise<BouncePolicy>;
	setBouncePolicy(policy: Partial<BouncePolicy>, actor: Actor): Promise<BouncePolicy>;
	applyDeliveryEvent(event: DeliveryEventInput, actor: Actor): Promise<DeliveryEventResult>;

	// Audit
	getAuditLog(filter: { entityId?: string; action?: string }, page: PageOptions): Promise<Page<AuditEntry>>;
}

/** A clear, user-facing store error (bad input, missing row, refused path). */
export class StoreError extends Error {
	constructor(
		message: string,
		readonly code: 'not-found' | 'invalid' | 'conflict' | 'refused' | 'unavailable',
	) {
		super(message);
		this.name = 'StoreError';
	}
}
