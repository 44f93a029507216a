/** What the Segment operations share: the saved-segment picker and the segment as output JSON. */
import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';

import type { SavedSegment } from '../../../../lib/store';
import { readLocator } from '../../../shared/locators';
import { showFor } from '../../../shared/nodeHelpers';
import { savedSegmentLocator } from '../../../shared/segmentFields';
import type { OperationContext } from '../common';

export function segmentField(operation: string): INodeProperties {
	return savedSegmentLocator({
		displayName: 'Segment',
		name: 'segment',
		required: true,
		description: 'The saved segment, from the list, by its ID or by its name',
		displayOptions: showFor('segment', [operation]),
	});
}

export async function requireSegment(op: OperationContext): Promise<SavedSegment> {
	const ref = readLocator(op.ctx, 'segment', op.itemIndex);
	const fail = (message: string) => new NodeOperationError(op.ctx.getNode(), message, { itemIndex: op.itemIndex });
	if (!ref) throw fail('No segment is given; pick a segment or enter its name or ID');
	const segment = await op.store.getSegment(ref);
	if (!segment) throw fail(`There is no saved segment named or numbered '${ref}'`);
	return segment;
}

/** A saved segment as item JSON, with how many subscriber rows it selects now when asked. */
export async function segmentJson(op: OperationContext, segment: SavedSegment, withCount: boolean): Promise<IDataObject> {
	const json: IDataObject = {
		id: segment.id,
		name: segment.name,
		definition: segment.definition as IDataObject,
		createdAt: segment.createdAt,
		updatedAt: segment.updatedAt,
	};
	if (withCount) {
		json.subscribers = await op.store.countSubscribers({
			segment: { definition: segment.definition, timeZone: op.ctx.getTimezone() },
		});
	}
	return json;
}
