/**
 * The example workflows of examples/ as the tests import them: the SAME files, with only what
 * must differ in a test rewritten by `forTest` (documented there). Credentials keep the ids the
 * examples reference; a test imports its own credentials under those ids (`exampleCredentials`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLE_CREDENTIALS, exampleFiles } from '../../scripts/examples';
import type { StoreConfig } from '../../lib/store/openStore';
import type { CredentialInput, N8nInstance, WorkflowInput, WorkflowNode } from './harness';

export const EXAMPLE_FILES = {
	importCsv: 'import-csv-upload.json',
	newsletter: 'weekly-newsletter.json',
	transactional: 'transactional-welcome.json',
	bounces: 'bounce-handling.json',
	mailbox: 'bounce-mailbox.json',
	bounceReport: 'bounce-report.json',
	campaignReport: 'campaign-report.json',
	followUp: 'follow-up-non-openers.json',
} as const;

export function loadExample(file: string): WorkflowInput {
	const full = exampleFiles().find((candidate) => path.basename(candidate) === file);
	if (!full) throw new Error(`examples/${file} does not exist`);
	return JSON.parse(readFileSync(full, 'utf8')) as WorkflowInput;
}

export function nodeNamed(workflow: WorkflowInput, name: string): WorkflowNode {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (!node) throw new Error(`${workflow.name} has no node '${name}'`);
	return node;
}

export interface TestRewrite {
	/** Every Schedule trigger fires this often instead (a real firing within a test's wait). */
	scheduleSeconds: number;
	/** Weekly newsletter: messages per slice, so a small list still takes several slices. */
	newsletterSliceSize: number;
	/** Follow-up example: its two-day Wait lasts this many seconds instead. */
	followUpWaitSeconds?: number;
}

/**
 * What a test changes in an example, and only that:
 * - every Schedule trigger's rule becomes "every `scheduleSeconds` seconds";
 * - the weekly newsletter's Settings say "from Monday 00:00", which has always come in the
 *   current ISO week (so the first firing creates the week's campaign whatever the test's day),
 *   and Send Next Slice gets Max Messages per Run = `newsletterSliceSize`;
 * - the follow-up example's "Wait 2 Days" waits `followUpWaitSeconds` seconds (when given).
 * Credentials, SMTP host/port and URLs come in through the credentials the test imports.
 */
export function forTest(workflow: WorkflowInput, rewrite: TestRewrite): WorkflowInput {
	const copy = structuredClone(workflow);
	for (const node of copy.nodes) {
		if (node.type === 'n8n-nodes-base.scheduleTrigger') {
			node.parameters.rule = { interval: [{ field: 'seconds', secondsInterval: rewrite.scheduleSeconds }] };
		}
		if (node.type === 'n8n-nodes-base.wait' && rewrite.followUpWaitSeconds !== undefined) {
			node.parameters = { ...node.parameters, amount: rewrite.followUpWaitSeconds, unit: 'seconds' };
		}
	}
	if (copy.id === loadExample(EXAMPLE_FILES.newsletter).id) {
		const settings = nodeNamed(copy, 'Settings').parameters as {
			assignments: { assignments: Array<{ name: string; value: unknown }> };
		};
		for (const assignment of settings.assignments.assignments) {
			if (assignment.name === 'sendOnWeekday') assignment.value = 1;
			if (assignment.name === 'sendFromHour') assignment.value = 0;
		}
		const slice = nodeNamed(copy, 'Send Next Slice').parameters as { runOptions: Record<string, unknown> };
		slice.runOptions = { ...slice.runOptions, maxMessages: rewrite.newsletterSliceSize };
	}
	return copy;
}

/** The example credentials (same ids and names) pointing at the test's store and SMTP server. */
export function exampleCredentials(options: {
	store: StoreConfig;
	publicBaseUrl: string;
	signingSecret: string;
	smtp: { host: string; port: number };
	genericSecret: string;
}): CredentialInput[] {
	const { store } = options;
	const storeData =
		store.backend === 'sqlite'
			? { backend: 'sqlite', file: store.file }
			: {
					backend: 'postgres',
					host: store.host,
					port: store.port,
					database: store.database,
					user: store.user,
					password: store.password,
					ssl: 'disable',
					schema: store.schema,
				};
	return [
		{
			...EXAMPLE_CREDENTIALS.store,
			data: { ...storeData, publicBaseUrl: options.publicBaseUrl, signingSecret: options.signingSecret },
		},
		{
			...EXAMPLE_CREDENTIALS.smtp,
			data: { host: options.smtp.host, port: options.smtp.port, security: 'none', allowPlain: true, ehloName: 'n8n.test' },
		},
		{ ...EXAMPLE_CREDENTIALS.bounce, data: { genericSecret: options.genericSecret } },
	];
}

/**
 * Publishes workflows in a started n8n the way the editor's Publish button does (owner account
 * set up, then `POST /rest/workflows/<id>/activate` with the current version): the schedules and
 * webhooks go live at once, and no n8n CLI process has to boot per workflow (each costs seconds).
 */
export async function publishThroughEditorApi(n8n: N8nInstance, workflowIds: string[]): Promise<void> {
	const base = `${n8n.baseUrl}/rest`;
	// n8n ties the session cookie to the browser id the client sends.
	const headers: Record<string, string> = { 'content-type': 'application/json', 'browser-id': randomUUID() };
	const setup = await fetch(`${base}/owner/setup`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ email: 'owner@example.com', firstName: 'Example', lastName: 'Owner', password: `Ex-${randomUUID()}` }),
	});
	if (!setup.ok) throw new Error(`owner setup failed: ${setup.status} ${await setup.text()}`);
	headers.cookie = setup.headers
		.getSetCookie()
		.map((cookie) => cookie.split(';')[0])
		.join('; ');
	for (const id of workflowIds) {
		const current = await fetch(`${base}/workflows/${id}`, { headers });
		if (!current.ok) throw new Error(`reading workflow ${id} failed: ${current.status} ${await current.text()}`);
		const { data } = (await current.json()) as { data: { versionId: string } };
		const published = await fetch(`${base}/workflows/${id}/activate`, {
			method: 'POST',
			headers,
			body: JSON.stringify({ versionId: data.versionId }),
		});
		if (!published.ok) throw new Error(`publishing workflow ${id} failed: ${published.status} ${await published.text()}`);
	}
}
