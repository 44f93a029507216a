/**
 * n8n behaviour users notice (issue 16), in a real n8n 2.40.7:
 * - On Error → "Continue (using error output)": every node of the package (not the trigger)
 *   sends a failed item to its error output — n8n's extra output after the node's own ones —
 *   and nothing to the others. Import CSV's failure item and Bulk Send's failed campaign start
 *   keep their summary and still go there.
 * - List and campaign pickers: a picked value (From List / By ID / By Name) and a plain string,
 *   as workflows saved before the pickers hold, both run.
 */
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { createN8nInstance, type ExecutionResult, type N8nInstance, type WorkflowInput, type WorkflowNode } from './harness';

jest.setTimeout(300_000);

const PKG = 'n8n-nodes-bulk-mail';
const STORE = { bulkMailSubscriberStoreApi: { id: 'storeCred1', name: 'Store' } };
const SMTP = { bulkMailSmtpApi: { id: 'smtpCred1', name: 'SMTP' } };
const BAD_SMTP = { bulkMailSmtpApi: { id: 'smtpCred2', name: 'SMTP wrong password' } };

let y = 0;
function node(name: string, type: string, parameters: Record<string, unknown>, extra: Partial<WorkflowNode> = {}): WorkflowNode {
	y += 200;
	return { id: name.replace(/\W/g, ''), name, type, typeVersion: 1, position: [400, y], parameters, ...extra };
}

function noOp(name: string): WorkflowNode {
	return node(name, 'n8n-nodes-base.noOp', {});
}

const onError = { onError: 'continueErrorOutput' };

/** One node under test, with a No Op on each of its outputs (`outputs` own ones + the error output). */
function tested(name: string, type: string, parameters: Record<string, unknown>, credentials: WorkflowNode['credentials'], outputs: number) {
	const targets = Array.from({ length: outputs + 1 }, (_, index) => noOp(`${name} out ${index}`));
	return {
		nodes: [node(name, `${PKG}.${type}`, parameters, { credentials, ...onError }), ...targets],
		connection: { [name]: { main: targets.map((target) => [{ node: target.name, type: 'main', index: 0 }]) } },
	};
}

