/**
 * End to end: the Compose Message node as built by tsc (the project's build settings, into a
 * private outDir so a concurrent `npm run build` cannot pull dist/ away) composes messages for
 * subscribers of a real SQLite store; each output item is turned back into nodemailer options
 * the way Bulk Send's item mode does, sent through one pooled nodemailer transport to a real
 * SMTP server, and parsed with mailparser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { ParsedMail } from 'mailparser';
import type { IDataObject, INodeExecutionData, INodeType } from 'n8n-workflow';
import nodemailer from 'nodemailer';

import type * as ComposeEngine from '../../lib/compose';
import { CORRELATION_HEADERS } from '../../lib/events/types';
import { LinkSigner } from '../../lib/store/linkTokens';
import type * as MessageItem from '../../nodes/shared/messageItem';
import { binaryData, createExecuteMock, runNode } from '../helpers/n8nMock';
import {
	parseMessage,
	startSmtpServer,
	type ReceivedMessage,
	type TestSmtpServer,
} from '../helpers/smtp';
import { storeFixture, type StoreFixture } from '../helpers/stores';
import { topLevelHeaders } from '../unit/compose/helpers';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const OUT_DIR = path.join(ROOT, '.tmp', `compose-e2e-${process.pid}`);
const SECRET = 'e2e-signing-secret-0123456789abcdef';
const BASE_URL = 'https://n8n.example.com/webhook/bulk-mail';
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
	'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

const HTML = `<html><head><style>p.lead { color: #334455; }</style></head><body>
<p class="lead"><img src="cid:logo" alt="ACME"> {{ name }}さん、こんにちは。</p>
<p>{{ fields.city }}の新しいお店: <a href="https://shop.example.com/new?ref=mail">見る</a></p>
<p><a href="{{ unsubscribe_url }}">配信停止</a></p>
</body></html>`;

let built: {
	ComposeMessage: new () => INodeType;
	messageItem: typeof MessageItem;
	engine: typeof ComposeEngine;
};
let fixture: StoreFixture;
let smtp: TestSmtpServer;
let subscriberItems: INodeExecutionData[];
const previousDir = process.env.BULK_MAIL_STORE_DIR;

/** Builds the node and everything it imports with the project's build settings. */
function buildNode(): void {
	mkdirSync(OUT_DIR, { recursive: true });
	const tsconfig = path.join(OUT_DIR, 'tsconfig.json');
	writeFileSync(
		tsconfig,
		JSON.stringify({
			extends: path.join(ROOT, 'tsconfig.build.json'),
			compilerOptions: { outDir: OUT_DIR, rootDir: ROOT, declaration: false, sourceMap: false },
			files: [
				path.join(ROOT, 'nodes/ComposeMessage/ComposeMessage.node.ts'),
				path.join(ROOT, 'nodes/shared/messageItem.ts'),
			],
			include: [],
		}),
	);
	execFileSync(
		process.execPath,
		[path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig],
		{
			cwd: ROOT,
			stdio: 'pipe',
		},
	);
}

beforeAll(async () => {
	buildNode();
	const nodeFile = path.join(OUT_DIR, 'nodes/ComposeMessage/ComposeMessage.node.js');
	built = {
		ComposeMessage: require(nodeFile).ComposeMessage,
		messageItem: require(path.join(OUT_DIR, 'nodes/shared/messageItem.js')),
		engine: require(path.join(OUT_DIR, 'lib/compose/index.js')),
	};

	fixture = storeFixture('sqlite');
	process.env.BULK_MAIL_STORE_DIR = (fixture.config as { baseDir: string }).baseDir;
	const store = await fixture.open();
	try {
		const actor = { type: 'test' };
		const list = await store.createList({ name: 'Newsletter' }, actor);
		await store.upsertSubscriber(
			list.id,
			{ email: 'taro@example.com', name: 'Taro Yamada', fields: { city: 'Tokyo' } },
			{},
			actor,
		);
		await store.upsertSubscriber(
			list.id,
			{ email: 'hanako@example.jp', name: '山田花子', fields: { city: '京都' } },
			{},
			actor,
		);
		const page = await store.getSubscribers({ listId: list.id }, { limit: 10 });
		// As the Subscriber List node outputs them, plus the files to attach (e.g. from a Merge node).
		subscriberItems = page.items.map((subscriber) => ({
			json: { ...subscriber } as unknown as IDataObject,
			binary: {
				logo: binaryData(PNG, 'logo.png', 'image/png'),
				terms: binaryData(PDF, 'terms.pdf', 'application/pdf'),
			},
		}));
	} finally {
		await store.close();
	}
	smtp = await startSmtpServer();
});

