import type { INodeProperties } from 'n8n-workflow';

import { listField, requireList, type OperationContext, type OperationResult } from '../common';

export const description: INodeProperties[] = [listField('list', ['delete'])];

/** Deletes the list with its subscribers (audited). Irreversible: not offered to AI agents. */
export async function execute(op: OperationContext): Promise<OperationResult> {
	const list = await requireList(op);
	const result = await op.store.deleteList(list.id, op.actor);
	return { deleted: result.deleted, id: list.id, name: list.name, subscribersRemoved: result.subscribers };
}
