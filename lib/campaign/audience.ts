/**
 * A new campaign's audience, checked before it is stored: its lists in order (each must exist;
 * an address on several gets one message, with its row on the first), and/or a segment — a
 * saved one (its definition is copied when the campaign starts, lib/store audience.ts) or an
 * inline definition, validated now so a bad condition is named at Create, not at send time.
 */
import { checkTimeZone, parseSegment, SegmentError } from '../segments';
import type { SqlSubscriberStore } from '../store';
import { CampaignError, type CampaignAudience, type CampaignInput, type CampaignSegment } from './types';

/** Most lists one campaign may name. */
export const MAX_CAMPAIGN_LISTS = 50;

export async function checkAudience(
	store: SqlSubscriberStore,
	input: Pick<CampaignInput, 'listId' | 'listIds' | 'segment' | 'timeZone'>,
): Promise<Omit<CampaignAudience, 'frozen'>> {
	const given: unknown[] = [];
	if (input.listId !== undefined && input.listId !== null && input.listId !== '') given.push(input.listId);
	if (input.listIds !== undefined && input.listIds !== null) {
		if (!Array.isArray(input.listIds)) throw new CampaignError('The campaign lists (listIds) must be a list of list ids', 'invalid');
		given.push(...input.listIds);
	}
	const listIds: string[] = [];
	for (const raw of given) {
		const list = await store.getList(String(raw ?? '').trim());
		if (!list) throw new CampaignError(`There is no list '${String(raw ?? '')}'`, 'not-found');
		if (!listIds.includes(list.id)) listIds.push(list.id);
	}
	if (listIds.length > MAX_CAMPAIGN_LISTS) {
		throw new CampaignError(`A campaign can mail at most ${MAX_CAMPAIGN_LISTS} lists (${listIds.length} given)`, 'invalid');
	}
	const segment = await checkSegment(store, input.segment);
	if (!listIds.length && !segment) {
		throw new CampaignError('The campaign needs an audience: a list (listId), several lists (listIds) or a segment', 'invalid');
	}
	let timeZone: string | null = null;
	if (input.timeZone !== undefined && input.timeZone !== null && String(input.timeZone).trim()) {
		try {
			timeZone = checkTimeZone(String(input.timeZone).trim());
		} catch (error) {
			if (error instanceof SegmentError) throw new CampaignError(`The campaign's time zone is not valid: ${error.message}`, 'invalid');
			throw error;
		}
	}
	return { listIds, segment, followUp: null, timeZone };
}

async function checkSegment(store: SqlSubscriberStore, input: CampaignInput['segment']): Promise<CampaignSegment | null> {
	if (input === undefined || input === null) return null;
	if (typeof input !== 'object' || Array.isArray(input)) {
		throw new CampaignError('The campaign segment must be { segmentId } (a saved segment) or { definition } (segment JSON)', 'invalid');
	}
	if ('segmentId' in input && input.segmentId !== undefined && input.segmentId !== null && input.segmentId !== '') {
		const saved = await store.getSegment(String(input.segmentId));
		if (!saved) throw new CampaignError(`There is no segment '${String(input.segmentId)}'`, 'not-found');
		return { segmentId: saved.id, name: saved.name, definition: null };
	}
	if ('definition' in input && input.definition !== undefined && input.definition !== null) {
		let definition: unknown = input.definition;
		if (typeof definition === 'string') {
			try {
				definition = JSON.parse(definition) as unknown;
			} catch (error) {
				throw new CampaignError(`The campaign segment is not valid JSON (${(error as Error).message})`, 'invalid');
			}
		}
		try {
			parseSegment(definition);
		} catch (error) {
			if (error instanceof SegmentError) throw new CampaignError(`The campaign segment is not valid: ${error.message}`, 'invalid');
			throw error;
		}
		return { segmentId: null, name: null, definition: definition as Record<string, unknown> };
	}
	throw new CampaignError('The campaign segment needs a segmentId (a saved segment) or a definition (segment JSON)', 'invalid');
}
