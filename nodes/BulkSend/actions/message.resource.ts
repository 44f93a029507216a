/**
 * Resource Message (item mode): each input item is one message — from Compose Message, or any
 * node whose items carry to / subject / html and/or text (and from, or the Default From option).
 *
 * Outputs: 1 "Results" gets every item the server accepted (`sent`) and every item the store
 * says must not be mailed (`suppressed`); 2 "Failures" gets every item that was not delivered:
 * refused (`failed`, 5xx or still deferred after the last retry), `unknown` (the connection was
 * lost after the message went out; never retried, so never sent twice), `skipped` (the run
 * stopped first: breaker, daily cap, cancel) and, with "Continue On Fail", `invalid` items.
 * Each input item gives exactly one output item, paired with it.
 *
 * Errors: an item that is not a message fails the node before anything is sent (so a fixed
 * re-run sends nothing twice) unless "Continue On Fail" is on. An SMTP authentication, TLS or
 * host failure fails the node when nothing was delivered; when some messages were already
 * accepted, the node outputs them (so they are not sent again) and the rest as `skipped`.
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { PROOF_HEADER, toSendMailOptions, type ComposedMessage } from '../../../lib/compose';
import { CORRELATION_HEADERS } from '../../../lib/events';
import {
	FailureRateBreaker,
	resolveLimits,
	resolveRetryPolicy,
	bounceOf,
	sendMessages,
	type OutgoingMessage,
	type SendResult,
	type SendRunReport,
} from '../../../lib/send';
import { consumeConfirmation, verifyConfirmationMark } from '../../../lib/optin';
import type { SqlSubscriberStore } from '../../../lib/store';
import { composedMessageFromItem } from '../../ComposeMessage/messageItem';
import { suppressionReasons } from '../helpers/suppression';
import {
	notSentJson,
	resultJson,
	type RecipientInfo,
} from '../helpers/results';
import {
	item,
	itemError,
	itemLabel,
	showFor,
	type BatchOperation,
	type NodeOutput,
	type OperationContext,
} from './common';
import {
	readLimiterConfig,
	readRetryAndBreaker,
	retryOptions,
	withSharedLimit,
} from './throttling';

export const MAX_PROOF_RECIPIENTS = 10;

export const messageOperations: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['message'] } },
	options: [
		{
			name: 'Send',
			value: 'send',
			action: 'Send a message for each item',
			description:
				'Send every input item as one message over one pooled, throttled SMTP connection pool',
		},
		{
			name: 'Test Send',
			value: 'testSend',
			action: 'Send a test message',
			description: 'Send the first input item’s message as a proof to a few addresses',
		},
	],
	default: 'send',
};

/** Test Send of a message (the first input item) or of a campaign. */
const forTestSend = { show: { resource: ['message', 'campaign'], operation: ['testSend'] } };

export const messageFields: INodeProperties[] = [
	{
		displayName: 'Proof Recipients',
		name: 'proofRecipients',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. editor@example.com, qa@example.com',
		description: `Up to ${MAX_PROOF_RECIPIENTS} addresses, separated by commas`,
		displayOptions: forTestSend,
	},
	{
		displayName: 'Proof Subject Prefix',
		name: 'proofSubjectPrefix',
		type: 'string',
		default: '[TEST] ',
		description: 'Put before the subject, unless the message was composed as a proof already',
		displayOptions: forTestSend,
	},
	{
		displayName: 'Options',
		name: 'sendOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: showFor('message', ['send']),
		options: [
			{
				displayName: 'Apply Bounces to Store',
				name: 'applyBounces',
				type: 'boolean',
				default: true,
				description:
					'Whether a recipient the server refused for good (5xx) gets a hard bounce, and one still deferred after the last retry a soft bounce, through the store’s bounce policy (needs a store credential)',
			},
			{
				displayName: 'Default From E-Mail',
				name: 'defaultFromEmail',
				type: 'string',
				default: '',
				placeholder: 'e.g. news@example.com',
				description: 'Sender address for items that carry no from',
			},
			{
				displayName: 'Default From Name',
				name: 'defaultFromName',
				type: 'string',
				default: '',
				placeholder: 'e.g. ACME News',
				description: 'Display name with the Default From E-Mail',
			},
			...retryOptions,
		],
	},
];

