import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DEFAULT_MAILBOX_LIMITS, type MailboxSettings } from '../../lib/mailbox';

export const MAILBOX_CREDENTIAL = 'bulkMailBounceMailboxApi';

export interface FolderParameters {
	folder?: string;
	processedFolder?: string;
	unreadableFolder?: string;
	maxMessages?: number;
	maxMessageSizeKb?: number;
}

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value).trim();
}

/** MailboxSettings from the credential and the node's folder parameters (defaults where empty). */
export function mailboxSettingsFrom(data: ICredentialDataDecryptedObject, folders: FolderParameters = {}): MailboxSettings {
	const security = text(data.security) === 'starttls' ? 'starttls' : 'tls';
	return {
		host: text(data.host),
		port: Number(data.port ?? (security === 'tls' ? 993 : 143)),
		security,
		user: text(data.user),
		// the password is kept as typed: spaces may belong to it
		password: data.password === undefined || data.password === null ? '' : String(data.password),
		allowSelfSigned: data.allowSelfSigned === true,
		minTlsVersion: text(data.minTlsVersion) === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2',
		folder: text(folders.folder) || DEFAULT_MAILBOX_LIMITS.folder,
		processedFolder: text(folders.processedFolder) || DEFAULT_MAILBOX_LIMITS.processedFolder,
		unreadableFolder: text(folders.unreadableFolder) || DEFAULT_MAILBOX_LIMITS.unreadableFolder,
		maxMessages: folders.maxMessages ?? DEFAULT_MAILBOX_LIMITS.maxMessages,
		maxMessageBytes: (folders.maxMessageSizeKb ?? DEFAULT_MAILBOX_LIMITS.maxMessageBytes / 1024) * 1024,
	};
}
