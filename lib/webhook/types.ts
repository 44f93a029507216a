import type { IgnoredEvent, NormalisedEvent, SubscriptionHandshake, WebhookRequest } from '../events';
import type { Actor, SubscriberStatus } from '../store';

/** An HTTP request as the adapter (n8n node, test server) hands it over. */
export interface HttpRequest {
	method: string;
	headers: WebhookRequest['headers'];
	/** The body exactly as received (signatures are computed over these bytes); absent for GET. */
	rawBody?: Buffer;
	/** Query parameters; repeated ones may come as arrays (only the first is used). */
	query?: Record<string, unknown>;
	/** The client's IP address as the adapter sees it (behind a proxy: as n8n resolved it). */
	remoteAddress?: string;
}

/** What to answer; the adapter writes it out unchanged. */
export interface HttpResponse {
	status: number;
	headers: Record<string, string>;
	body: string | Buffer;
}

/** A normalised event plus what the store did with it. */
export interface RecordedEvent extends NormalisedEvent {
	/** The provider had sent this event before (or the link action was already done): nothing changed. */
	duplicate: boolean;
	/** No subscriber of the store has this address/id (acknowledged all the same). */
	unknownRecipient: boolean;
	/** Status of the (first) matching subscriber afterwards; null when none matched or not looked up. */
	statusAfter: SubscriberStatus | null;
	subscribers: Array<{ id: string; listId: string; status: SubscriberStatus; changed: boolean }>;
	/** The address went on the store-wide suppression list. */
	suppressed: boolean;
	/** Counted against its campaign (each kind counts once per recipient). */
	campaignCounted: boolean;
	/** This event pushed the campaign's complaint rate over the threshold and paused it. */
	campaignPaused: boolean;
}

export interface HandlerResult {
	response: HttpResponse;
	/** Verified events, recorded or recognised as duplicates; empty when the request was refused. */
	events: RecordedEvent[];
	/** Why the request was refused (nothing was recorded). */
	rejected?: { status: number; reason: string };
	/** Verified provider records that carry no outcome (e.g. SendGrid `processed`). */
	ignored?: IgnoredEvent[];
	/** An SNS subscription handshake that was answered (and confirmed, for SubscriptionConfirmation). */
	subscription?: SubscriptionHandshake & { confirmed: boolean; error?: string };
	/** A verified open or click answered (pixel, redirect) although the store could not record it: why. */
	unrecorded?: Error;
	/** Recorded, but something lesser failed (the report's event history of the batch): for the log. */
	warning?: string;
}

export interface ComplaintPauseOptions {
	/** Complaint rate (a fraction: 0.003 = 0.3 %) at which a running campaign is paused. */
	threshold: number;
	/** Delivered (or sent) messages a campaign needs before its rate is judged. */
	minSample: number;
}

export const DEFAULT_COMPLAINT_PAUSE: ComplaintPauseOptions = { threshold: 0.003, minSample: 1000 };

export interface RecordOptions {
	/** Who records, for the audit log (default `{ type: 'webhook' }`). */
	actor?: Actor;
	/** Pause campaigns whose complaint rate reaches the threshold; false to never pause. */
	complaintPause?: Partial<ComplaintPauseOptions> | false;
	/**
	 * Told when the campaign report's event history of a recorded batch could not be written (the
	 * events themselves are recorded and counted; the report's timeline lacks them): log it.
	 */
	onHistoryFailure?: (error: Error, events: number) => void;
}