interface Prepared {
	itemIndex: number;
	recipient: RecipientInfo;
	message: OutgoingMessage | null;
	/** The message as the item gave it, kept only for a double opt-in confirmation's check. */
	confirmation?: { message: ComposedMessage; mark: unknown };
}

function recipientOf(message: ComposedMessage): RecipientInfo {
	return {
		to: message.to.address,
		subscriberId: message.subscriberId,
		campaignId: message.campaignId,
	};
}

/** The item as a message, with the default sender filled in when it has none. */
async function readMessage(
	op: OperationContext,
	itemIndex: number,
	defaultFrom: IDataObject | null,
): Promise<ComposedMessage> {
	const source = op.ctx.getInputData()[itemIndex];
	const json = source?.json ?? {};
	const withFrom =
		defaultFrom && (json.from === undefined || json.from === null || json.from === '')
			? { ...source, json: { ...json, from: defaultFrom } }
			: source;
	return composedMessageFromItem(op.ctx, itemIndex, withFrom);
}

function hint(op: OperationContext, message: string, type: 'info' | 'warning' = 'warning') {
	op.ctx.addExecutionHints({ message, type, location: 'outputPane' });
}

function reportHints(op: OperationContext, report: SendRunReport) {
	for (const warning of report.warnings) hint(op, warning);
	if (report.outcome === 'paused' || report.outcome === 'daily-cap' || report.outcome === 'aborted') {
		hint(op, `${report.message} The items not sent are on the Failures output as "skipped".`);
	}
}

/** The fatal error of a run, as an error naming the first item it hit. */
function fatalNodeError(op: OperationContext, report: SendRunReport, results: SendResult[]) {
	const first = results.find((result) => result.error && result.error.kind === 'fatal');
	const itemIndex = typeof first?.ref === 'number' ? first.ref : 0;
	return itemError(
		op.ctx.getNode(),
		itemIndex,
		`${report.fatalError?.message ?? report.message} Nothing was sent.`,
		'Check the Bulk Mail SMTP credential (use its Test button): host, port, security, user and password.',
	);
}

/** Applies hard/soft bounces of refused recipients through the store's bounce policy. */
async function applyBounces(
	op: OperationContext,
	results: SendResult[],
	recipients: Map<number, RecipientInfo>,
): Promise<void> {
	const bounced = results.filter((result) => bounceOf(result) !== null);
	if (!bounced.length) return;
	const store = await op.resources.store();
	for (const result of bounced) {
		const recipient = recipients.get(result.ref as number);
		if (!recipient) continue;
		try {
			await store.applyDeliveryEvent(
				{
					type: bounceOf(result)!,
					subscriberId: recipient.subscriberId,
					email: recipient.subscriberId ? null : recipient.to,
					diagnostic: result.response ?? result.error?.message ?? null,
					source: 'bulk-send',
				},
				op.resources.actor,
			);
		} catch (error) {
			hint(
				op,
				`${itemLabel(result.ref as number)}: the bounce could not be recorded in the store: ${error.message}`,
			);
		}
	}
}

/**
 * Why a pending subscriber must not get this item, or null: the item's confirmation mark must be
 * genuine for exactly this message (Subscriber List → Send Confirmation sealed it) and not used
 * before; it is used up here, so the confirmation goes out once.
 */
async function confirmationRefusal(
	op: OperationContext,
	store: SqlSubscriberStore,
	confirmation: { message: ComposedMessage; mark: unknown },
): Promise<string | null> {
	const { secret } = await op.resources.links();
	const check = verifyConfirmationMark(secret, confirmation.message, confirmation.mark);
	if (!check.ok) return `the item is not its confirmation message: ${check.reason}`;
	const fresh = await consumeConfirmation(store, confirmation.message.to.address, check.mark.nonce);
	return fresh ? null : 'this confirmation message was sent already, or a newer one replaced it';
}

async function runItems(
	op: OperationContext,
	prepared: Prepared[],
	settings: {
		limiter: Parameters<typeof sendMessages>[1]['limiter'];
		retry: Parameters<typeof sendMessages>[1]['retry'];
		breaker: Parameters<typeof sendMessages>[1]['breaker'];
	},
): Promise<SendRunReport> {
	const smtp = await op.resources.smtp(0);
	const transport = await op.resources.transport(0);
	function* messages(): Generator<OutgoingMessage> {
		for (const entry of prepared) {
			if (!entry.message) continue;
			const message = entry.message;
			// the transport has it now; the item keeps its own copy
			entry.message = null;
			yield message;
		}
	}
	return sendMessages(messages(), {
		smtp,
		transport,
		limiter: settings.limiter,
		retry: settings.retry,
		breaker: settings.breaker,
		signal: op.resources.signal,
	});
}

