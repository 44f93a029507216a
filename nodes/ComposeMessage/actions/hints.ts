import type { IExecuteFunctions } from 'n8n-workflow';

/** Warnings shown once in the editor as execution hints (they also stay on the output items). */
export class WarningHints {
	private readonly seen = new Set<string>();

	add(warnings: readonly string[]): void {
		for (const warning of warnings) this.seen.add(warning);
	}

	flush(ctx: IExecuteFunctions): void {
		if (!this.seen.size || typeof ctx.addExecutionHints !== 'function') return;
		ctx.addExecutionHints(
			...[...this.seen].map((message) => ({ message, location: 'outputPane' as const })),
		);
	}
}
