/**
 * The IMAP engine against a real Dovecot (private instance, IMAP over TLS with a self-signed
 * certificate): whole messages read, moved by verdict, never lost when the handler fails, a preview
 * that moves nothing, big messages cut at the cap, and plain-words errors for a bad login or an
 * untrusted certificate.
 */
import { checkMailbox, drainMailbox, type MailboxSettings } from '../../../lib/mailbox';
import {
	appendMessage,
	folderCounts,
	folderMessages,
	openBounceMailbox,
	bounceMailboxSettings,
	startMailServers,
	type MailServers,
} from '../../helpers/mailServers';

jest.setTimeout(120_000);

const FOLDERS = ['INBOX', 'Processed', 'Unreadable'];

function mail(subject: string, body = 'hello'): string {
	return `From: someone@example.net\r\nTo: bounces@bounce.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.net>\r\n\r\n${body}\r\n`;
}

describe('drainMailbox on a real Dovecot', () => {
	let servers: MailServers;
	let settings: MailboxSettings;

	beforeAll(async () => {
		servers = await startMailServers();
		settings = bounceMailboxSettings(servers, { maxMessageBytes: 64 * 1024 });
	});

	afterAll(async () => {
		await servers?.stop();
	});

	afterEach(async () => {
		// empty every folder between tests
		const client = await openBounceMailbox(servers);
		try {
			for (const entry of await client.list()) {
				const lock = await client.getMailboxLock(entry.path);
				try {
					await client.messageDelete('1:*');
				} finally {
					lock.release();
				}
			}
		} finally {
			await client.logout();
		}
	});

	it('reads each whole message once and moves it by the verdict', async () => {
		await appendMessage(servers, 'INBOX', mail('first'));
		await appendMessage(servers, 'INBOX', mail('second'));
		await appendMessage(servers, 'INBOX', 'this is not mail at all');
		const seen: string[] = [];
		const report = await drainMailbox(settings, async (message) => {
			const text = message.source.toString('utf8');
			seen.push(text);
			return text.startsWith('From:')
				? { disposition: 'processed', result: text.match(/Subject: (\w+)/)![1] }
				: { disposition: 'unreadable', reason: 'no header fields' };
		});
		// the whole source, top-level headers included (what n8n's Email Trigger does not give)
		expect(seen[0]).toBe(mail('first'));
		expect(report.outcomes.map((outcome) => [outcome.disposition, outcome.movedTo])).toEqual([
			['processed', 'Processed'],
			['processed', 'Processed'],
			['unreadable', 'Unreadable'],
		]);
		expect(report.outcomes[2]).toMatchObject({ reason: 'no header fields', truncated: false });
		expect(report.remaining).toBe(0);
		expect(await folderCounts(servers, FOLDERS)).toEqual({ INBOX: 0, Processed: 2, Unreadable: 1 });
		expect((await folderMessages(servers, 'Processed')).map(String)).toEqual([mail('first'), mail('second')]);

		// a second poll finds nothing: a message is never read twice from the folder
		const again = await drainMailbox(settings, async () => {
			throw new Error('must not be called');
		});
		expect(again.outcomes).toEqual([]);
	});

	it('leaves the message in the folder when the handler fails, and says so', async () => {
		await appendMessage(servers, 'INBOX', mail('ok'));
		await appendMessage(servers, 'INBOX', mail('failing'));
		await appendMessage(servers, 'INBOX', mail('later'));
		const report = await drainMailbox(settings, async (message) => {
			if (message.source.includes('failing')) throw new Error('store unreachable');
			return { disposition: 'processed', result: null };
		});
		expect(report.outcomes).toHaveLength(1);
		expect(report.stopped).toMatchObject({ error: 'store unreachable' });
		expect(report.remaining).toBe(2);
		expect(await folderCounts(servers, FOLDERS)).toEqual({ INBOX: 2, Processed: 1, Unreadable: 0 });

		// failing on the first message: the poll itself fails, nothing moves
		await expect(
			drainMailbox(settings, async () => {
				throw new Error('store unreachable');
			}),
		).rejects.toThrow('store unreachable');
		expect(await folderCounts(servers, FOLDERS)).toEqual({ INBOX: 2, Processed: 1, Unreadable: 0 });
	});

	it('a preview reads but moves nothing', async () => {
		for (const subject of ['p1', 'p2', 'p3']) await appendMessage(servers, 'INBOX', mail(subject));
		const report = await drainMailbox(settings, async () => ({ disposition: 'processed', result: 1 }), { move: false, maxMessages: 2 });
		expect(report.outcomes.map((outcome) => outcome.movedTo)).toEqual(['INBOX', 'INBOX']);
		expect(report.remaining).toBe(3);
		expect((await folderCounts(servers, FOLDERS)).INBOX).toBe(3);
	});

	it('reads only the first maxMessageBytes of a big message, and says it was cut', async () => {
		const big = mail('big', 'x'.repeat(200 * 1024));
		await appendMessage(servers, 'INBOX', big);
		let length = 0;
		const report = await drainMailbox(settings, async (message) => {
			length = message.source.length;
			return { disposition: 'processed', result: null };
		});
		expect(length).toBe(64 * 1024);
		expect(report.outcomes[0]).toMatchObject({ truncated: true, size: Buffer.byteLength(big) });
	});

	it('refuses an untrusted certificate unless allowed, and a wrong password, in plain words', async () => {
		await expect(checkMailbox({ ...settings, allowSelfSigned: false })).rejects.toThrow(
			/certificate that does not verify .*Allow Self-Signed Certificates/,
		);
		const wrong = checkMailbox({ ...settings, password: 'not-the-password' });
		await expect(wrong).rejects.toThrow(`refused the login for '${servers.imap.user}': check the user name and password`);
		await expect(wrong).rejects.not.toThrow(/not-the-password/);
		expect(await checkMailbox(settings)).toEqual({ messages: 0 });
	});

	it('refuses settings that would read a message twice or lose it', async () => {
		await expect(drainMailbox({ ...settings, processedFolder: 'INBOX' }, async () => ({ disposition: 'processed', result: 1 }))).rejects.toThrow(
			/must differ from 'INBOX'/,
		);
	});
});