export const send: BatchOperation = async (op) => {
	const { ctx } = op;
	const items = ctx.getInputData();
	const continueOnFail = ctx.continueOnFail();
	const options = ctx.getNodeParameter('sendOptions', 0, {}) as IDataObject;
	const defaultFromEmail = String(options.defaultFromEmail ?? '').trim();
	const defaultFrom = defaultFromEmail
		? { name: String(options.defaultFromName ?? ''), address: defaultFromEmail }
		: null;

	// Settings first: a throttling mistake fails the node before anything is sent.
	let limiter;
	let tuning;
	try {
		const smtp = await op.resources.smtp(0);
		limiter = await withSharedLimit(op, 0, readLimiterConfig(op, 0), smtp);
		if (limiter) resolveLimits(limiter);
		tuning = readRetryAndBreaker(options);
		if (tuning.retry) resolveRetryPolicy(tuning.retry);
		if (tuning.breaker) new FailureRateBreaker(tuning.breaker);
	} catch (error) {
		throw itemError(ctx.getNode(), 0, error);
	}

	const placed: Array<{ output: 0 | 1; json: IDataObject } | undefined> = new Array(items.length);
	const prepared: Prepared[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const message = await readMessage(op, itemIndex, defaultFrom);
			const mark = items[itemIndex]?.json?.confirmation;
			prepared.push({
				itemIndex,
				recipient: recipientOf(message),
				message: { ...toSendMailOptions(message), ref: itemIndex },
				...(mark !== undefined && mark !== null ? { confirmation: { message, mark } } : {}),
			});
		} catch (error) {
			if (!continueOnFail) {
				throw itemError(
					ctx.getNode(),
					itemIndex,
					error,
					'Each item must be a message: to, subject, html and/or text, and from (or set Default From E-Mail). Compose Message writes such items.',
				);
			}
			const json = items[itemIndex]?.json ?? {};
			placed[itemIndex] = {
				output: 1,
				json: notSentJson(
					'invalid',
					{ to: typeof json.to === 'string' ? json.to : undefined },
					itemIndex,
					error.message,
				),
			};
		}
	}

	if (op.resources.hasStore && prepared.length) {
		const store = await op.resources.store();
		const reasons = await suppressionReasons(
			store,
			prepared.map((entry) => ({
				email: entry.recipient.to,
				subscriberId: entry.recipient.subscriberId,
				...(entry.confirmation ? { confirmation: () => confirmationRefusal(op, store, entry.confirmation!) } : {}),
			})),
		);
		reasons.forEach((reason, index) => {
			if (reason === null) return;
			const entry = prepared[index];
			entry.message = null;
			placed[entry.itemIndex] = {
				output: 0,
				json: notSentJson('suppressed', entry.recipient, entry.itemIndex, reason),
			};
		});
	}

	const toSend = prepared.filter((entry) => entry.message !== null);
	const recipients = new Map(toSend.map((entry) => [entry.itemIndex, entry.recipient]));
	if (toSend.length) {
		const report = await runItems(op, toSend, { limiter, ...tuning });
		if (report.outcome === 'fatal' && report.counts.sent + report.counts.unknown === 0 && !continueOnFail) {
			throw fatalNodeError(op, report, report.results);
		}
		reportHints(op, report);
		if (report.outcome === 'fatal') {
			hint(op, `Stopped: ${report.fatalError?.message ?? report.message}`);
		}
		for (const result of report.results) {
			const itemIndex = result.ref as number;
			placed[itemIndex] = {
				output: result.status === 'sent' ? 0 : 1,
				json: resultJson(result, recipients.get(itemIndex)!, itemIndex),
			};
		}
		if (op.resources.hasStore && options.applyBounces !== false) {
			await applyBounces(op, report.results, recipients);
		}
	}

	const output: NodeOutput = [[], []];
	placed.forEach((entry, itemIndex) => {
		if (entry) output[entry.output].push(item(entry.json, itemIndex));
	});
	return output;
};

