/** One thing wrong with a segment, named by its path (e.g. `conditions[2].conditions[0]`). */
export interface SegmentProblem {
	path: string;
	message: string;
}

/** A segment that cannot be used; the message lists every problem found, each with its path. */
export class SegmentError extends Error {
	constructor(readonly problems: SegmentProblem[]) {
		super(
			problems.length === 1
				? describe(problems[0])
				: `The segment has ${problems.length} problems: ${problems.map(describe).join('; ')}`,
		);
		this.name = 'SegmentError';
	}
}

function describe(problem: SegmentProblem): string {
	return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}
