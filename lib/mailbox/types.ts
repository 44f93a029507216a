/** How to reach a mailbox that receives returned mail, and what to do with what was read. */
export interface MailboxSettings {
	host: string;
	port: number;
	/**
	 * `tls`: encrypted from the first byte (IMAPS, usually 993). `starttls`: connect, then upgrade;
	 * refused when the server does not offer it. There is no plain mode: the password and the
	 * subscribers' addresses never cross the network unencrypted.
	 */
	security: 'tls' | 'starttls';
	user: string;
	password: string;
	/** Accept a certificate that does not verify (self-signed). Still encrypted, server not authenticated. */
	allowSelfSigned: boolean;
	minTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
	/** The folder bounces arrive in. */
	folder: string;
	/** Where a message goes once it was read and recorded. */
	processedFolder: string;
	/** Where a message goes that could not be read as mail (kept, never deleted). */
	unreadableFolder: string;
	/** Messages read per poll; the rest wait for the next poll. */
	maxMessages: number;
	/** Bytes of one message read at most (the bounce's own parts come first; a huge quoted original is cut). */
	maxMessageBytes: number;
}

export const DEFAULT_MAILBOX_LIMITS = {
	folder: 'INBOX',
	processedFolder: 'Processed',
	unreadableFolder: 'Unreadable',
	maxMessages: 500,
	maxMessageBytes: 2 * 1024 * 1024,
} as const;

/** One message as read from the mailbox. */
export interface MailboxMessage {
	uid: number;
	/** The whole RFC 5322 source, or its first `maxMessageBytes` bytes when `truncated`. */
	source: Buffer;
	/** The message's full size on the server. */
	size: number;
	truncated: boolean;
}

/**
 * What the handler decided for one message: `processed` moves it to the processed folder;
 * `unreadable` moves it to the unreadable folder with the reason. A handler that throws leaves the
 * message where it is (the store was unreachable, say) and ends the poll, so it is read again next
 * time — never lost.
 */
export type MessageVerdict<T> = { disposition: 'processed'; result: T } | { disposition: 'unreadable'; reason: string };

export type MessageOutcome<T> = MessageVerdict<T> & {
	uid: number;
	size: number;
	truncated: boolean;
	/** The folder the message is in now. */
	movedTo: string;
};

export interface DrainReport<T> {
	outcomes: Array<MessageOutcome<T>>;
	/** Messages still in the folder after this poll (over `maxMessages`). */
	remaining: number;
	/** Set when the handler failed on a message: it stays in the folder for the next poll. */
	stopped?: { uid: number; error: string };
}