afterAll(async () => {
	await smtp?.close();
	await fixture?.cleanup();
	rmSync(OUT_DIR, { recursive: true, force: true });
	if (previousDir === undefined) delete process.env.BULK_MAIL_STORE_DIR;
	else process.env.BULK_MAIL_STORE_DIR = previousDir;
});

/** Compose → items → (Bulk Send item mode) → SMTP → mailparser. */
async function composeAndSend(
	options: IDataObject,
): Promise<Array<{ item: INodeExecutionData; received: ReceivedMessage; parsed: ParsedMail }>> {
	const { output } = await runNode(new built.ComposeMessage(), {
		credentials: {
			bulkMailSubscriberStoreApi: {
				backend: 'sqlite',
				file: 'test.sqlite',
				publicBaseUrl: BASE_URL,
				signingSecret: SECRET,
			},
		},
		items: subscriberItems,
		parameters: {
			operation: 'compose',
			subject: '{{ name }}さん、{{ fields.city }}からのお知らせ',
			html: HTML,
			fromName: 'ACME ニュース',
			fromEmail: 'news@example.com',
			replyTo: 'Support <support@example.com>',
			campaignId: 'spring-2026',
			options: {
				attachments: 'logo, terms',
				inlineCss: true,
				trackClicks: true,
				unsubscribeMailto: 'unsubscribe@example.com',
				...options,
			},
		},
	});
	const items = output[0];
	expect(items).toHaveLength(subscriberItems.length);
	const sender = createExecuteMock(new built.ComposeMessage(), { items });
	const transport = nodemailer.createTransport({
		host: smtp.host,
		port: smtp.port,
		secure: false,
		ignoreTLS: true,
		pool: true,
		maxConnections: 1,
	});
	const before = smtp.messages.length;
	try {
		for (let index = 0; index < items.length; index++) {
			const message = await built.messageItem.composedMessageFromItem(sender.context, index);
			await transport.sendMail(built.engine.toSendMailOptions(message));
		}
	} finally {
		transport.close();
	}
	await smtp.waitForMessages(before + items.length, 10_000);
	const received = smtp.messages.slice(before);
	return Promise.all(
		items.map(async (item, index) => ({
			item,
			received: received[index],
			parsed: await parseMessage(received[index]),
		})),
	);
}

test('the build emits the node class under its file name, with its icons and codex beside the source', () => {
	const node = new built.ComposeMessage();
	expect(built.ComposeMessage.name).toBe('ComposeMessage');
	expect(node.description).toMatchObject({
		name: 'composeMessage',
		version: 1,
		usableAsTool: true,
	});
	const icon = node.description.icon as { light: string; dark: string };
	const light = readFileSync(
		path.join(ROOT, 'nodes/ComposeMessage', icon.light.replace('file:', '')),
		'utf8',
	);
	const dark = readFileSync(
		path.join(ROOT, 'nodes/ComposeMessage', icon.dark.replace('file:', '')),
		'utf8',
	);
	expect(light).toMatch(/^<svg /);
	expect(dark).toMatch(/^<svg /);
	expect(light).not.toBe(dark);
	const codex = JSON.parse(
		readFileSync(path.join(ROOT, 'nodes/ComposeMessage/ComposeMessage.node.json'), 'utf8'),
	);
	expect(codex).toMatchObject({
		node: 'n8n-nodes-bulk-mail.composeMessage',
		categories: ['Communication', 'Marketing & Content'],
	});
	expect(existsSync(path.join(OUT_DIR, 'nodes/shared/storeCredential.js'))).toBe(true);
});

