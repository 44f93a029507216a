/**
 * Integration: messages rendered by the engine go through nodemailer to a real SMTP server
 * (smtp-server on an OS-chosen port) and are parsed back with mailparser.
 */
import type { AddressInfo } from 'node:net';

import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

import { CORRELATION_HEADERS } from '../../../lib/events/types';
import { LinkSigner } from '../../../lib/store/linkTokens';
import { compileTemplate, toSendMailOptions, type ComposedMessage } from '../../../lib/compose';
import { LINKS, SECRET, fixture, subscriber, topLevelHeaders } from './helpers';

interface Received {
	raw: string;
	mailFrom: string;
	rcptTo: string[];
}

let server: SMTPServer;
let port: number;
const inbox: Received[] = [];
const waiting: Array<(message: Received) => void> = [];

beforeAll(async () => {
	server = new SMTPServer({
		disableReverseLookup: true,
		authOptional: true,
		disabledCommands: ['STARTTLS'],
		logger: false,
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				const envelope = session.envelope;
				const message: Received = {
					raw: Buffer.concat(chunks).toString('latin1'),
					mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
					rcptTo: envelope.rcptTo.map((r) => r.address),
				};
				const waiter = waiting.shift();
				if (waiter) waiter(message);
				else inbox.push(message);
				callback();
			});
		},
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

function nextMessage(): Promise<Received> {
	const queued = inbox.shift();
	return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
}

async function sendAndReceive(
	message: ComposedMessage,
): Promise<{ received: Received; parsed: ParsedMail }> {
	const transport = nodemailer.createTransport({
		host: '127.0.0.1',
		port,
		secure: false,
		ignoreTLS: true,
	});
	try {
		const arrival = nextMessage();
		await transport.sendMail(toSendMailOptions(message));
		const received = await arrival;
		return { received, parsed: await simpleParser(Buffer.from(received.raw, 'latin1')) };
	} finally {
		transport.close();
	}
}

const signer = new LinkSigner(SECRET);
const HTML = fixture('newsletter.html').replace('<h1>', '<p>{{ fields.note }}</p>\n<h1>');

describe('rendered → nodemailer → SMTP server → mailparser', () => {
	const template = compileTemplate(
		{
			subject: '【{{ fields.company }}】{{ name }}様へのお知らせ',
			html: HTML,
			from: { name: 'サンプル商店', address: 'news@shop.example.com' },
			replyTo: 'Support <support@shop.example.com>',
		},
		{
			...LINKS,
			trackClicks: true,
			trackOpens: true,
			inlineCss: true,
			unsubscribeMailto: 'unsubscribe@shop.example.com',
		},
	);
	const recipient = subscriber({
		name: '山田太郎',
		email: 'taro@example.co.jp',
		fields: { plan: 'pro', vip: true, company: 'ACME', note: '日本語のメモ & <b>tags</b>' },
	});

	test('a valid multipart/alternative message with both parts, encodings and all headers', async () => {
		const message = template.render(recipient, {
			campaignId: 'spring-2026',
			item: { orderId: 'A-100' },
		});
		const { received, parsed } = await sendAndReceive(message);

		expect(received.mailFrom).toBe('news@shop.example.com');
		expect(received.rcptTo).toEqual(['taro@example.co.jp']);

		const headers = topLevelHeaders(received.raw);
		const header = (name: string) =>
			headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
		expect(header('Content-Type')).toMatch(/^multipart\/alternative; boundary=/);
		expect(header('MIME-Version')).toBe('1.0');

		// both parts, UTF-8, transfer-encoded to 7-bit-safe text
		expect(received.raw).toMatch(
			/Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: (quoted-printable|base64)/,
		);
		expect(received.raw).toMatch(
			/Content-Type: text\/html; charset=utf-8\r\nContent-Transfer-Encoding: (quoted-printable|base64)/,
		);
		expect(/[^\x00-\x7f]/.test(received.raw)).toBe(false);
		expect(received.raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);

		expect(parsed.subject).toBe('【ACME】山田太郎様へのお知らせ');
		expect(parsed.from?.value).toEqual([
			{ address: 'news@shop.example.com', name: 'サンプル商店' },
		]);
		expect(parsed.replyTo?.value).toEqual([
			{ address: 'support@shop.example.com', name: 'Support' },
		]);
		expect(parsed.messageId).toBe(message.messageId);
		expect(parsed.messageId).toMatch(/^<spring-2026\.sub-1\.[\w-]+@shop\.example\.com>$/);

		expect(parsed.text).toContain('日本語のメモ & <b>tags</b>');
		expect(parsed.text).toContain('Hello 山田太郎,');
		expect(parsed.text).toContain('Order A-100 is on its way.');
		expect(parsed.html).toContain('日本語のメモ &amp; &lt;b&gt;tags&lt;/b&gt;');
		expect(parsed.html).toMatch(/<p style="margin: 0 0 12px; color: #333333;">/); // CSS inlined
		expect(parsed.html).toMatch(/\/open\?t=[\w.-]+" width="1" height="1" alt=""><\/body>/);

		// RFC 8058 headers intact: one line, exactly as rendered, and readable by a client
		const listUnsubscribe = received.raw
			.split('\r\n')
			.find((l) => l.startsWith('List-Unsubscribe:'));
		expect(listUnsubscribe).toBe(`List-Unsubscribe: ${message.headers['List-Unsubscribe']}`);
		expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
		const list = parsed.headers.get('list') as { unsubscribe?: { url?: string; mail?: string } };
		const unsubscribeUrl = list.unsubscribe?.url as string;
		expect(unsubscribeUrl).toMatch(
			/^https:\/\/n8n\.example\.com\/webhook\/abc123\/bulk-mail\/unsubscribe\?t=/,
		);
		expect(list.unsubscribe?.mail).toMatch(/^unsubscribe@shop\.example\.com\?subject=unsubscribe/);
		expect(signer.verify('unsubscribe', new URL(unsubscribeUrl).searchParams.get('t'))).toEqual({
			ok: true,
			claims: { subscriberId: 'sub-1', campaignId: 'spring-2026' },
		});

		// correlation headers for the Bounce Webhook
		expect(header(CORRELATION_HEADERS.campaignId)).toBe('spring-2026');
		expect(header(CORRELATION_HEADERS.subscriberId)).toBe('sub-1');
	});

	test('tracked links in the received HTML verify and point at the template URLs', async () => {
		const message = template.render(recipient, {
			campaignId: 'spring-2026',
			item: { orderId: 'A-100' },
		});
		const { parsed } = await sendAndReceive(message);
		const targets = [...(parsed.html as string).matchAll(/href="([^"]+\/click\?t=[^"]+)"/g)].map(
			(m) => {
				const result = signer.verify(
					'click',
					new URL(m[1].replace(/&amp;/g, '&')).searchParams.get('t'),
				);
				return result.ok ? result.claims.url : result.reason;
			},
		);
		expect(targets).toEqual([
			'https://shop.example.com/deals?plan=pro&src=mail',
			'https://blog.example.com/posts/42',
		]);
	});

	test('ISO-2022-JP: 7bit text part and subject decode back to the same Japanese', async () => {
		const jis = compileTemplate(
			{
				subject: '{{ name }}様 春のご案内',
				html: '<p>{{ name }}様、こんにちは。</p>',
				from: 'news@shop.example.com',
			},
			{ ...LINKS, encoding: 'iso-2022-jp' },
		);
		const { received, parsed } = await sendAndReceive(
			jis.render(recipient, { campaignId: 'haru' }),
		);
		expect(received.raw).toMatch(
			/Content-Type: text\/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit/,
		);
		expect(received.raw).toMatch(/^Subject: =\?ISO-2022-JP\?B\?/m);
		expect(parsed.subject).toBe('山田太郎様 春のご案内');
		expect(parsed.text?.trim()).toBe('山田太郎様、こんにちは。');
		expect(parsed.html).toContain('<p>山田太郎様、こんにちは。</p>');
		expect(
			topLevelHeaders(received.raw).find((h) => h.name === 'List-Unsubscribe-Post')?.value,
		).toBe('List-Unsubscribe=One-Click');
	});

	test('a proof goes out marked, without tracking or correlation headers', async () => {
		const { received, parsed } = await sendAndReceive(
			template.render(recipient, { campaignId: 'spring-2026', proof: true }),
		);
		expect(parsed.subject).toBe('[TEST] 【ACME】山田太郎様へのお知らせ');
		expect(parsed.headers.get('x-bulk-mail-proof')).toBe('1');
		expect(parsed.headers.has(CORRELATION_HEADERS.campaignId.toLowerCase())).toBe(false);
		expect(parsed.html).not.toMatch(/\/(click|open)\?t=/);
		expect(received.rcptTo).toEqual(['taro@example.co.jp']);
	});
});
