import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IHookFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { EventConfigError, isWebhookProvider } from '../../lib/events';
import { ENDPOINT_PATHS } from '../../lib/store';
import {
	eventsToStart,
	handleClick,
	handleConfirm,
	handleEventsRequest,
	handleOpen,
	handlePreferences,
	handleReport,
	type HandlerResult,
	handleUnsubscribe,
	jsonResponse,
	type OptinHandlerResult,
	type OptinOutcome,
	type PageLanguageOption,
	type RecordedEvent,
	type RecordOptions,
	REPORT_PATH,
	safeMessage,
	storeTag,
	textResponse,
} from '../../lib/webhook';
import { storeConfigFromCredential } from '../shared/storeCredential';
import { cachedCredentials, webhookActor, webhookStoreFromCredential } from '../shared/webhookStore';
import { DEFAULT_START_KINDS, properties } from './description';
import { sendResponse, toHttpRequest } from './http';
import { credentialTest } from './methods';
import { providerConfig } from './providerConfig';

type Endpoint = 'events' | 'unsubscribe' | 'open' | 'click' | 'confirm' | 'preferences' | 'report';

interface RequestParts {
	request: Awaited<ReturnType<typeof toHttpRequest>>;
	credential: Awaited<ReturnType<typeof webhookStoreFromCredential>>['credential'];
	store: Awaited<ReturnType<typeof webhookStoreFromCredential>>['store'];
	signer: Awaited<ReturnType<typeof webhookStoreFromCredential>>['signer'];
	record: RecordOptions;
	options: TriggerOptions;
}

/** What the endpoint does with a request: the provider's events, or one of the link pages. */
async function requestHandler(
	ctx: IWebhookFunctions,
	endpoint: Endpoint,
	{ request, credential, store, signer, record, options }: RequestParts,
): Promise<() => Promise<HandlerResult>> {
	if (endpoint === 'events') {
		const provider = ctx.getNodeParameter('provider', 'generic') as string;
		if (!isWebhookProvider(provider)) {
			throw new NodeOperationError(ctx.getNode(), `Unknown provider '${provider}'`);
		}
		const secrets = await cachedCredentials(ctx, 'bulkMailBounceWebhookApi');
		const config = providerConfig(provider, secrets, {
			includeRaw: options.includeRaw === true,
			maxBodyBytes: Math.max(1, options.maxBodyKb ?? 1024) * 1024,
		});
		return () => handleEventsRequest(store, provider, request, config, record);
	}
	const linkSigner = signer();
	if (!linkSigner) {
		throw new NodeOperationError(
			ctx.getNode(),
			'The Subscriber Store credential has no Link Signing Secret, so links cannot be verified',
			{ description: 'Set the same secret that Compose Message signed the links with' },
		);
	}
	if (endpoint === 'report') {
		// read-only: the campaign report of this trigger's store, in the page language
		const tag = storeTag(storeConfigFromCredential(credential));
		return () => handleReport(store, linkSigner, request, { storeTag: tag, language: options.pageLanguage ?? 'auto' });
	}
	if (endpoint === 'confirm' || endpoint === 'preferences') {
		const handler = endpoint === 'confirm' ? handleConfirm : handlePreferences;
		const language = options.pageLanguage ?? 'auto';
		return () => handler(store, linkSigner, request, { ...record, language });
	}
	const handler = endpoint === 'open' ? handleOpen : endpoint === 'click' ? handleClick : handleUnsubscribe;
	return () => handler(store, linkSigner, request, record);
}

/**
 * Which endpoint a request came to. n8n names every webhook of a node 'default' (or 'setup'),
 * so the last segment of the request path tells them apart (…/webhook/<id>/<endpoint>).
 */
function endpointOf(path: string): Endpoint | null {
	const name = (path.replace(/\/+$/, '').split('/').pop() ?? '').toLowerCase();
	for (const endpoint of ['events', 'unsubscribe', 'open', 'click', 'confirm', 'preferences'] as const) {
		if (ENDPOINT_PATHS[endpoint] === name) return endpoint;
	}
	return name === REPORT_PATH ? 'report' : null;
}

interface TriggerOptions {
	complaintRateLimit?: number;
	complaintMinSample?: number;
	includeRaw?: boolean;
	maxBodyKb?: number;
	pauseOnComplaints?: boolean;
	pageLanguage?: PageLanguageOption;
	startForUnknownRecipients?: boolean;
}

/** The output item: the normalised event and what the store did with it. */
function toItem(event: RecordedEvent): INodeExecutionData {
	const json: IDataObject = {
		provider: event.provider,
		eventId: event.eventId,
		messageId: event.messageId,
		recipient: event.recipient,
		kind: event.kind,
		smtpStatus: event.smtpStatus,
		diagnostic: event.diagnostic,
		occurredAt: event.occurredAt,
		campaignId: event.campaignId,
		subscriberId: event.subscriberId,
	};
	if (event.kind === 'click') json.url = event.url ?? null;
	json.statusAfter = event.statusAfter;
	json.duplicate = event.duplicate;
	json.unknownRecipient = event.unknownRecipient;
	json.suppressed = event.suppressed;
	json.subscribers = event.subscribers as unknown as IDataObject[];
	json.campaignCounted = event.campaignCounted;
	json.campaignPaused = event.campaignPaused;
	if (event.raw !== undefined) json.raw = event.raw as IDataObject;
	return { json };
}

