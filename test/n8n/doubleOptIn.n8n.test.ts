/**
 * The double opt-in example (examples/double-opt-in.json) in a real n8n 2.40.7 (`n8n start`,
 * the workflow published), on the embedded SQLite store:
 *
 * - a submission of n8n's Form Trigger over HTTP leads to one confirmation mail at a local SMTP
 *   server (npm smtp-server); following its link shows a page (GET, nothing changes) and the
 *   POST makes the subscriber active, with a consent record; a second submission within the
 *   re-send limit sends nothing more;
 * - Debian's chromium (playwright-core) clicks through the confirm and preference pages served
 *   by the published Bounce Webhook trigger, saving screenshots under test-artifacts/optin/.
 *
 * The example file is used as it is, with one documented change: the store credential's public
 * base URL is this n8n's plain-http loopback address, so Send Confirmation gets "Allow Insecure
 * HTTP Links" (users have https). Credentials are the test's own under the example's ids.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';

import { getConsents } from '../../lib/optin';
import { LinkSigner } from '../../lib/store/linkTokens';
import { openStore } from '../../lib/store/openStore';
import type { SqlSubscriberStore } from '../../lib/store/sqlStore';
import { CHROMIUM_ARGS, chromiumPath, freePort } from '../helpers/services';
import { parseMessage, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { executionDataText } from './bounceWebhookHelpers';
import { createN8nInstance, type N8nInstance, type WorkflowInput } from './harness';

jest.setTimeout(300_000);

const EXAMPLE = path.join(__dirname, '../../examples/double-opt-in.json');
const ARTIFACTS = path.join(__dirname, '../../test-artifacts/optin');
const LINK_SECRET = 'double-opt-in-example-secret-0123';
const actor = { type: 'test', id: 'double-opt-in-n8n' };

/** The example, with only what a loopback test must change (see the file comment). */
function exampleForTest(): WorkflowInput {
	const workflow = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as WorkflowInput;
	const confirmation = workflow.nodes.find((node) => node.name === 'Make Confirmation Message');
	if (!confirmation) throw new Error('the example has no "Make Confirmation Message" node');
	confirmation.parameters.confirmationOptions = {
		...(confirmation.parameters.confirmationOptions as object),
		allowInsecureHttp: true,
	};
	return workflow;
}

function nodeOf(workflow: WorkflowInput, name: string) {
	const node = workflow.nodes.find((entry) => entry.name === name);
	if (!node) throw new Error(`the example has no "${name}" node`);
	return node;
}

let n8n: N8nInstance;
let smtp: TestSmtpServer;
let store: SqlSubscriberStore;
let formUrl: string;
let hookBase: string;
let listId: string;

/** Submits n8n's form as a browser does (multipart/form-data, fields field-0, field-1). */
async function submitForm(email: string, name: string): Promise<Response> {
	const form = new FormData();
	form.append('field-0', email);
	form.append('field-1', name);
	return fetch(formUrl, { method: 'POST', body: form });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(250);
	}
}

async function confirmLinkOf(recipient: string): Promise<string> {
	const message = await waitFor(`the confirmation mail to ${recipient}`, async () =>
		smtp.messages.find((entry) => entry.to.includes(recipient)),
	);
	const parsed = await parseMessage(message);
	const link = new RegExp(`${hookBase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/confirm\\?t=[\\w.-]+`).exec(String(parsed.text));
	if (!link) throw new Error(`no confirm link in the mail to ${recipient}:\n${String(parsed.text)}`);
	return link[0];
}

