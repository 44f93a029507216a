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
}): Promise<{ credentials: string[]; workflows: string[]; published: string[] }>;
export interface ExampleWorkflow {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; webhookId?: string; disabled?: boolean; parameters: Record<string, unknown> }>;
}
/** Whether `npm start` publishes the workflow (only request triggers, nothing that fires by itself). */
export function publishedByStart(workflow: ExampleWorkflow): boolean;
/** The URLs a published workflow serves, below `baseUrl` (e.g. http://localhost:5678). */
export function liveEndpoints(
	workflow: ExampleWorkflow,
	baseUrl: string,
): Array<{ node: string; method: string; url: string; also?: string[] }>;
