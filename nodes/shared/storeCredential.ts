import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IExecuteFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import {
	type Actor,
	MIN_SECRET_LENGTH,
	normaliseBaseUrl,
	openStore,
	type SqlSubscriberStore,
	type StoreConfig,
} from '../../lib/store';
import { storeOpenError } from './nodeHelpers';

export const STORE_CREDENTIAL = 'bulkMailSubscriberStoreApi';

export function storeConfigFromCredential(data: ICredentialDataDecryptedObject): StoreConfig {
	if (data.backend === 'postgres') {
		return {
			backend: 'postgres',
			host: String(data.host ?? 'localhost'),
			port: Number(data.port ?? 5432),
			database: String(data.database ?? 'postgres'),
			user: String(data.user ?? 'postgres'),
			password: String(data.password ?? ''),
			ssl: (data.ssl as 'disable' | 'require' | 'allow-self-signed') ?? 'disable',
			schema: String(data.schema ?? 'bulk_mail'),
		};
	}
	return { backend: 'sqlite', file: String(data.file ?? 'bulk-mail.sqlite') };
}

/** Opens the store of the node's store credential (in an execution, or a picker's search). */
export async function openStoreFromCredential(
	ctx: Pick<IExecuteFunctions, 'getCredentials'>,
): Promise<SqlSubscriberStore> {
	const data = await ctx.getCredentials(STORE_CREDENTIAL);
	return openStore(storeConfigFromCredential(data));
}

/**
 * The store of the node's store credential, for a node that cannot work without it: a store
 * that does not open stops the execution with a message pointing at the credential.
 */
export async function openNodeStore(ctx: Pick<IExecuteFunctions, 'getCredentials' | 'getNode'>): Promise<SqlSubscriberStore> {
	try {
		return await openStoreFromCredential(ctx);
	} catch (error) {
		throw storeOpenError(ctx.getNode(), error);
	}
}

/** Who made a change, as the audit log records it. */
export function actorFor(ctx: IExecuteFunctions): Actor {
	const workflow = ctx.getWorkflow();
	return {
		type: 'n8n',
		id: `${workflow.id ?? 'unsaved'}/${ctx.getExecutionId() ?? ''}`,
		name: `${workflow.name ?? 'workflow'} / ${ctx.getNode().name}`,
	};
}

/** Credential test: really opens (and migrates) the store, and checks the link settings. */
export async function subscriberStoreConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const secret = String(data.signingSecret ?? '');
	if (secret && secret.length < MIN_SECRET_LENGTH) {
		return { status: 'Error', message: `The link signing secret must be at least ${MIN_SECRET_LENGTH} characters long` };
	}
	if (data.publicBaseUrl) {
		try {
			normaliseBaseUrl(String(data.publicBaseUrl));
		} catch (error) {
			return { status: 'Error', message: error.message };
		}
	}
	let store: SqlSubscriberStore | undefined;
	try {
		store = await openStore(storeConfigFromCredential(data));
		const info = await store.info();
		return { status: 'OK', message: `Connected to the ${info.backend} store (schema version ${info.schemaVersion})` };
	} catch (error) {
		return { status: 'Error', message: error.message };
	} finally {
		await store?.close();
	}
}
