import type { SendMailOptions, SMTPPoolSentMessageInfo } from 'nodemailer';

import { Readable } from 'node:stream';

import { buildRawMessage, type RawMessage } from '../compose';
import { HANDOVER_TRACKER_KEY, type HandoverTracker } from './handover';
import type { PooledTransport } from './transport';

/** A message ready for the wire: prebuilt by lib/compose, or nodemailer options to compose. */
export type WireMessage =
	| { prebuilt: RawMessage; options?: undefined }
	| { prebuilt?: undefined; options: SendMailOptions };

/**
 * The message as it should go out: the RFC 5322 message prebuilt in one Buffer with an explicit
 * envelope when lib/compose can build it (a plain text/HTML message, as toSendMailOptions makes
 * them), otherwise the options as they are, for nodemailer to compose.
 */
export function toWireMessage(message: SendMailOptions): WireMessage {
	let prebuilt: RawMessage | null;
	try {
		prebuilt = buildRawMessage(message);
	} catch {
		prebuilt = null; // nodemailer composes it, and reports what is wrong with it
	}
	return prebuilt ? { prebuilt } : { options: message };
}

/** The part of nodemailer's transport API (`transporter.send(mail, callback)`) a pool implements. */
interface PoolTransporter {
	send(
		mail: unknown,
		callback: (error: Error | null, info?: SMTPPoolSentMessageInfo) => void,
	): unknown;
}

interface DkimSigner {
	sign(input: Readable): Readable;
}

/**
 * Sends one message through the pool. A prebuilt message is handed straight to the pool as a
 * finished message (what nodemailer's Mailer would hand it after composing): its envelope,
 * Message-ID and a stream of the bytes, DKIM-signed by the transport's signer when DKIM is set,
 * so none of MailComposer's per-message work is repeated. `tracker` gets the stream of every
 * delivery attempt.
 */
export function sendWireMessage(
	transport: PooledTransport,
	message: WireMessage,
	tracker: HandoverTracker | null,
): Promise<SMTPPoolSentMessageInfo> {
	const pool = (transport as unknown as { transporter?: PoolTransporter }).transporter;
	if (!message.prebuilt) {
		const options = tracker ? { ...message.options, [HANDOVER_TRACKER_KEY]: tracker } : message.options;
		return transport.sendMail(options) as Promise<SMTPPoolSentMessageInfo>;
	}
	const { raw, envelope, messageId } = message.prebuilt;
	if (!pool || typeof pool.send !== 'function') {
		return transport.sendMail({
			raw,
			envelope,
			messageId,
			disableFileAccess: true,
			disableUrlAccess: true,
			...(tracker ? { [HANDOVER_TRACKER_KEY]: tracker } : {}),
		} as SendMailOptions) as Promise<SMTPPoolSentMessageInfo>;
	}
	const dkim = (transport as unknown as { dkim?: DkimSigner | false }).dkim || null;
	const mail = {
		data: {},
		message: {
			getHeader: (key: string) => (key.toLowerCase() === 'message-id' ? messageId : undefined),
			getEnvelope: () => ({ from: envelope.from, to: [...envelope.to] }),
			messageId: () => messageId,
			createReadStream: () => {
				const source = new Readable({ read() {} });
				source.push(raw);
				source.push(null);
				const stream = dkim ? dkim.sign(source) : source;
				if (tracker) tracker.stream = stream;
				return stream;
			},
		},
	};
	return new Promise((resolve, reject) => {
		pool.send(mail, (error, info) => (error ? reject(error) : resolve(info!)));
	});
}
