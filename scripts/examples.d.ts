/** Types for examples.js (the example workflows and the credentials `npm start` creates for them). */
export interface ExampleCredential {
	id: string;
	name: string;
	type: string;
}
export const EXAMPLE_CREDENTIALS: { store: ExampleCredential; smtp: ExampleCredential; bounce: ExampleCredential; mailbox: ExampleCredential };
export const examplesDir: string;
export function exampleFiles(dir?: string): string[];
export function bounceWebhookPath(dir?: string): string;
export function localCredentialData(options?: {
	port?: number;
	publicBaseUrl?: string;
}): Record<'store' | 'smtp' | 'bounce' | 'mailbox', Record<string, unknown>>;
export function importExamples(options: {
	userFolder: string;
	runCli: (args: string[]) => unknown;
	log?: (message: string) => void;
	dir?: string;
	/** The editor port, for the default public base URL. */
	port?: number;
	/** The store credential's Public Base URL (https). */
	publicBaseUrl?: string;
}): Promise<{ credentials: string[]; workflows: string[] }>;