/**
 * Output items of the confirm and preference pages: a confirmation (kind `confirm`) and each list
 * left on the preference page (kind `unsubscribe`), when the trigger starts for those kinds.
 */
function optinItems(optin: OptinOutcome, startFor: string[]): INodeExecutionData[] {
	const common = { provider: 'link', recipient: optin.email ?? null, occurredAt: optin.occurredAt, campaignId: null };
	if (optin.endpoint === 'confirm') {
		if (optin.outcome !== 'confirmed' || !startFor.includes('confirm')) return [];
		const [row] = optin.changed;
		return [
			{
				json: {
					...common,
					kind: 'confirm',
					subscriberId: optin.subscriberId,
					listId: row?.listId ?? null,
					statusAfter: 'active',
					consentId: optin.consentId ?? null,
				},
			},
		];
	}
	if (!startFor.includes('unsubscribe')) return [];
	return optin.changed.map((row) => ({
		json: { ...common, kind: 'unsubscribe', subscriberId: row.id, listId: row.listId, statusAfter: row.to, via: 'preferences' },
	}));
}

export class BounceWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bounce Webhook Trigger',
		name: 'bounceWebhookTrigger',
		icon: { light: 'file:bounceWebhook.svg', dark: 'file:bounceWebhook.dark.svg' },
		group: ['trigger'],
		// Version 2 from the start: n8n 2.x evaluates an expression (`options.binaryData`) on
		// every request to a version-1 webhook node, about a fifth of a request's cost here.
		version: 2,
		subtitle: '={{"Provider: " + $parameter["provider"]}}',
		description:
			'Receive verified bounce, complaint, unsubscribe, open and click events and update the subscriber store exactly once',
		defaults: { name: 'Bounce Webhook Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'bulkMailSubscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' },
			{ name: 'bulkMailBounceWebhookApi', required: true, testedBy: 'bounceWebhookCredentialTest' },
		],
		webhooks: [
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: ENDPOINT_PATHS.events },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: ENDPOINT_PATHS.unsubscribe },
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: ENDPOINT_PATHS.unsubscribe },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: ENDPOINT_PATHS.open },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: ENDPOINT_PATHS.click },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: ENDPOINT_PATHS.confirm },
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: ENDPOINT_PATHS.confirm },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: ENDPOINT_PATHS.preferences },
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: ENDPOINT_PATHS.preferences },
			{ name: 'default', httpMethod: 'GET', responseMode: 'onReceived', path: REPORT_PATH },
		],
		properties,
	};

	methods = { credentialTest };

	// The user registers the URL at the provider: there is nothing to create or delete remotely.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = await toHttpRequest(this);
		const endpoint = endpointOf(this.getRequestObject().path ?? '');
		if (!endpoint) {
			sendResponse(this, textResponse(404, 'Not found'));
			return { noWebhookResponse: true };
		}
		const options = this.getNodeParameter('triggerOptions', {}) as TriggerOptions;
		const { credential, store, signer } = await webhookStoreFromCredential(this);
		const record: RecordOptions = {
			actor: webhookActor(this),
			complaintPause:
				options.pauseOnComplaints === false
					? false
					: {
							threshold: (options.complaintRateLimit ?? 0.3) / 100,
							minSample: Math.max(1, Math.floor(options.complaintMinSample ?? 1000)),
						},
		};

		const handle = await requestHandler(this, endpoint, { request, credential, store, signer, record, options });

		let result: HandlerResult;
		try {
			result = await handle();
		} catch (error) {
			if (error instanceof EventConfigError) {
				throw new NodeOperationError(this.getNode(), error.message, {
					description: 'Fill in the matching field of the Bounce Webhook API credential',
				});
			}
			// The store (or the network) failed after the request was verified: the sender retries.
			this.logger.warn(`Bounce Webhook: could not record a ${endpoint} request: ${safeMessage(error)}`);
			result = {
				response:
					endpoint === 'events'
						? jsonResponse(503, { ok: false, error: 'The subscriber store is unavailable; retry later' })
						: textResponse(503, 'Temporarily unavailable, please try again later'),
				events: [],
			};
		}

		sendResponse(this, result.response);
		if (result.subscription) {
			const { type, topicArn, confirmed, error } = result.subscription;
			this.logger.info(`Bounce Webhook: SNS ${type} for ${topicArn}${confirmed ? ' confirmed' : ''}${error ? `: ${error}` : ''}`);
		}
		if (result.unrecorded) {
			this.logger.warn(`Bounce Webhook: answered a ${endpoint} request without recording it: ${safeMessage(result.unrecorded)}`);
		}
		if (result.warning) {
			this.logger.warn(`Bounce Webhook: ${endpoint} request: ${result.warning}`);
		}
		if (result.rejected) {
			this.logger.debug(`Bounce Webhook: refused a ${endpoint} request (${result.rejected.status}): ${result.rejected.reason}`);
		}

		const startFor = this.getNodeParameter('startFor', DEFAULT_START_KINDS) as string[];
		const items = eventsToStart(result.events, startFor, { unknownRecipients: options.startForUnknownRecipients === true }).map(toItem);
		const optin = (result as OptinHandlerResult).optin;
		if (optin) items.push(...optinItems(optin, startFor));
		if (items.length === 0) return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [items] };
	}
}
