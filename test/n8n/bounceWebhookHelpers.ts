/**
 * Shared by the real-n8n test and the benchmark: registers the Bounce Webhook node in an
 * instance (until package.json lists it) and builds its workflow.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import type { N8nInstance, WorkflowInput } from './harness';

export const TRIGGER_TYPE = 'n8n-nodes-bulk-mail.bounceWebhookTrigger';
const NODE_FILE = 'dist/nodes/BounceWebhook/BounceWebhookTrigger.node.js';
const CREDENTIAL_FILE = 'dist/credentials/BounceWebhookApi.credentials.js';

/**
 * Makes the installed copy of the package list the trigger and its credential, as the
 * project's package.json will. A no-op once package.json registers them.
 */
export function registerBounceWebhook(n8n: N8nInstance): void {
	const manifest = path.join(n8n.userFolder, '.n8n', 'nodes', 'node_modules', n8n.packageName, 'package.json');
	const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };
	if (!existsSync(path.join(path.dirname(manifest), NODE_FILE))) {
		throw new Error(`${NODE_FILE} is not in the installed package: build first (npm run build)`);
	}
	if (!pkg.n8n.nodes.includes(NODE_FILE)) pkg.n8n.nodes.push(NODE_FILE);
	if (!pkg.n8n.credentials.includes(CREDENTIAL_FILE)) pkg.n8n.credentials.push(CREDENTIAL_FILE);
	writeFileSync(manifest, JSON.stringify(pkg, null, 2));
}

export interface TriggerSpec {
	name: string;
	webhookId: string;
	provider: string;
	/** Credential ids (default storeCred1 / bounceCred1). */
	storeCredential?: string;
	secretsCredential?: string;
	startFor?: string[];
	options?: Record<string, unknown>;
}

/** Triggers (each → its own No Op) in one workflow, with both credentials. */
export function bounceWorkflow(id: string, triggers: TriggerSpec[]): WorkflowInput {
	const nodes: WorkflowInput['nodes'] = [];
	const connections: Record<string, unknown> = {};
	triggers.forEach((trigger, index) => {
		nodes.push({
			id: `t${index}`,
			name: trigger.name,
			type: TRIGGER_TYPE,
			typeVersion: 2,
			position: [0, index * 200],
			webhookId: trigger.webhookId,
			parameters: {
				provider: trigger.provider,
				...(trigger.startFor ? { startFor: trigger.startFor } : {}),
				triggerOptions: trigger.options ?? {},
			},
			credentials: {
				bulkMailSubscriberStoreApi: { id: trigger.storeCredential ?? 'storeCred1', name: trigger.storeCredential ?? 'storeCred1' },
				bulkMailBounceWebhookApi: { id: trigger.secretsCredential ?? 'bounceCred1', name: trigger.secretsCredential ?? 'bounceCred1' },
			},
		});
		const sink = `${trigger.name} Done`;
		nodes.push({ id: `n${index}`, name: sink, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [250, index * 200], parameters: {} });
		connections[trigger.name] = { main: [[{ node: sink, type: 'main', index: 0 }]] };
	});
	return { id, name: `Bounce Webhook ${id}`, nodes, connections, settings: {} };
}

/** Executions n8n saved for a workflow (read from its SQLite database). */
export function executionCount(n8n: N8nInstance, workflowId: string): number {
	const db = new DatabaseSync(path.join(n8n.userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
	try {
		const row = db.prepare('SELECT COUNT(*) AS n FROM execution_entity WHERE "workflowId" = ?').get(workflowId) as { n: number };
		return Number(row.n);
	} finally {
		db.close();
	}
}

/** The saved execution data of a workflow's executions, as text (n8n's flatted JSON). */
export function executionDataText(n8n: N8nInstance, workflowId: string): string {
	const db = new DatabaseSync(path.join(n8n.userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
	try {
		const rows = db
			.prepare('SELECT d.data AS data FROM execution_data d JOIN execution_entity e ON e.id = d."executionId" WHERE e."workflowId" = ?')
			.all(workflowId) as Array<{ data: string }>;
		return rows.map((row) => row.data).join('\n');
	} finally {
		db.close();
	}
}

/** The execution count once executions of earlier requests have all been saved (unchanged for 1 s). */
export async function settledExecutions(n8n: N8nInstance, workflowId: string): Promise<number> {
	let last = executionCount(n8n, workflowId);
	for (let stable = 0; stable < 5; ) {
		await sleep(200);
		const now = executionCount(n8n, workflowId);
		stable = now === last ? stable + 1 : 0;
		last = now;
	}
	return last;
}
