/**
 * examples/campaign-report.json in a real n8n 2.40.7, per store backend, run the way users run it:
 * imported from the same file (only its Schedule interval shortened by `forTest`), `n8n start`,
 * published through the editor's REST API, real scheduled firings, a local SMTP server recording
 * what arrived. A campaign that finished an hour ago is reported to the operator (tables in the
 * body, the HTML report attached, a signed report link); one that finished three days ago is not.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LinkSigner, openStore, type SqlSubscriberStore, type StoreConfig } from '../../lib/store';
import { verifyReportLink } from '../../lib/webhook';
import { seedReportCampaign, type SeededReportCampaign } from '../helpers/reportCampaign';
import { parseMessage, startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { BACKENDS, storeFixture, type Backend, type StoreFixture } from '../helpers/stores';
import { EXAMPLE_FILES, exampleCredentials, forTest, loadExample, publishThroughEditorApi } from './exampleWorkflows';
import { createN8nInstance, type N8nInstance } from './harness';

jest.setTimeout(420_000);

const SIGNING_SECRET = 'examples-e2e-link-signing-secret-0123';
const PUBLIC_BASE_URL = 'https://n8n.example.com/webhook/campaign-report-test';
const OPERATOR = 'operator@example.com';
const example = forTest(loadExample(EXAMPLE_FILES.campaignReport), { scheduleSeconds: 5, newsletterSliceSize: 3 });

describe.each(BACKENDS)('the campaign report example in real n8n (%s store)', (backend: Backend) => {
	let n8n: N8nInstance;
	let smtp: TestSmtpServer;
	let store: SqlSubscriberStore;
	let pgFixture: StoreFixture | undefined;
	let recent: SeededReportCampaign;
	let storeConfig: StoreConfig;

	beforeAll(async () => {
		smtp = await startSmtpServer();
		n8n = await createN8nInstance({ dbType: 'sqlite' });
		if (backend === 'sqlite') {
			storeConfig = { backend: 'sqlite', file: 'examples.sqlite', baseDir: path.join(n8n.userFolder, '.n8n', 'bulk-mail') };
		} else {
			pgFixture = storeFixture('postgres');
			storeConfig = pgFixture.config;
		}
		store = await openStore(storeConfig);
		recent = await seedReportCampaign(store, { recipients: 800, name: 'Finished an hour ago', start: new Date(Date.now() - 2 * 3_600_000) });
		await seedReportCampaign(store, { recipients: 300, name: 'Finished three days ago', start: new Date(Date.now() - 3 * 86_400_000) });
		await n8n.importCredentials(
			exampleCredentials({ store: storeConfig, publicBaseUrl: PUBLIC_BASE_URL, signingSecret: SIGNING_SECRET, smtp, genericSecret: 'generic-secret-for-the-report-example' }),
		);
		await n8n.importWorkflow(example);
		await n8n.start();
		await publishThroughEditorApi(n8n, [example.id]);
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await store?.close();
		await pgFixture?.cleanup();
		await smtp?.close();
	});

	it('mails the operator the report of the campaign finished in the last day: tables, HTML attachment and link', async () => {
		const deadline = Date.now() + 90_000;
		let mails = smtp.messages.filter((m) => m.to.includes(OPERATOR));
		while (mails.length === 0 && Date.now() < deadline) {
			await sleep(500);
			mails = smtp.messages.filter((m) => m.to.includes(OPERATOR));
		}
		expect(mails.length).toBeGreaterThan(0);
		await sleep(7_000); // a second firing: still only the recent campaign, once per firing
		const all = await Promise.all(smtp.messages.filter((m) => m.to.includes(OPERATOR)).map((m) => parseMessage(m)));
		expect(new Set(all.map((mail) => mail.subject))).toEqual(new Set(['Campaign report: Finished an hour ago']));

		const mail = all[0];
		expect(String(mail.html)).toContain('<table');
		expect(String(mail.html)).not.toContain('<svg');
		expect(mail.attachments).toHaveLength(1);
		const [attachment] = mail.attachments;
		expect(attachment.filename).toBe(`campaign-${recent.campaignId}-report.html`);
		expect(attachment.contentType).toBe('text/html');
		const html = attachment.content.toString('utf8');
		expect(html).toContain('<svg');
		expect(html).not.toMatch(/<script|(src|href)="https?:/i);
		const link = /href="(https:\/\/n8n\.example\.com\/webhook\/campaign-report-test\/report\?t=[^"]+)"/.exec(String(mail.html));
		expect(link).not.toBeNull();
		const token = new URL(link![1].replace(/&amp;/g, '&')).searchParams.get('t');
		const verified = verifyReportLink(new LinkSigner(SIGNING_SECRET), token);
		expect(verified).toMatchObject({ ok: true, claims: { campaignId: recent.campaignId } });
	});
});
