/**
 * Message → Send (item mode): each input item is one message — from Compose Message, or any
 * node whose items carry to / subject / html and/or text (and from, or the Default From option).
 *
 * Outputs: 1 "Results" gets every item the server accepted (`sent`) and every item the store
 * says must not be mailed (`suppressed`); 2 "Failures" gets every item that was not delivered:
 * refused (`failed`, 5xx or still deferred after the last retry), `unknown` (the connection was
 * lost after the message went out; never retried, so never sent twice), `skipped` (the run
 * stopped first: breaker, daily cap, cancel) and, with "Continue On Fail", `invalid` items
 * (which "Continue (using error output)" sends to the error output instead).
 * Each input item gives exactly one output item, paired with it.
 *
 * Errors: an item that is not a message fails the node before anything is sent (so a fixed
 * re-run sends nothing twice) unless "Continue On Fail" is on. An SMTP authentication, TLS or
 * host failure fails the node when nothing was delivered; when some messages were already
 * accepted, the node outputs them (so they are not sent again) and the rest as `skipped`.
 *
 * Who may be mailed and what a refusal means for the store are the engine's rules
 * (lib/campaign deliveryRefusals, applySendBounces); this file reads items and places results.
 */
import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { applySendBounces, deliveryRefusals, type RecipientToCheck } from '../../../../lib/campaign';
import { prepareVerp, verpEnvelope, verpIdsFor } from '../../../../lib/bounce';
import { toSendMailOptions, type ComposedMessage } from '../../../../lib/compose';
import { sendMessages, type OutgoingMessage, type SendResult, type SendRunReport } from '../../../../lib/send';
import { composedMessageFromItem } from '../../../shared/messageItem';
import { errorItem, item, itemError, itemLabel, showFor } from '../../../shared/nodeHelpers';
import { notSentJson, resultJson, type RecipientInfo } from '../../helpers/results';
import { bounceDomainOption, readVerp } from '../bounceOptions';
import { checkSendConfig, type NodeOutput, type OperationContext } from '../resources';
import { readLimiterConfig, readRetryAndBreaker, retryOptions, withSharedLimit } from '../throttling';

export const description: INodeProperties[] = [
	{
		displayName:
			'Results gets the sent items and those the store suppressed; Failures gets refused, unknown (possibly delivered, never retried) and skipped items. With a Subscriber Store credential, suppressed and non-active addresses are never sent to.',
		name: 'storeNotice',
		type: 'notice',
		default: '',
		displayOptions: showFor('message', ['send']),
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
					'Whether a refused recipient (5xx, or still deferred after the last retry) gets a bounce of the kind its reply shows — hard (no such user), soft (mailbox full) or sender (our mail blocked, never held against the address) — through the store’s bounce policy (needs a store credential)',
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
			bounceDomainOption,
			...retryOptions,
		],
	},
];

interface Prepared {
	itemIndex: number;
	recipient: RecipientInfo;
	message: OutgoingMessage | null;
	/** The message as the item gave it and its mark, for a double opt-in confirmation's check. */
	confirmation?: RecipientToCheck['confirmation'];
}

/** Where each input item ends up: output 0 or 1, with its JSON (and error, for a bad item). */
type Placed = { output: 0 | 1; item: INodeExecutionData };

