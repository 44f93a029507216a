/**
 * Reads a mailbox over IMAP (imapflow) one whole message at a time and moves each message out of
 * the folder once the handler has dealt with it: to the processed folder, or to the unreadable
 * folder when it is not mail we can read. What is left in the folder is exactly what still needs
 * reading, so a poll never depends on remembered UIDs, and a message is never lost: it leaves the
 * folder only after its outcome was recorded.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';

import type { DrainReport, MailboxMessage, MailboxSettings, MessageOutcome, MessageVerdict } from './types';

export class MailboxError extends Error {}

const TIMEOUTS = { connectionTimeout: 20_000, greetingTimeout: 15_000, socketTimeout: 120_000 };

export function checkMailboxSettings(settings: MailboxSettings): void {
	if (!settings.host.trim()) throw new MailboxError('The mailbox credential has no host: give the IMAP server, e.g. imap.example.com');
	if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) {
		throw new MailboxError(`The mailbox port ${settings.port} is not a TCP port: usually 993 (TLS) or 143 (STARTTLS)`);
	}
	if (settings.security !== 'tls' && settings.security !== 'starttls') {
		throw new MailboxError(`Unknown mailbox security '${String(settings.security)}': choose TLS or STARTTLS`);
	}
	if (!settings.user) throw new MailboxError('The mailbox credential has no user name');
	for (const [label, folder] of [
		['mailbox folder', settings.folder],
		['processed folder', settings.processedFolder],
		['unreadable folder', settings.unreadableFolder],
	] as const) {
		if (!folder.trim()) throw new MailboxError(`The ${label} is empty: name an IMAP folder`);
	}
	if (settings.processedFolder === settings.folder || settings.unreadableFolder === settings.folder) {
		throw new MailboxError(
			`The processed and unreadable folders must differ from '${settings.folder}', the folder that is read: otherwise every message would be read again`,
		);
	}
	if (!(settings.maxMessages >= 1)) throw new MailboxError('Messages per poll must be at least 1');
	if (!(settings.maxMessageBytes >= 16 * 1024)) throw new MailboxError('The message size cap must be at least 16 KB');
}

function clientOptions(settings: MailboxSettings): ImapFlowOptions {
	return {
		host: settings.host,
		port: settings.port,
		secure: settings.security === 'tls',
		// STARTTLS is required, not opportunistic: no login ever goes over a plain connection.
		doSTARTTLS: settings.security === 'starttls' ? true : undefined,
		auth: { user: settings.user, pass: settings.password },
		tls: {
			rejectUnauthorized: !settings.allowSelfSigned,
			minVersion: settings.minTlsVersion ?? 'TLSv1.2',
		},
		logger: false,
		disableAutoIdle: true,
		...TIMEOUTS,
	};
}

/** A connection error in plain words, without the password or the server's whole answer. */
function explainConnectError(error: unknown, settings: MailboxSettings): MailboxError {
	const detail = error as { authenticationFailed?: boolean; code?: string; message?: string };
	const where = `${settings.host}:${settings.port}`;
	if (detail.authenticationFailed) {
		return new MailboxError(`The IMAP server at ${where} refused the login for '${settings.user}': check the user name and password`);
	}
	const message = String(detail.message ?? error);
	if (/certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY/i.test(`${detail.code ?? ''} ${message}`)) {
		return new MailboxError(
			`The IMAP server at ${where} presented a certificate that does not verify (${message}). Fix the certificate, or turn on "Allow Self-Signed Certificates" for a server you trust`,
		);
	}
	if (/STARTTLS/i.test(message)) {
		return new MailboxError(`The IMAP server at ${where} does not offer STARTTLS: use TLS (usually port 993) instead`);
	}
	return new MailboxError(`Could not connect to the IMAP server at ${where}: ${message}`);
}

async function connect(settings: MailboxSettings): Promise<ImapFlow> {
	checkMailboxSettings(settings);
	const client = new ImapFlow(clientOptions(settings));
	// imapflow reports socket trouble as 'error' events; without a listener they would crash n8n.
	client.on('error', () => undefined);
	try {
		await client.connect();
	} catch (error) {
		client.close();
		throw explainConnectError(error, settings);
	}
	return client;
}

