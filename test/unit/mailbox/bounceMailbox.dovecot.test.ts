/**
 * readBounceMailbox with everything real but n8n: a private Dovecot mailbox, the SQLite store,
 * the classifier and the recording step. Hand-written returned messages (modelled on Postfix's
 * DSNs and a vacation reply) cover what the end-to-end test does not: the preview that changes
 * nothing, an auto-reply that counts as nothing, a forged VERP token that changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { readBounceMailbox, type MailboxSettings } from '../../../lib/mailbox';
import { openStore, type SqlSubscriberStore } from '../../../lib/store';
import { appendMessage, folderCounts, bounceMailboxSettings, startMailServers, type MailServers } from '../../helpers/mailServers';

jest.setTimeout(120_000);

const actor = { type: 'test', id: 'bounce-mailbox' };

function postfixBounce(recipient: string, options: { id: string; deliveredTo?: string; status?: string; text?: string }): string {
	const status = options.status ?? '5.1.1';
	const text = options.text ?? `550 5.1.1 <${recipient}> User doesn't exist: ${recipient}`;
	return [
		...(options.deliveredTo ? [`Delivered-To: ${options.deliveredTo}`] : []),
		'From: MAILER-DAEMON@mta.example.net (Mail Delivery System)',
		'To: bounces@bounce.test',
		'Subject: Undelivered Mail Returned to Sender',
		`Message-Id: <${options.id}@mta.example.net>`,
		'MIME-Version: 1.0',
		'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
		'',
		'--b1',
		'Content-Type: text/plain',
		'',
		"I'm sorry to have to inform you that your message could not be delivered.",
		`<${recipient}>: host mx.example.net said: ${text}`,
		'',
		'--b1',
		'Content-Type: message/delivery-status',
		'',
		'Reporting-MTA: dns; mta.example.net',
		'',
		`Final-Recipient: rfc822; ${recipient}`,
		'Action: failed',
		`Status: ${status}`,
		`Diagnostic-Code: smtp; ${text}`,
		'',
		'--b1--',
		'',
	].join('\r\n');
}

const vacation = [
	'From: carol@lists.test',
	'To: news@club.test',
	'Subject: Out of office: Garden news',
	'Auto-Submitted: auto-replied',
	'Message-Id: <ooo-1@lists.test>',
	'',
	'I am away until Monday.',
	'',
].join('\r\n');

describe('readBounceMailbox: Dovecot → classifier → store', () => {
	let servers: MailServers;
	let settings: MailboxSettings;
	let store: SqlSubscriberStore;
	let storeDir: string;
	let listId: string;

	beforeAll(async () => {
		servers = await startMailServers();
		settings = bounceMailboxSettings(servers);
		storeDir = mkdtempSync(path.join(tmpdir(), 'bulk-mail-mailbox-'));
		store = await openStore({ backend: 'sqlite', file: 'mailbox.sqlite', baseDir: storeDir });
		const list = await store.createList({ name: 'Garden' }, actor);
		listId = list.id;
		for (const email of ['gone@lists.test', 'kept@lists.test', 'carol@lists.test']) {
			await store.upsertSubscriber(listId, { email }, {}, actor);
		}
	});

	afterAll(async () => {
		await store?.close();
		rmSync(storeDir, { recursive: true, force: true });
		await servers?.stop();
	});

	const status = async (email: string) => (await store.getSubscriber({ listId, email }))!;

	it('a preview classifies without recording or moving; the real poll records and moves', async () => {
		await appendMessage(servers, 'INBOX', postfixBounce('gone@lists.test', { id: 'dsn-1' }));
		await appendMessage(servers, 'INBOX', vacation);
		await appendMessage(servers, 'INBOX', 'not mail\r\n');

		const preview = await readBounceMailbox(settings, store, { actor, preview: true });
		expect(preview.outcomes.map((outcome) => outcome.type)).toEqual(['bounce', 'auto-reply', 'unreadable']);
		expect(preview.outcomes[0]).toMatchObject({ recorded: null, movedTo: 'INBOX', messageId: 'dsn-1@mta.example.net' });
		expect(await folderCounts(servers, ['INBOX', 'Processed', 'Unreadable'])).toEqual({ INBOX: 3, Processed: 0, Unreadable: 0 });
		expect(await status('gone@lists.test')).toMatchObject({ status: 'active', hardBounces: 0 });

		const report = await readBounceMailbox(settings, store, { actor });
		const [bounce, reply, junk] = report.outcomes;
		expect(bounce).toMatchObject({
			type: 'bounce',
			movedTo: 'Processed',
			recipients: [{ address: 'gone@lists.test', kind: 'hard', reason: 'userunknown', status: '5.1.1', replyCode: '550' }],
			recorded: { outcome: 'recorded', matchedBy: 'address' },
		});
		expect(reply).toMatchObject({ type: 'auto-reply', movedTo: 'Processed', recorded: { outcome: 'ignored' } });
		expect(junk).toMatchObject({ type: 'unreadable', movedTo: 'Unreadable', reason: expect.stringMatching(/^not an e-mail message/) });
		expect(await status('gone@lists.test')).toMatchObject({ status: 'bounced', hardBounces: 1 });
		expect(await status('carol@lists.test')).toMatchObject({ status: 'active', hardBounces: 0, softBounces: 0 });
	});

	it('a forged VERP token changes nothing, even for an address in the store', async () => {
		const kept = await status('kept@lists.test');
		const forged = `bounces+1-${kept.id}-aaaaaaaaaaaaaaaa@bounce.test`;
		await appendMessage(servers, 'INBOX', postfixBounce('kept@lists.test', { id: 'dsn-forged', deliveredTo: forged }));
		const report = await readBounceMailbox(settings, store, { actor, verpSecret: 'the-store-signing-secret-0123456789' });
		expect(report.outcomes).toHaveLength(1);
		expect(report.outcomes[0]).toMatchObject({ type: 'bounce', returnPath: forged, recorded: { outcome: 'ignored' } });
		expect(await status('kept@lists.test')).toMatchObject({ status: 'active', hardBounces: 0 });
	});
});
