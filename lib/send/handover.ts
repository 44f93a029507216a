import type { MailMessage } from 'nodemailer';

/**
 * Where a message got to on the wire. The pool pipes the message stream (after DKIM signing)
 * into DATA only once the server answered 354; the tracker keeps the stream of the latest
 * delivery attempt (the pool may re-queue a message onto another connection) so the stage can
 * be read when an error comes back.
 */
export interface HandoverTracker {
	stream: NodeJS.ReadableStream | null;
}

/**
 * - `before-data`: not a byte of the message was sent; the server cannot have it.
 * - `data-started`: part of the body went out but not the end-of-data "."; the server cannot
 *   have accepted it either.
 * - `data-sent`: the whole body and the "." were handed over; only the server's reply can tell
 *   whether it took the message.
 */
export type HandoverStage = 'before-data' | 'data-started' | 'data-sent';

/** The key of the HandoverTracker in a message's nodemailer options. */
export const HANDOVER_TRACKER_KEY = '_bulkMailHandover';

export function createHandoverTracker(): HandoverTracker {
	return { stream: null };
}

export function handoverStage(tracker: HandoverTracker): HandoverStage {
	const stream = tracker.stream as
		(NodeJS.ReadableStream & { readableDidRead?: boolean; readableEnded?: boolean }) | null;
	if (!stream || !stream.readableDidRead) return 'before-data';
	return stream.readableEnded ? 'data-sent' : 'data-started';
}

// Records the message stream of every delivery attempt. No listener is attached (a 'data'
// listener would start the stream flowing before the pool pipes it).
export function trackHandover(mail: MailMessage, done: () => void): void {
	const tracker = (mail.data as Record<string, unknown>)[HANDOVER_TRACKER_KEY] as
		HandoverTracker | undefined;
	const message = mail.message as unknown as { createReadStream?: () => NodeJS.ReadableStream };
	if (tracker && message && typeof message.createReadStream === 'function') {
		const create = message.createReadStream.bind(message);
		message.createReadStream = () => {
			const stream = create();
			tracker.stream = stream;
			return stream;
		};
	}
	done();
}
