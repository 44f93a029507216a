import { generateKeyPairSync } from 'node:crypto';

import { compileTemplate, toSendMailOptions } from '../../../lib/compose';
import { sendMessages, type OutgoingMessage } from '../../../lib/send/itemSender';
import {
	acceptsPrebuiltMessages,
	createPooledTransport,
	toWireMessage,
} from '../../../lib/send/transport';
import { parseMessage, smtpSettingsFor, smtpServersClosedAfterAll } from '../../helpers/smtp';
import { verifyDkim } from '../../helpers/smtpDkim';

jest.setTimeout(30_000);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const server = smtpServersClosedAfterAll();

const template = compileTemplate(
	{
		subject: 'Spring news for {{ name }}',
		html: '<h1>Hello {{ name }},</h1><p>Our spring collection is here.</p>',
		from: 'Shop News <news@sender.example>',
	},
	{ baseUrl: 'https://mail.sender.example', secret: 'prebuilt-test-secret-0123456789abcdef' },
);

/** Messages as Compose Message and campaigns hand them to the sender. */
function composed(addresses: string[]): OutgoingMessage[] {
	return addresses.map((email, i) => ({
		...toSendMailOptions(
			template.render({ id: String(i + 1), email, name: `Reader ${i + 1}` }, { campaignId: '9' }),
		),
		ref: i,
	}));
}

// the boundary prefix of lib/compose/rawMessage: the message was built there, not by nodemailer
const PREBUILT = /boundary="=_bm_/;

describe('prebuilt messages (lib/compose/rawMessage) through the pool', () => {
	it('arrive DKIM-signed over STARTTLS, signature covering one-click unsubscribe, readable', async () => {
		const srv = await server({ security: 'starttls' });
		const messages = composed(['reader@example.org']);
		const { ref: _ref, ...options } = messages[0];
		expect(toWireMessage(options).prebuilt).toBeDefined();
		const report = await sendMessages(messages, {
			smtp: smtpSettingsFor(srv, {
				security: 'starttls',
				dkim: { domainName: 'sender.example', keySelector: 'bulk2026', privateKey: privatePem },
			}),
		});
		expect(report.counts).toEqual({ sent: 1, failed: 0, unknown: 0, skipped: 0 });
		const [received] = srv.messages;
		expect(received.secure).toBe(true);
		expect(received.from).toBe('news@sender.example');
		expect(received.to).toEqual(['reader@example.org']);
		expect(received.raw.toString('latin1')).toMatch(PREBUILT);
		const dkim = verifyDkim(received.raw, publicKey);
		expect(dkim).toMatchObject({ valid: true, domain: 'sender.example', selector: 'bulk2026' });
		expect(dkim.signedHeaders).toEqual(
			expect.arrayContaining(['from', 'to', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']),
		);
		const parsed = await parseMessage(received);
		expect(parsed.subject).toBe('Spring news for Reader 1');
		expect(parsed.html).toContain('<h1>Hello Reader 1,</h1>');
		expect(parsed.text).toContain('Hello Reader 1,');
		expect(parsed.messageId).toBe(messages[0].messageId);
		expect(report.results[0].messageId).toBe(messages[0].messageId);
		expect(parsed.headers.get('x-bulk-mail-subscriber')).toBe('1');
	});

	it('a deferral is retried with a fresh copy of the message; a loss after the body is unknown, never resent', async () => {
		const srv = await server({
			script: (ctx) => {
				if (ctx.stage === 'rcpt' && ctx.address === 'deferred@example.org' && ctx.seen === 1) {
					return { reply: 451, message: '4.7.1 Try again later' };
				}
				if (ctx.stage === 'data' && ctx.address === 'lost@example.org') return { drop: true };
				return undefined;
			},
		});
		const report = await sendMessages(
			composed(['a@example.org', 'deferred@example.org', 'lost@example.org', 'b@example.org']),
			{
				smtp: smtpSettingsFor(srv, { pool: { maxConnections: 1 } }),
				sleep: () => Promise.resolve(),
			},
		);
		expect(report.results.map((r) => [r.status, r.attempts])).toEqual([
			['sent', 1],
			['sent', 2],
			['unknown', 1],
			['sent', 1],
		]);
		expect(srv.events.filter((e) => e.address === 'lost@example.org')).toHaveLength(1);
		const arrived = srv.messages.map((m) => m.to[0]).sort();
		expect(arrived).toEqual(['a@example.org', 'b@example.org', 'deferred@example.org']);
		for (const message of srv.messages) expect(message.raw.toString('latin1')).toMatch(PREBUILT);
		const deferred = await parseMessage(srv.messages.find((m) => m.to[0] === 'deferred@example.org')!);
		expect(deferred.subject).toBe('Spring news for Reader 2');
	});

	it('a message the builder does not cover (an attachment) is composed by nodemailer and arrives whole', async () => {
		const srv = await server();
		const [message] = composed(['reader@example.org']);
		const withAttachment: OutgoingMessage = {
			...message,
			attachments: [{ filename: 'terms.txt', content: Buffer.from('Terms'), contentType: 'text/plain' }],
		};
		const { ref: _ref, ...options } = withAttachment;
		expect(toWireMessage(options).options).toBe(options);
		const report = await sendMessages([withAttachment], { smtp: smtpSettingsFor(srv) });
		expect(report.counts.sent).toBe(1);
		expect(srv.messages[0].raw.toString('latin1')).not.toMatch(PREBUILT);
		const parsed = await parseMessage(srv.messages[0]);
		expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
			['terms.txt', 'Terms'],
		]);
		expect(parsed.subject).toBe('Spring news for Reader 1');
	});

	it('a transport with message defaults of its own gets whole messages (the defaults apply)', async () => {
		const srv = await server();
		const plain = createPooledTransport(smtpSettingsFor(srv));
		const withDefaults = createPooledTransport(smtpSettingsFor(srv), {
			headers: { 'X-Default': 'yes' },
		});
		try {
			expect(acceptsPrebuiltMessages(plain)).toBe(true);
			expect(acceptsPrebuiltMessages(withDefaults)).toBe(false);
			const report = await sendMessages(composed(['reader@example.org']), {
				smtp: smtpSettingsFor(srv),
				transport: withDefaults,
			});
			expect(report.counts.sent).toBe(1);
			const parsed = await parseMessage(srv.messages[0]);
			expect(parsed.headers.get('x-default')).toBe('yes');
		} finally {
			plain.close();
			withDefaults.close();
		}
	});
});