beforeAll(async () => {
	const workflow = exampleForTest();
	const formId = nodeOf(workflow, 'Sign-up Form').webhookId!;
	const hookId = nodeOf(workflow, 'Confirm and Preference Pages').webhookId!;
	const port = await freePort();
	hookBase = `http://127.0.0.1:${port}/webhook/${hookId}`;
	formUrl = `http://127.0.0.1:${port}/form/${formId}`;
	smtp = await startSmtpServer();
	n8n = await createN8nInstance({ dbType: 'sqlite' });
	await n8n.importCredentials([
		{
			id: 'bulkMailStore001',
			name: 'Subscriber Store (embedded SQLite)',
			type: 'bulkMailSubscriberStoreApi',
			data: { backend: 'sqlite', file: 'examples.sqlite', publicBaseUrl: hookBase, signingSecret: LINK_SECRET },
		},
		{
			id: 'bulkMailSmtp0001',
			name: 'Local SMTP (localhost:1025, plain)',
			type: 'bulkMailSmtpApi',
			data: { host: smtp.host, port: smtp.port, security: 'none', allowPlain: true, ehloName: 'localhost' },
		},
		{ id: 'bulkMailBounce01', name: 'Bounce Webhook Secrets', type: 'bulkMailBounceWebhookApi', data: { genericSecret: 'generic-secret-of-the-example' } },
	]);
	await n8n.importWorkflow(workflow);
	await n8n.publish(workflow.id);
	// The store n8n will use, with the list the example's "Create the List Once" would make.
	store = await openStore({ backend: 'sqlite', file: 'examples.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') });
	listId = (await store.createList({ name: 'Newsletter' }, actor)).id;
	await n8n.start({ port });
	await n8n.waitForWebhook(`${hookId}/confirm`);
	await waitFor('the sign-up form', async () => {
		const response = await fetch(formUrl).catch(() => undefined);
		return response?.status === 200 ? true : undefined;
	});
});

afterAll(async () => {
	await store?.close();
	await n8n?.cleanup();
	await smtp?.close();
});

