/** Resource Subscriber: the subscribers of the lists, and double opt-in. */
import type { INodeProperties } from 'n8n-workflow';

import { operationProperties, type Operation } from '../common';
import * as count from './count.operation';
import * as erase from './erase.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as purgeUnconfirmed from './purgeUnconfirmed.operation';
import * as reactivate from './reactivate.operation';
import * as sendConfirmation from './sendConfirmation.operation';
import * as stop from './stop.operation';
import * as trash from './trash.operation';
import * as unsubscribe from './unsubscribe.operation';
import * as update from './update.operation';
import * as upsert from './upsert.operation';

export const operations: Record<string, Operation> = {
	upsert,
	get,
	getMany,
	count,
	update,
	unsubscribe,
	stop,
	reactivate,
	trash,
	erase,
	sendConfirmation,
	purgeUnconfirmed,
};

/** Operations an AI agent must not run: they destroy data for good. */
export const IRREVERSIBLE = ['erase', 'purgeUnconfirmed'] as const;

export const description: INodeProperties[] = [
	...operationProperties(
		'subscriber',
		[
			{ name: 'Count', value: 'count', action: 'Count subscribers', description: 'Count subscribers matching a filter' },
			{ name: 'Create or Update', value: 'upsert', action: 'Create or update a subscriber', description: 'Create a new record, or update the current one if it already exists (upsert)' },
			{ name: 'Erase', value: 'erase', action: 'Erase a subscriber', description: 'Remove personal data for good; only a hash stays, so the address is never mailed again' },
			{ name: 'Get', value: 'get', action: 'Get a subscriber', description: 'Get a subscriber by ID or e-mail' },
			{ name: 'Get Many', value: 'getMany', action: 'Get many subscribers' },
			{ name: 'Move to Trash', value: 'trash', action: 'Move a subscriber to trash' },
			{ name: 'Purge Unconfirmed', value: 'purgeUnconfirmed', action: 'Purge unconfirmed subscribers', description: 'Remove pending subscribers that never confirmed within a number of days (audited)' },
			{ name: 'Reactivate', value: 'reactivate', action: 'Reactivate a subscriber', description: 'Make a subscriber active again (needs explicit consent for opted-out addresses)' },
			{ name: 'Send Confirmation', value: 'sendConfirmation', action: 'Send a confirmation message', description: 'Make the double opt-in confirmation message (signed, expiring confirm link) for each pending subscriber, for Bulk Send' },
			{ name: 'Stop', value: 'stop', action: 'Stop a subscriber', description: 'Pause mailing this subscriber (operator decision)' },
			{ name: 'Unsubscribe', value: 'unsubscribe', action: 'Unsubscribe a subscriber' },
			{ name: 'Update', value: 'update', action: 'Update a subscriber' },
		],
		'upsert',
		IRREVERSIBLE,
	),
	...Object.values(operations).flatMap((operation) => operation.description),
];