/** The item as a message, with the default sender filled in when it has none. */
export async function readMessage(
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

function hint(op: OperationContext, message: string) {
	op.ctx.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
}

function reportHints(op: OperationContext, report: SendRunReport) {
	for (const warning of report.warnings) hint(op, warning);
	if (report.outcome === 'paused' || report.outcome === 'daily-cap' || report.outcome === 'aborted') {
		hint(op, `${report.message} The items not sent are on the Failures output as "skipped".`);
	}
	if (report.outcome === 'fatal') hint(op, `Stopped: ${report.fatalError?.message ?? report.message}`);
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

/** Reads every item as a message; a bad one fails the node, or (continue on fail) is placed. */
async function prepareItems(op: OperationContext, options: IDataObject, placed: Array<Placed | undefined>) {
	const { ctx } = op;
	const items = ctx.getInputData();
	const defaultFromEmail = String(options.defaultFromEmail ?? '').trim();
	const defaultFrom = defaultFromEmail
		? { name: String(options.defaultFromName ?? ''), address: defaultFromEmail }
		: null;
	let verp: ReturnType<typeof prepareVerp>;
	try {
		verp = prepareVerp(await readVerp(op, options.bounceDomain));
	} catch (error) {
		throw itemError(ctx.getNode(), 0, error);
	}
	const prepared: Prepared[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const message = await readMessage(op, itemIndex, defaultFrom);
			const mark = items[itemIndex]?.json?.confirmation;
			const outgoing: OutgoingMessage = { ...toSendMailOptions(message), ref: itemIndex };
			// VERP needs the store's row id; an item without one keeps the From address as return path
			const ids = verp ? verpIdsFor(message.subscriberId, message.campaignId) : null;
			if (verp && ids) outgoing.envelope = verpEnvelope(verp, ids, message.to.address);
			prepared.push({
				itemIndex,
				recipient: { to: message.to.address, subscriberId: message.subscriberId, campaignId: message.campaignId },
				message: outgoing,
				...(mark !== undefined && mark !== null ? { confirmation: { message, mark } } : {}),
			});
		} catch (error) {
			const nodeError = itemError(
				ctx.getNode(),
				itemIndex,
				error,
				'Each item must be a message: to, subject, html and/or text, and from (or set Default From E-Mail). Compose Message writes such items.',
			);
			if (!ctx.continueOnFail()) throw nodeError;
			const json = items[itemIndex]?.json ?? {};
			const to = typeof json.to === 'string' ? json.to : undefined;
			const { error: _message, ...invalid } = notSentJson('invalid', { to }, itemIndex, error.message);
			placed[itemIndex] = { output: 1, item: errorItem(ctx.getNode(), nodeError, itemIndex, invalid) };
		}
	}
	return prepared;
}

/** The store's rules: recipients it refuses are placed as `suppressed` and not sent. */
async function applyRefusals(op: OperationContext, prepared: Prepared[], placed: Array<Placed | undefined>) {
	const store = await op.resources.store();
	const { secret } = await op.resources.links();
	const reasons = await deliveryRefusals(
		store,
		prepared.map((entry) => ({
			email: entry.recipient.to,
			subscriberId: entry.recipient.subscriberId,
			...(entry.confirmation ? { confirmation: entry.confirmation } : {}),
		})),
		secret,
	);
	reasons.forEach((reason, index) => {
		if (reason === null) return;
		const entry = prepared[index];
		entry.message = null;
		placed[entry.itemIndex] = {
			output: 0,
			item: item(notSentJson('suppressed', entry.recipient, entry.itemIndex, reason), entry.itemIndex),
		};
	});
}

function* messagesOf(prepared: Prepared[]): Generator<OutgoingMessage> {
	for (const entry of prepared) {
		if (!entry.message) continue;
		const message = entry.message;
		// the transport has it now; the item keeps its own copy
		entry.message = null;
		yield message;
	}
}

export async function execute(op: OperationContext): Promise<NodeOutput> {
	const { ctx, resources } = op;
	const continueOnFail = ctx.continueOnFail();
	const options = ctx.getNodeParameter('sendOptions', 0, {}) as IDataObject;

	// Settings first: a mistake fails the node before anything is sent.
	const smtp = await resources.smtp(0);
	let limiter;
	try {
		limiter = await withSharedLimit(op, 0, readLimiterConfig(op, 0), smtp);
	} catch (error) {
		throw itemError(ctx.getNode(), 0, error);
	}
	const tuning = readRetryAndBreaker(options);
	checkSendConfig(op, 0, { smtp, limiter, ...tuning });

	const placed: Array<Placed | undefined> = new Array(ctx.getInputData().length);
	const prepared = await prepareItems(op, options, placed);
	if (resources.hasStore && prepared.length) await applyRefusals(op, prepared, placed);

	const toSend = prepared.filter((entry) => entry.message !== null);
	const recipients = new Map(toSend.map((entry) => [entry.itemIndex, entry.recipient]));
	if (toSend.length) {
		const report = await sendMessages(messagesOf(toSend), {
			smtp,
			transport: await resources.transport(0),
			limiter,
			...tuning,
			signal: resources.signal,
		});
		if (report.outcome === 'fatal' && report.counts.sent + report.counts.unknown === 0 && !continueOnFail) {
			throw fatalNodeError(op, report, report.results);
		}
		reportHints(op, report);
		for (const result of report.results) {
			const itemIndex = result.ref as number;
			placed[itemIndex] = {
				output: result.status === 'sent' ? 0 : 1,
				item: item(resultJson(result, recipients.get(itemIndex)!, itemIndex), itemIndex),
			};
		}
		if (resources.hasStore && options.applyBounces !== false) {
			const unrecorded = await applySendBounces(
				await resources.store(),
				report.results.map((result) => ({ result, ...recipients.get(result.ref as number)! })),
				resources.actor,
			);
			for (const { outcome, error } of unrecorded) {
				hint(op, `${itemLabel(outcome.result.ref as number)}: the bounce could not be recorded in the store: ${error}`);
			}
		}
	}

	const output: NodeOutput = [[], []];
	for (const entry of placed) if (entry) output[entry.output].push(entry.item);
	return output;
}
