import { generateKeyPairSync } from 'node:crypto';
import { sendMessages } from '../../../lib/send/itemSender';
import { DKIM_HEADER_FIELD_NAMES } from '../../../lib/send/transport';
import { parseMessage, smtpSettingsFor, startSmtpServer } from '../../helpers/smtp';
import type { TestSmtpServer } from '../../helpers/smtp';
import { verifyDkim } from '../../helpers/smtpDkim';

jest.setTimeout(30_000);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;

let srv: TestSmtpServer;
beforeAll(async () => {
	srv = await startSmtpServer({ security: 'starttls' });
	const report = await sendMessages(
		[
			{
				ref: 0,
				from: 'Newsletter <news@sender.example>',
				to: 'reader@example.org',
				subject: 'März issue — ünïcode subject',
				text: 'Hello,   trailing spaces   \n\n\nand blank lines\n\n\n',
				html: '<p>Hello <b>reader</b></p>',
				headers: {
					'List-Unsubscribe':
						'<https://sender.example/u/abc123>, <mailto:unsub@sender.example?subject=abc123>',
					'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
					'X-Bulk-Mail-Campaign': 'cmp-1',
				},
			},
		],
		{
			smtp: smtpSettingsFor(srv, {
				security: 'starttls',
				dkim: { domainName: 'sender.example', keySelector: 'bulk2026', privateKey: privatePem },
			}),
		},
	);
	expect(report.counts.sent).toBe(1);
});
afterAll(async () => {
	await srv.close();
});

describe('DKIM signing', () => {
	it('produces a signature that verifies with the public key, covering the one-click unsubscribe headers', () => {
		const result = verifyDkim(srv.messages[0].raw, publicKey);
		expect(result).toMatchObject({ valid: true, domain: 'sender.example', selector: 'bulk2026' });
		expect(result.signedHeaders).toEqual(
			expect.arrayContaining([
				'from',
				'to',
				'subject',
				'date',
				'message-id',
				'list-unsubscribe',
				'list-unsubscribe-post',
			]),
		);
		expect(DKIM_HEADER_FIELD_NAMES.split(':')).toEqual(
			expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']),
		);
	});

	it('does not verify with another key, or once a signed header or the body is changed', () => {
		const raw = srv.messages[0].raw;
		expect(verifyDkim(raw, other)).toMatchObject({ valid: false, reason: 'signature mismatch' });
		const text = raw.toString('latin1');
		const tamperedHeader = Buffer.from(
			text.replace('https://sender.example/u/abc123', 'https://evil.example/u/abc123'),
			'latin1',
		);
		expect(verifyDkim(tamperedHeader, publicKey)).toMatchObject({
			valid: false,
			reason: 'signature mismatch',
		});
		const split = text.indexOf('\r\n\r\n');
		const tamperedBody = Buffer.from(
			text.slice(0, split) + text.slice(split).replace('reader', 'r3ader'),
			'latin1',
		);
		expect(verifyDkim(tamperedBody, publicKey)).toMatchObject({
			valid: false,
			reason: 'body hash mismatch',
		});
	});

	it('leaves the message readable', async () => {
		const parsed = await parseMessage(srv.messages[0]);
		expect(parsed.subject).toBe('März issue — ünïcode subject');
		const line = parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post');
		expect(line?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
		expect(parsed.headers.get('dkim-signature')).toBeTruthy();
	});
});