async function disconnect(client: ImapFlow): Promise<void> {
	try {
		await client.logout();
	} catch {
		client.close();
	}
}

async function ensureFolder(client: ImapFlow, folder: string): Promise<void> {
	const existing = await client.list();
	if (existing.some((entry) => entry.path === folder)) return;
	await client.mailboxCreate(folder);
}

/** Connects, logs in and looks at the folder: for the credential test. */
export async function checkMailbox(settings: MailboxSettings): Promise<{ messages: number }> {
	const client = await connect(settings);
	try {
		const status = await client.status(settings.folder, { messages: true });
		if (!status) throw new MailboxError(`The folder '${settings.folder}' does not exist in this mailbox`);
		return { messages: status.messages ?? 0 };
	} finally {
		await disconnect(client);
	}
}

async function readMessage(client: ImapFlow, uid: number, maxBytes: number): Promise<MailboxMessage | null> {
	const head = await client.fetchOne(String(uid), { uid: true, size: true }, { uid: true });
	if (!head) return null; // removed by another client meanwhile
	const size = head.size ?? 0;
	const truncated = size > maxBytes;
	const body = await client.fetchOne(
		String(uid),
		{ uid: true, source: truncated ? { start: 0, maxLength: maxBytes } : true },
		{ uid: true },
	);
	if (!body || !body.source) return null;
	return { uid, source: body.source, size, truncated };
}

export interface DrainOptions {
	/** False for a preview: read and hand over, but leave every message where it is. */
	move?: boolean;
	/** Fewer messages than the settings' `maxMessages` (a preview reads a few). */
	maxMessages?: number;
}

/**
 * Reads up to `maxMessages` messages of the folder, oldest first, hands each to `handle` and
 * moves it by the verdict. When `handle` throws (the store is down, say), the message stays in the
 * folder and the poll ends there: the outcomes so far are returned with `stopped` set; when that
 * happens on the first message the error is thrown instead, so the poll shows as failed.
 */
export async function drainMailbox<T>(
	settings: MailboxSettings,
	handle: (message: MailboxMessage) => Promise<MessageVerdict<T>>,
	options: DrainOptions = {},
): Promise<DrainReport<T>> {
	const move = options.move ?? true;
	const limit = Math.min(options.maxMessages ?? settings.maxMessages, settings.maxMessages);
	const client = await connect(settings);
	try {
		if (move) {
			await ensureFolder(client, settings.processedFolder);
			await ensureFolder(client, settings.unreadableFolder);
		}
		const lock = await client.getMailboxLock(settings.folder).catch((error: Error) => {
			throw new MailboxError(`Cannot open the folder '${settings.folder}': ${error.message}`);
		});
		try {
			const found = (await client.search({ all: true }, { uid: true })) || [];
			const uids = [...found].sort((a, b) => a - b).slice(0, limit);
			const outcomes: Array<MessageOutcome<T>> = [];
			for (const uid of uids) {
				const message = await readMessage(client, uid, settings.maxMessageBytes);
				if (!message) continue;
				let verdict: MessageVerdict<T>;
				try {
					verdict = await handle(message);
				} catch (error) {
					if (outcomes.length === 0) throw error;
					const stopped = { uid, error: (error as Error).message };
					return { outcomes, remaining: move ? found.length - outcomes.length : found.length, stopped };
				}
				let target = settings.folder;
				if (move) {
					target = verdict.disposition === 'processed' ? settings.processedFolder : settings.unreadableFolder;
					await client.messageMove(String(uid), target, { uid: true });
				}
				outcomes.push({ ...verdict, uid, size: message.size, truncated: message.truncated, movedTo: target });
			}
			return { outcomes, remaining: move ? found.length - outcomes.length : found.length };
		} finally {
			lock.release();
		}
	} finally {
		await disconnect(client);
	}
}
