import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { readBounceMailbox, type BounceMailboxOutcome } from '../../lib/mailbox';
import { historyWarning } from '../../lib/webhook';
import type { Actor, SqlSubscriberStore } from '../../lib/store';
import { STORE_CREDENTIAL, openNodeStore } from '../shared/storeCredential';
import { MAILBOX_CREDENTIAL, mailboxSettingsFrom, type FolderParameters } from './mailboxCredential';
import { credentialTest } from './methods';

function pollActor(ctx: IPollFunctions): Actor {
	const workflow = ctx.getWorkflow();
	return {
		type: 'n8n',
		id: `${workflow.id ?? 'unsaved'}/poll`,
		name: `${workflow.name ?? 'workflow'} / ${ctx.getNode().name}`,
	};
}

/** One output item per message read: what it was, what was recorded, where it went. */
function toItem(outcome: BounceMailboxOutcome): INodeExecutionData {
	return { json: outcome as unknown as IDataObject };
}

/**
 * Polls the mailbox bounces are delivered to, reads each whole message, classifies it (bounce,
 * complaint, auto-reply, delay, success notice or not a bounce), records bounces and complaints in
 * the subscriber store and moves the message to the processed folder — or, when it cannot be read
 * as mail, to the unreadable folder. All of that is in the engine (lib/mailbox); this adapts.
 */
export class BounceMailboxTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bounce Mailbox Trigger',
		name: 'bounceMailboxTrigger',
		icon: { light: 'file:bounceMailbox.svg', dark: 'file:bounceMailbox.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"reads " + ($parameter["folder"] || "INBOX")}}',
		description: 'Reads returned mail from an IMAP mailbox and records bounces and complaints in the subscriber store',
		defaults: { name: 'Bounce Mailbox Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'bulkMailBounceMailboxApi', required: true, testedBy: 'bounceMailboxConnectionTest' },
			{ name: 'bulkMailSubscriberStoreApi', required: true, testedBy: 'subscriberStoreConnectionTest' },
		],
		properties: [
			{
				displayName:
					'Each poll reads every message in the folder, records what it reports and moves it to the processed folder, so a message is read once. "Fetch Test Event" only shows what would be recorded: it changes nothing.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Folder',
				name: 'folder',
				type: 'string',
				default: 'INBOX',
				description: 'The folder bounces arrive in',
			},
			{
				displayName: 'Processed Folder',
				name: 'processedFolder',
				type: 'string',
				default: 'Processed',
				description: 'Where a message goes once it was read and recorded (created if missing)',
			},
			{
				displayName: 'Unreadable Folder',
				name: 'unreadableFolder',
				type: 'string',
				default: 'Unreadable',
				description: 'Where a message goes that is not mail we can read (created if missing); it is kept, never deleted',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Messages per Poll',
						name: 'maxMessages',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 500,
						description: 'The most messages read in one poll; the rest wait for the next',
					},
					{
						displayName: 'Message Size Cap (KB)',
						name: 'maxMessageSizeKb',
						type: 'number',
						typeOptions: { minValue: 16 },
						default: 2048,
						description:
							'Only this much of a larger message is read. A bounce report comes first in the message, so a huge quoted original is cut without losing the verdict.',
					},
				],
			},
		],
	};

	methods = { credentialTest };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const options = this.getNodeParameter('options', {}) as FolderParameters;
		const folders: FolderParameters = {
			...options,
			folder: this.getNodeParameter('folder', 'INBOX') as string,
			processedFolder: this.getNodeParameter('processedFolder', 'Processed') as string,
			unreadableFolder: this.getNodeParameter('unreadableFolder', 'Unreadable') as string,
		};
		const settings = mailboxSettingsFrom(await this.getCredentials(MAILBOX_CREDENTIAL), folders);
		const storeData = await this.getCredentials(STORE_CREDENTIAL);
		const store: SqlSubscriberStore = await openNodeStore(this);
		try {
			const report = await readBounceMailbox(settings, store, {
				actor: pollActor(this),
				verpSecret: storeData.signingSecret ? String(storeData.signingSecret) : null,
				preview: this.getMode() === 'manual',
				onHistoryFailure: (error, events) => this.logger.warn(`Bounce mailbox: ${historyWarning(error, events)}`),
			});
			if (report.stopped) {
				this.logger.warn(`Bounce mailbox: stopped at message UID ${report.stopped.uid}, left in the folder for the next poll: ${report.stopped.error}`);
			}
			const items = report.outcomes.map(toItem);
			return items.length ? [items] : null;
		} catch (error) {
			throw new NodeOperationError(this.getNode(), (error as Error).message);
		} finally {
			await store.close();
		}
	}
}
