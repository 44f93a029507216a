import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

import { checkMailbox } from '../../../lib/mailbox';
import { mailboxSettingsFrom } from '../mailboxCredential';

/** Credential test: logs in over TLS and counts the messages waiting in INBOX. */
export async function bounceMailboxConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const settings = mailboxSettingsFrom(credential.data ?? {});
		const { messages } = await checkMailbox(settings);
		return { status: 'OK', message: `Logged in; ${messages} message(s) waiting in ${settings.folder}` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}