test('composed items go out through SMTP as valid multipart mail with the RFC 8058 headers', async () => {
	const results = await composeAndSend({});
	const signer = new LinkSigner(SECRET);
	for (const { item, received, parsed } of results) {
		const subscriber = subscriberItems.find(
			(candidate) => candidate.json.email === (item.json.to as IDataObject).address,
		) as INodeExecutionData;
		const { name, email, id } = subscriber.json as { name: string; email: string; id: string };
		const city = (subscriber.json.fields as { city: string }).city;
		const raw = received.raw.toString('latin1');
		const headers = topLevelHeaders(raw.replace(/\r?\n/g, '\r\n'));
		const header = (headerName: string) =>
			headers.find((h) => h.name.toLowerCase() === headerName.toLowerCase())?.value;

		// Envelope and addresses.
		expect(received.from).toBe('news@example.com');
		expect(received.to).toEqual([email]);
		expect(parsed.from?.value).toEqual([{ name: 'ACME ニュース', address: 'news@example.com' }]);
		expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([
			{ name, address: email },
		]);
		expect(parsed.replyTo?.value).toEqual([{ name: 'Support', address: 'support@example.com' }]);

		// Subject with Japanese merged in, encoded as a MIME encoded-word.
		expect(parsed.subject).toBe(`${name}さん、${city}からのお知らせ`);
		expect(header('Subject')).toMatch(/^=\?UTF-8\?[BQ]\?/);

		// Structure: mixed(alternative(text, related(html, inline logo)), terms.pdf).
		expect(header('Content-Type')).toMatch(/^multipart\/mixed;/);
		expect(raw).toMatch(/Content-Type: multipart\/related;/);
		expect(raw).toMatch(/Content-Type: multipart\/alternative;/);
		expect(raw).toMatch(/Content-Type: text\/plain; charset=utf-8/);
		expect(raw).toMatch(/Content-Type: text\/html; charset=utf-8/);

		// Both parts, merged and decoded.
		expect(parsed.text).toContain(`${name}さん、こんにちは。`);
		expect(parsed.text).toContain('https://shop.example.com/new?ref=mail');
		expect(parsed.html).toContain(`${name}さん、こんにちは。`);
		expect(parsed.html).toMatch(/<p class="lead" style="color: ?#334455;?">/);
		expect(parsed.html).toContain(`${BASE_URL}/click?t=`);
		expect(parsed.html).not.toContain('href="https://shop.example.com/new');

		// Attachments: the inline logo by Content-ID, the PDF as a file.
		const logo = parsed.attachments.find((a) => a.filename === 'logo.png');
		const terms = parsed.attachments.find((a) => a.filename === 'terms.pdf');
		expect(logo).toMatchObject({ contentType: 'image/png', contentId: '<logo>', related: true });
		expect(logo?.content).toEqual(PNG);
		expect(terms).toMatchObject({
			contentType: 'application/pdf',
			contentDisposition: 'attachment',
		});
		expect(terms?.content).toEqual(PDF);

		// RFC 8058 one-click unsubscribe, signed for this subscriber and campaign, plus mailto.
		expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
		const listUnsubscribe = header('List-Unsubscribe') as string;
		const match =
			/^<(https:\/\/n8n\.example\.com\/webhook\/bulk-mail\/unsubscribe\?t=([^>]+))>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%20[^>]+>$/.exec(
				listUnsubscribe,
			);
		expect(match).not.toBeNull();
		expect(signer.verify('unsubscribe', decodeURIComponent((match as RegExpExecArray)[2]))).toEqual(
			{
				ok: true,
				claims: { subscriberId: id, campaignId: 'spring-2026' },
			},
		);
		expect(parsed.html).toContain(`href="${(match as RegExpExecArray)[1].replace(/&/g, '&amp;')}"`);

		// Correlation headers and the stable Message-ID from the item.
		expect(header(CORRELATION_HEADERS.campaignId)).toBe('spring-2026');
		expect(header(CORRELATION_HEADERS.subscriberId)).toBe(id);
		expect(parsed.messageId).toBe(item.json.messageId);
		expect(parsed.messageId).toMatch(/@example\.com>$/);
	}
});

test('ISO-2022-JP: subject and text part for legacy Japanese clients, HTML stays UTF-8', async () => {
	const results = await composeAndSend({ encoding: 'iso-2022-jp', trackClicks: false });
	const japanese = results.find(
		({ item }) => (item.json.to as IDataObject).address === 'hanako@example.jp',
	);
	if (!japanese) throw new Error('the Japanese subscriber got no message');
	const raw = japanese.received.raw.toString('latin1');
	const subject = topLevelHeaders(raw.replace(/\r?\n/g, '\r\n')).find(
		(h) => h.name === 'Subject',
	)?.value;
	expect(subject).toMatch(/^=\?ISO-2022-JP\?B\?/);
	expect(raw).toMatch(
		/Content-Type: text\/plain; charset=ISO-2022-JP\r?\nContent-Transfer-Encoding: 7bit/,
	);
	expect(raw).toMatch(/Content-Type: text\/html; charset=utf-8/);
	expect(japanese.parsed.subject).toBe('山田花子さん、京都からのお知らせ');
	expect(japanese.parsed.text).toContain('山田花子さん、こんにちは。');
	expect(japanese.parsed.html).toContain('山田花子さん、こんにちは。');
	expect(japanese.parsed.attachments.map((a) => a.filename).sort()).toEqual([
		'logo.png',
		'terms.pdf',
	]);
});