function chain(names: string[]) {
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

function errorOutputWorkflow(): WorkflowInput {
	const parts = [
		tested('List Get', 'subscriberList', { resource: 'list', operation: 'get', list: 'No such list' }, STORE, 1),
		tested('Compose', 'composeMessage', { operation: 'compose', recipientEmail: '={{ "" }}', subject: 'Hi', html: '<p>Hi</p>', fromEmail: 'news@example.com' }, STORE, 1),
		tested(
			'Import',
			'importCsv',
			{ source: 'url', url: 'http://127.0.0.1:9/subscribers.csv', list: 'Missing list' },
			STORE,
			2,
		),
		tested('Send Items', 'bulkSend', { resource: 'message', operation: 'send' }, { ...SMTP, ...STORE }, 2),
		tested('Campaign Status', 'bulkSend', { resource: 'campaign', operation: 'getStatus', campaignId: '999' }, { ...SMTP, ...STORE }, 2),
		tested(
			'Campaign Start',
			'bulkSend',
			{ resource: 'campaign', operation: 'start', campaignId: '={{ $json.id }}' },
			{ ...BAD_SMTP, ...STORE },
			2,
		),
	];
	const setup = [
		node('Create List', `${PKG}.subscriberList`, { resource: 'list', operation: 'create', name: 'News' }, { credentials: STORE }),
		node(
			'Add Ann',
			`${PKG}.subscriberList`,
			{ resource: 'subscriber', operation: 'upsert', list: 'News', email: 'ann@example.com' },
			{ credentials: STORE },
		),
		node(
			'Create Campaign',
			`${PKG}.bulkSend`,
			{
				resource: 'campaign',
				operation: 'create',
				campaignName: 'June',
				list: { __rl: true, mode: 'name', value: 'News' },
				subject: 'June news',
				html: '<p>Hello</p>',
				fromEmail: 'news@example.com',
			},
			{ credentials: { ...SMTP, ...STORE } },
		),
	];
	const start = node('Start', 'n8n-nodes-base.manualTrigger', {});
	const firsts = ['List Get', 'Compose', 'Import', 'Send Items', 'Campaign Status', 'Create List'];
	return {
		id: 'wfErrorOutput1',
		name: 'Error output of every node',
		nodes: [start, ...parts.flatMap((part) => part.nodes), ...setup],
		connections: {
			Start: { main: [firsts.map((name) => ({ node: name, type: 'main', index: 0 }))] },
			...Object.assign({}, ...parts.map((part) => part.connection)),
			...chain(['Create List', 'Add Ann', 'Create Campaign', 'Campaign Start']),
		},
		settings: { executionOrder: 'v1' },
	};
}

function pickerWorkflow(): WorkflowInput {
	const get = (name: string, list: unknown) =>
		node(name, `${PKG}.subscriberList`, { resource: 'list', operation: 'get', list }, { credentials: STORE });
	const status = (name: string, campaignId: unknown) =>
		node(name, `${PKG}.bulkSend`, { resource: 'campaign', operation: 'getStatus', campaignId }, { credentials: { ...SMTP, ...STORE } });
	const nodes = [
		node('Start', 'n8n-nodes-base.manualTrigger', {}),
		get('By ID', { __rl: true, mode: 'id', value: '1' }),
		get('By Name', { __rl: true, mode: 'name', value: 'news' }),
		get('From List', { __rl: true, mode: 'list', value: '1', cachedResultName: 'News' }),
		get('Plain Name', 'News'),
		get('Expression', '={{ "Ne" + "ws" }}'),
		status('Campaign From List', { __rl: true, mode: 'list', value: '1', cachedResultName: 'June' }),
		status('Campaign Plain', '1'),
	];
	return {
		id: 'wfPickers1',
		name: 'Pickers and plain values',
		nodes,
		connections: chain(nodes.map((entry) => entry.name)),
		settings: { executionOrder: 'v1' },
	};
}

function outputs(result: ExecutionResult, name: string): number[] {
	const main = result.runData[name]?.[0]?.data?.main ?? [];
	return main.map((items) => items?.length ?? 0);
}

describe('error output and pickers in real n8n', () => {
	let n8n: N8nInstance;
	let smtp: TestSmtpServer;
	let result: ExecutionResult;

	beforeAll(async () => {
		smtp = await startSmtpServer({ auth: { user: 'mailer', pass: 'right-password' } });
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		const smtpData = { host: smtp.host, port: smtp.port, security: 'none', allowPlain: true, user: 'mailer', password: 'right-password' };
		await n8n.importCredentials([
			{ id: 'storeCred1', name: 'Store', type: 'bulkMailSubscriberStoreApi', data: { backend: 'sqlite', file: 'error-output.sqlite', signingSecret: 'a-test-secret-of-32-characters!!' } },
			{ id: 'smtpCred1', name: 'SMTP', type: 'bulkMailSmtpApi', data: smtpData },
			{ id: 'smtpCred2', name: 'SMTP wrong password', type: 'bulkMailSmtpApi', data: { ...smtpData, password: 'wrong-password' } },
		]);
		await n8n.importWorkflow(errorOutputWorkflow());
		await n8n.importWorkflow(pickerWorkflow());
		result = await n8n.execute('wfErrorOutput1');
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await smtp?.close();
	});

	it('Subscriber List: a failed item goes to the error output only', () => {
		expect(outputs(result, 'List Get')).toEqual([0, 1]);
		expect(result.json('List Get', { output: 1 })[0].error).toBe("Item 1: There is no list named or numbered 'No such list'");
	});

	it('Compose Message: a failed item goes to the error output only', () => {
		expect(outputs(result, 'Compose')).toEqual([0, 1]);
		expect(String(result.json('Compose', { output: 1 })[0].error)).toMatch(/^Item 1: The recipient e-mail is empty/);
	});

	it('Import CSV: the failure item, with what it could tell, goes to the error output', () => {
		expect(outputs(result, 'Import')).toEqual([0, 0, 1]);
		const failed = result.json('Import', { output: 2 })[0];
		expect(String(failed.error)).toMatch(/^Item 1: /);
		// what to do, and what the import could tell, kept beside the error
		expect(failed.message).toEqual(expect.any(String));
		expect(failed.details).toMatchObject({ errorDescription: failed.message });
	});

	it('Bulk Send, item mode: an item that is not a message goes to the error output', () => {
		expect(outputs(result, 'Send Items')).toEqual([0, 0, 1]);
		expect(result.json('Send Items', { output: 2 })[0]).toMatchObject({
			error: expect.stringMatching(/^Item 1 is not a composed message/),
			details: { status: 'invalid', attempts: 0 },
		});
	});

	it('Bulk Send, campaign operation: a failed item goes to the error output', () => {
		expect(outputs(result, 'Campaign Status')).toEqual([0, 0, 1]);
		expect(String(result.json('Campaign Status', { output: 2 })[0].error)).toMatch(/^Item 1: .*999/);
	});

	it('Bulk Send, campaign start: the failed run with its summary goes to the error output', () => {
		expect(result.json('Create Campaign')[0]).toMatchObject({ id: '1', name: 'June' });
		const [results, , errors] = outputs(result, 'Campaign Start');
		expect([results, errors]).toEqual([0, 1]);
		const failed = result.json('Campaign Start', { output: 2 })[0];
		expect(String(failed.error)).toMatch(/^Item 1: .*[Aa]uthentication/);
		expect(failed.message).toMatch(/Check the Bulk Mail SMTP credential/);
		expect(failed.details).toMatchObject({ campaignId: '1', sentThisRun: 0 });
		expect(JSON.stringify(failed)).not.toContain('wrong-password');
		expect(smtp.messages).toHaveLength(0);
	});

	it('pickers: By ID, By Name, From List, a plain name and an expression all find the list; campaigns likewise', async () => {
		const picked = await n8n.execute('wfPickers1');
		for (const name of ['By ID', 'By Name', 'From List', 'Plain Name', 'Expression']) {
			expect(picked.json(name)[0]).toMatchObject({ id: '1', name: 'News', subscribers: 1 });
		}
		for (const name of ['Campaign From List', 'Campaign Plain']) {
			expect(picked.json(name)[0]).toMatchObject({ id: '1', name: 'June' });
		}
	});
});
