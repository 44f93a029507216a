export * from './types';
export { SegmentError, type SegmentProblem } from './errors';
export { parseSegment, SEGMENT_LIMITS } from './parse';
export { resolveSegment, checkTimeZone, wallClockToMillis, type ResolvedCondition, type DateRange } from './resolve';
export { segmentMatcher, type SegmentMatcher } from './evaluate';
export {
	foldText,
	textForm,
	numberForm,
	dateForm,
	fieldKey,
	fieldsMatch,
	storedMatch,
	storedFieldsMatch,
	foldException,
	emailFoldException,
	isPathSafeName,
	asciiLower,
	type FieldsMatch,
	type StoredMatch,
} from './values';
export { SEGMENT_JSON_SCHEMA } from './schema';
