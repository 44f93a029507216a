/** Small workflows of n8n's built-in nodes, used to prove the harness itself. */
import type { WorkflowInput } from './harness';

export function manualSetWorkflow(id: string): WorkflowInput {
	return {
		id,
		name: 'Harness: manual → set',
		nodes: [
			{ id: 'n1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'n2',
				name: 'Set Greeting',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220, 0],
				parameters: {
					assignments: {
						assignments: [
							{ id: 'a1', name: 'greeting', value: 'hello', type: 'string' },
							{ id: 'a2', name: 'answer', value: '={{ 6 * 7 }}', type: 'number' },
						],
					},
					options: {},
				},
			},
		],
		connections: { Start: { main: [[{ node: 'Set Greeting', type: 'main', index: 0 }]] } },
		settings: {},
	};
}

export function failingWorkflow(id: string, message: string): WorkflowInput {
	return {
		id,
		name: 'Harness: failing',
		nodes: [
			{ id: 'f1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'f2',
				name: 'Boom',
				type: 'n8n-nodes-base.stopAndError',
				typeVersion: 1,
				position: [220, 0],
				parameters: { errorMessage: message },
			},
		],
		connections: { Start: { main: [[{ node: 'Boom', type: 'main', index: 0 }]] } },
	};
}

/** POST /webhook/<path> with {"ping": "x"} answers {"pong": "X"}. */
export function webhookEchoWorkflow(id: string, webhookPath: string): WorkflowInput {
	return {
		id,
		name: 'Harness: webhook',
		nodes: [
			{
				id: 'w1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: '6f0c1f7e-6d0b-4a55-9d3e-1b2b3c4d5e6f',
				parameters: { path: webhookPath, httpMethod: 'POST', responseMode: 'lastNode', options: {} },
			},
			{
				id: 'w2',
				name: 'Reply',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220, 0],
				parameters: {
					assignments: {
						assignments: [{ id: 'r1', name: 'pong', value: '={{ $json.body.ping.toUpperCase() }}', type: 'string' }],
					},
					options: {},
				},
			},
		],
		connections: { Webhook: { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
	};
}
