/** The credential tests of Bulk Send's SMTP and Redis credentials (the store's is shared). */
import IORedis from 'ioredis';
import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

import { verifySmtp, type SmtpSettings } from '../../../lib/send';
import { describeRedisError, redisLabel, redisOptionsFromCredential } from '../helpers/redisCredential';
import { smtpSettingsFromCredential } from '../helpers/smtpCredential';

/** Credential test: connect, secure, log in and quit, with the reason when it fails. */
export async function bulkMailSmtpConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let settings: SmtpSettings;
	try {
		settings = smtpSettingsFromCredential(credential.data ?? {});
	} catch (error) {
		return { status: 'Error', message: error.message };
	}
	const result = await verifySmtp(settings);
	const warnings = result.warnings.length ? ` Note: ${result.warnings.join(' ')}` : '';
	return result.ok
		? { status: 'OK', message: `${result.message}${warnings}` }
		: { status: 'Error', message: result.message };
}

/** Credential test: connect, PING, quit. */
export async function bulkMailRedisConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const options = redisOptionsFromCredential(credential.data ?? {});
	const client = new IORedis({
		...options,
		lazyConnect: true,
		maxRetriesPerRequest: 0,
		enableOfflineQueue: false,
		retryStrategy: () => null,
	});
	// connect() rejects with "Connection is closed"; the socket's own error says why
	let socketError: unknown = null;
	client.on('error', (error) => {
		socketError ??= error;
	});
	try {
		await client.connect();
		const pong = await client.ping();
		if (pong !== 'PONG') {
			return { status: 'Error', message: `Redis at ${redisLabel(options)} answered "${pong}" to PING.` };
		}
		return { status: 'OK', message: `Connected to Redis at ${redisLabel(options)} (PING answered).` };
	} catch (error) {
		return { status: 'Error', message: describeRedisError(socketError ?? error, options) };
	} finally {
		client.disconnect();
	}
}