describe('double opt-in example in real n8n', () => {
	test('form submission → confirmation mail → GET shows the page, POST confirms; re-sends are limited', async () => {
		const submitted = await submitForm('reader@example.org', 'Rea <b>Der</b>');
		expect(submitted.status).toBe(200);
		const link = await confirmLinkOf('reader@example.org');
		const subscriber = await store.getSubscriber({ listId, email: 'reader@example.org' });
		expect(subscriber).toMatchObject({ status: 'pending', source: 'signup-form', name: 'Rea <b>Der</b>' });
		const mail = await parseMessage(smtp.messages.find((entry) => entry.to.includes('reader@example.org'))!);
		expect(mail.subject).toBe('Please confirm your subscription to Newsletter');

		// The same address again at once: acknowledged by the form, no second mail.
		expect((await submitForm('reader@example.org', 'Rea')).status).toBe(200);
		// Handled once the name change is recorded; then give the rest of that execution a moment.
		await waitFor('the second submission to be handled', async () => {
			const audit = await store.getAuditLog({ entityId: subscriber!.id, action: 'subscriber.update' }, { limit: 5 });
			return audit.items.length ? true : undefined;
		});
		await sleep(3000);
		expect(smtp.messages.filter((entry) => entry.to.includes('reader@example.org'))).toHaveLength(1);

		const page = await fetch(link);
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html).toContain('reader@example.org');
		expect(html).toContain('<form method="post"');
		expect((await store.getSubscriber({ id: subscriber!.id }))!.status).toBe('pending');

		const token = new URL(link).searchParams.get('t')!;
		const confirmed = await fetch(link, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'OptinTest/1.0' },
			body: new URLSearchParams({ t: token }).toString(),
		});
		expect(confirmed.status).toBe(200);
		expect(await confirmed.text()).toContain('your subscription is confirmed');
		expect((await store.getSubscriber({ id: subscriber!.id }))!.status).toBe('active');
		const consents = await getConsents(store, subscriber!.id);
		expect(consents).toEqual([
			expect.objectContaining({ method: 'double-opt-in', source: 'signup-form', userAgent: 'OptinTest/1.0', ip: expect.stringMatching(/127\.0\.0\.1/) }),
		]);

		// The trigger started the workflow with the confirmation (where a welcome mail would go).
		await waitFor('the confirmation execution', async () =>
			executionDataText(n8n, 'bmExampleOptIn01').includes(consents[0].id) && executionDataText(n8n, 'bmExampleOptIn01').includes('consentId')
				? true
				: undefined,
		);

		const tampered = await fetch(`${hookBase}/confirm?t=${token.slice(0, -2)}xx`, { method: 'POST', body: '' });
		expect(tampered.status).toBe(403);
	});

	test('chromium clicks through the confirm and preference pages (screenshots in test-artifacts/optin)', async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		expect((await submitForm('browser@example.org', '<script>alert(1)</script>')).status).toBe(200);
		const link = await confirmLinkOf('browser@example.org');
		const subscriber = (await store.getSubscriber({ listId, email: 'browser@example.org' }))!;
		const sports = (await store.createList({ name: 'Sports & <Games>' }, actor)).id;
		const onSports = (await store.upsertSubscriber(sports, { email: 'browser@example.org' }, {}, actor)).subscriber!;

		let browser: Browser | undefined;
		try {
			browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
			const page = await browser.newPage({ locale: 'en-US' });
			const scripts: string[] = [];
			page.on('dialog', (dialog) => {
				scripts.push(dialog.message());
				void dialog.dismiss();
			});

			await page.goto(link);
			await page.getByRole('heading', { name: 'Confirm your subscription' }).waitFor();
			await page.getByText('Hello <script>alert(1)</script>,', { exact: true }).waitFor();
			await page.screenshot({ path: path.join(ARTIFACTS, '1-confirm-page.png'), fullPage: true });
			expect((await store.getSubscriber({ id: subscriber.id }))!.status).toBe('pending');
			await page.getByRole('button', { name: 'Confirm my subscription' }).click();
			await page.getByRole('heading', { name: 'Thank you, your subscription is confirmed' }).waitFor();
			await page.screenshot({ path: path.join(ARTIFACTS, '2-confirmed.png'), fullPage: true });
			expect((await store.getSubscriber({ id: subscriber.id }))!.status).toBe('active');

			const preferences = `${hookBase}/preferences?t=${new LinkSigner(LINK_SECRET).sign('preferences', { subscriberId: subscriber.id })}`;
			await page.goto(preferences);
			await page.getByRole('heading', { name: 'Your subscriptions' }).waitFor();
			expect(await page.locator('html').getAttribute('lang')).toBe('en');
			await page.screenshot({ path: path.join(ARTIFACTS, '3-preferences.png'), fullPage: true });
			await page.getByLabel('Sports & <Games> (subscribed)').check();
			await page.getByRole('button', { name: 'Leave the selected lists' }).click();
			await page.getByRole('status').filter({ hasText: 'You left: “Sports & <Games>”.' }).waitFor();
			await page.screenshot({ path: path.join(ARTIFACTS, '4-left-one-list.png'), fullPage: true });
			expect((await store.getSubscriber({ id: onSports.id }))!.status).toBe('unsubscribed');
			expect((await store.getSubscriber({ id: subscriber.id }))!.status).toBe('active');

			const japanese = await browser.newPage({ locale: 'ja-JP', extraHTTPHeaders: { 'Accept-Language': 'ja-JP,ja;q=0.9' } });
			await japanese.goto(preferences);
			await japanese.getByRole('heading', { name: '購読の設定' }).waitFor();
			expect(await japanese.locator('html').getAttribute('lang')).toBe('ja');
			await japanese.screenshot({ path: path.join(ARTIFACTS, '5-preferences-ja.png'), fullPage: true });
			await japanese.getByRole('button', { name: 'すべてのリストの配信を停止する' }).click();
			await japanese.getByRole('status').filter({ hasText: 'すべてのリストの配信を停止しました。' }).waitFor();
			await japanese.screenshot({ path: path.join(ARTIFACTS, '6-unsubscribed-all-ja.png'), fullPage: true });
			expect((await store.getSubscriber({ id: subscriber.id }))!.status).toBe('unsubscribed');
			expect(scripts).toEqual([]); // the hostile name never ran
		} finally {
			await browser?.close();
		}
	});
});