export function parseProofRecipients(op: OperationContext, itemIndex: number): string[] {
	const raw = String(op.ctx.getNodeParameter('proofRecipients', itemIndex, '') ?? '');
	const addresses = [
		...new Set(
			raw
				.split(/[,;\s]+/)
				.map((address) => address.trim())
				.filter(Boolean),
		),
	];
	if (!addresses.length) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			'no proof recipient is given',
			'Enter one or more addresses, separated by commas.',
		);
	}
	if (addresses.length > MAX_PROOF_RECIPIENTS) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			`${addresses.length} proof recipients given; a test send goes to at most ${MAX_PROOF_RECIPIENTS}`,
		);
	}
	return addresses;
}

/** Headers that tie a message to a subscriber or campaign; a proof must not carry them. */
const RECIPIENT_HEADERS = new Set(
	[
		'list-unsubscribe',
		'list-unsubscribe-post',
		...Object.values(CORRELATION_HEADERS),
	].map((name) => name.toLowerCase()),
);

/**
 * Sends proofs (`messages`, one per address) outside any campaign: no counters, no send log,
 * no bounces. Store suppression still applies.
 */
export async function sendProofs(
	op: OperationContext,
	itemIndex: number,
	proofs: Array<{ address: string; message: ComposedMessage }>,
): Promise<NodeOutput> {
	const output: NodeOutput = [[], []];
	const reasons = op.resources.hasStore
		? await suppressionReasons(
				await op.resources.store(),
				proofs.map((proof) => ({ email: proof.address, subscriberId: null })),
			)
		: proofs.map(() => null);
	const outgoing: OutgoingMessage[] = [];
	proofs.forEach((proof, index) => {
		if (reasons[index] !== null) {
			output[0].push(
				item(
					notSentJson('suppressed', { to: proof.address }, itemIndex, reasons[index]!),
					itemIndex,
				),
			);
			return;
		}
		outgoing.push({ ...toSendMailOptions(proof.message), ref: index });
	});
	if (!outgoing.length) return output;
	const report = await sendMessages(outgoing, {
		smtp: await op.resources.smtp(itemIndex),
		transport: await op.resources.transport(itemIndex),
		breaker: false,
		retry: { maxAttempts: 2, baseDelayMs: 1000 },
		signal: op.resources.signal,
	});
	if (report.outcome === 'fatal' && report.counts.sent === 0 && !op.ctx.continueOnFail()) {
		throw itemError(
			op.ctx.getNode(),
			itemIndex,
			report.fatalError?.message ?? report.message,
			'Check the Bulk Mail SMTP credential (use its Test button).',
		);
	}
	for (const result of report.results) {
		const proof = proofs[result.ref as number];
		const json = resultJson(
			result,
			{ to: proof.address, subscriberId: null, campaignId: null },
			itemIndex,
		);
		json.proof = true;
		output[result.status === 'sent' ? 0 : 1].push(item(json, itemIndex));
	}
	return output;
}

export const testSend: BatchOperation = async (op) => {
	const { ctx } = op;
	const addresses = parseProofRecipients(op, 0);
	const prefix = String(ctx.getNodeParameter('proofSubjectPrefix', 0, '[TEST] ') ?? '');
	let message: ComposedMessage;
	try {
		message = await readMessage(op, 0, null);
	} catch (error) {
		throw itemError(
			ctx.getNode(),
			0,
			error,
			'Test Send sends the first input item, which must be a message.',
		);
	}
	const source = ctx.getInputData()[0]?.json ?? {};
	const alreadyProof = source.proof === true || PROOF_HEADER in (message.headers ?? {});
	if (!alreadyProof && message.subscriberId) {
		hint(
			op,
			`The message was composed for subscriber ${message.subscriberId}: links in its body act for that subscriber. Compose it with Proof on for links that change nothing.`,
		);
	}
	const headers = Object.fromEntries(
		Object.entries(message.headers ?? {}).filter(
			([name]) => !RECIPIENT_HEADERS.has(name.toLowerCase()),
		),
	);
	headers[PROOF_HEADER] = '1';
	const proofs = addresses.map((address) => ({
		address,
		message: {
			...message,
			to: { name: '', address },
			subject: alreadyProof ? message.subject : `${prefix}${message.subject}`,
			headers,
			// a fresh Message-ID per proof: the original belongs to the real recipient
			messageId: '',
			campaignId: null,
			subscriberId: null,
		},
	}));
	try {
		return await sendProofs(op, 0, proofs);
	} catch (error) {
		throw itemError(ctx.getNode(), 0, error);
	}
};
