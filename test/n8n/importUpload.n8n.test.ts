/**
 * Issue 17, items 4–8, seen through real n8n 2.40.7: the CSV upload example (examples/
 * import-csv-upload.json, imported and published as a user would) answering hostile uploads.
 *
 * 4. An export of a list, uploaded into another list, gives back the same addresses, names,
 *    fields and opt-outs (no export column becomes a custom field).
 * 5. An unterminated quote and a NUL byte reject only their lines; every good row is stored.
 * 6. A repeated header is refused (422) naming the column.
 * 7. A Latin-1 file's answer says so: `detected` and `warnings` are in the example's answer.
 * 8. A 4 KB one-column file's error is short.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { readFileSync } from 'node:fs';
import { exportSubscribersCsv } from '../../lib/export';
import { openStore, type StoreConfig, type SubscriberStore } from '../../lib/store';
import { fixture } from '../unit/import/helpers';
import { EXAMPLE_FILES, exampleCredentials, loadExample, publishThroughEditorApi } from './exampleWorkflows';
import { createN8nInstance, type N8nInstance, type WorkflowInput } from './harness';

jest.setTimeout(300_000);

const actor = { type: 'test', id: 'import-upload-n8n' };
const example: WorkflowInput = loadExample(EXAMPLE_FILES.importCsv);
const uploadNode = example.nodes.find((node) => node.name === 'Upload CSV')!;
const uploadPath = String((uploadNode.parameters as { path: string }).path);

let n8n: N8nInstance;
let store: SubscriberStore;

beforeAll(async () => {
	n8n = await createN8nInstance({ dbType: 'sqlite' });
	const storeConfig: StoreConfig = {
		backend: 'sqlite',
		file: 'upload.sqlite',
		baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail'),
	};
	store = await openStore(storeConfig);
	await n8n.importCredentials(
		exampleCredentials({
			store: storeConfig,
			publicBaseUrl: 'https://n8n.example.com/webhook/bounces',
			signingSecret: 'import-upload-n8n-link-signing-secret',
			smtp: { host: '127.0.0.1', port: 1025 },
			genericSecret: 'import-upload-n8n-generic-secret',
		}),
	);
	await n8n.importWorkflow([example]);
	await n8n.start();
	await publishThroughEditorApi(n8n, [String(example.id)]);
	await n8n.waitForWebhook(uploadPath);
});

afterAll(async () => {
	await store?.close();
	await n8n?.cleanup();
});

async function upload(list: string, file: Buffer | string, name = 'upload.csv') {
	const form = new FormData();
	form.append('list', list);
	form.append('file', new Blob([file], { type: 'text/csv' }), name);
	const response = await fetch(n8n.webhookUrl(uploadPath), { method: 'POST', body: form });
	return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function stored(listName: string) {
	const list = await store.getList(listName);
	if (!list) return [];
	const page = await store.getSubscribers({ listId: list.id, includeTrashed: true }, { limit: 100 });
	return page.items
		.map((s) => ({ email: s.email, name: s.name, fields: s.fields, status: s.status }))
		.sort((a, b) => a.email.localeCompare(b.email));
}

test('an export uploaded into another list gives back the same addresses, names, fields and opt-outs', async () => {
	const source = await store.createList({ name: 'Export source' }, actor);
	const people = [
		{ email: '=cmd@example.com', name: '=Formula Name', fields: { city: 'Osaka', age: 42 } },
		{ email: '+15551234@example.com', name: 'Plus', fields: { note: '@SUM(A1)' } },
		{ email: 'gone@example.com', name: 'Gone', fields: {} },
	];
	for (const person of people) {
		const { subscriber } = await store.upsertSubscriber(source.id, person, {}, actor);
		if (person.email === 'gone@example.com') await store.setStatus(subscriber!.id, 'unsubscribed', {}, actor);
	}
	const csv = await text(exportSubscribersCsv(store, { listId: source.id }, { fieldColumns: ['city'] }) as Readable);

	const { status, body } = await upload('Export copy', csv, 'export.csv');
	expect(status).toBe(200);
	expect(body).toMatchObject({ rows: 3, created: 3, rejected: 0 });
	expect(await stored('Export copy')).toEqual(await stored('Export source'));
	expect(body.detected.mapping.fields).toEqual([{ column: 14, field: 'city', type: 'string' }]);
});

test('an unterminated quote and a NUL byte reject only their lines; every good row is stored', async () => {
	const csv = Buffer.from(
		'email,name\n"ann@example.com,Ann\nbob@example.com,Bob\ncarl@example.com,C\u0000arl\ndora@example.com,"Dora, D."\n',
	);
	const { status, body } = await upload('Damaged', csv);
	expect(status).toBe(200);
	expect(body).toMatchObject({ rows: 4, created: 2, rejected: 2 });
	expect(body.rejectedRows).toEqual([
		{ line: 2, email: '', reason: expect.stringContaining('never closed') },
		{ line: 4, email: 'carl@example.com', reason: expect.stringContaining('NUL byte') },
	]);
	expect((await stored('Damaged')).map((s) => s.email)).toEqual(['bob@example.com', 'dora@example.com']);
});

test('a repeated column header is refused with 422, naming the column', async () => {
	const { status, body } = await upload('Repeated', 'email,name,name\nann@example.com,Ann,A\n');
	expect(status).toBe(422);
	expect(body.error).toMatch(/same column more than once: 'name' \(columns 2, 3\)/);
	expect(await stored('Repeated')).toEqual([]);
});

test("a Latin-1 file: the answer says it was not UTF-8, on which lines, and what was assumed", async () => {
	const { status, body } = await upload('Latin', readFileSync(fixture('latin1-semicolon.csv')));
	expect(status).toBe(200);
	expect(body.detected).toMatchObject({ encoding: 'latin1', delimiter: ';' });
	expect(body.warnings).toEqual([expect.stringMatching(/not valid UTF-8 \(invalid bytes on lines 2, 3\).*Latin-1/)]);
});

test('a 4 KB one-column file gets a short error', async () => {
	const { status, body } = await upload('Wide', `${'x'.repeat(4096)}\nvalue\n`);
	expect(status).toBe(422);
	expect(body.error).toMatch(/No e-mail column found/);
	expect(body.error.length).toBeLessThan(400);
});
