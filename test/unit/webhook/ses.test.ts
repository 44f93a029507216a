/**
 * The events endpoint with Amazon SES via SNS: the SubscriptionConfirmation is confirmed by
 * fetching its SubscribeURL (a local HTTPS server stands in for SNS, the host check pointed at
 * it as only tests may), notifications are recorded once, other topics are refused.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SnsCertificateCache, type SesConfig } from '../../../lib/events';
import type { SqlSubscriberStore } from '../../../lib/store/sqlStore';
import { handleEventsRequest } from '../../../lib/webhook';
import { BACKENDS, storeFixture, type StoreFixture } from '../../helpers/stores';
import { seedList } from './helpers';

jest.setTimeout(30_000);

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-bounces';
const dir = mkdtempSync(path.join(tmpdir(), 'bm-sns-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
let serverCert: string;
let serverKey: string;
let signingKey: string;
let signingCert: string;
let server: Server;
let base: string;
const confirmations: string[] = [];

beforeAll(async () => {
	openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.crt', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
	openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'signing.key', '-out', 'signing.crt', '-days', '2', '-subj', '/CN=sns.amazonaws.com');
	const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
	[serverCert, serverKey, signingKey, signingCert] = [read('server.crt'), read('server.key'), read('signing.key'), read('signing.crt')];
	server = createServer({ key: serverKey, cert: serverCert }, (request, response) => {
		if (request.url?.startsWith('/?Action=ConfirmSubscription')) {
			confirmations.push(request.url);
			response.writeHead(200, { 'content-type': 'text/xml' });
			response.end(`<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>${TOPIC}:1</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`);
			return;
		}
		response.writeHead(404);
		response.end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
	rmSync(dir, { recursive: true, force: true });
});

function config(): SesConfig {
	return {
		allowedTopicArns: [TOPIC],
		certHostPattern: /^127\.0\.0\.1:\d+$/,
		ca: serverCert,
		fetchCert: async () => signingCert,
		certificateCache: new SnsCertificateCache(),
	};
}

/** An SNS message signed (SignatureVersion 2) the way SNS documents it. */
function snsRequest(type: 'Notification' | 'SubscriptionConfirmation', message: unknown, options: { topic?: string; messageId?: string } = {}) {
	const fields: Record<string, string> = {
		Type: type,
		MessageId: options.messageId ?? randomUUID(),
		TopicArn: options.topic ?? TOPIC,
		Message: JSON.stringify(message),
		Timestamp: new Date().toISOString(),
		SignatureVersion: '2',
	};
	if (type === 'SubscriptionConfirmation') {
		fields.Token = 'token-1234';
		fields.SubscribeURL = `${base}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(fields.TopicArn)}&Token=token-1234`;
	}
	const keys =
		type === 'Notification'
			? ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type']
			: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
	const stringToSign = keys.map((key) => `${key}\n${fields[key]}\n`).join('');
	fields.Signature = sign('RSA-SHA256', Buffer.from(stringToSign), signingKey).toString('base64');
	fields.SigningCertURL = `${base}/SimpleNotificationService-test.pem`;
	return {
		method: 'POST',
		headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': type },
		rawBody: Buffer.from(JSON.stringify(fields)),
	};
}

function bounce(email: string) {
	return {
		notificationType: 'Bounce',
		bounce: {
			bounceType: 'Permanent',
			bounceSubType: 'General',
			bouncedRecipients: [{ emailAddress: email, status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
			timestamp: new Date().toISOString(),
			feedbackId: 'feedback-1',
		},
		mail: { messageId: 'ses-message-1', destination: [email], headers: [] },
	};
}

describe.each(BACKENDS)('SES via SNS on the events endpoint (%s store)', (backend) => {
	let fixture: StoreFixture;
	let store: SqlSubscriberStore;

	beforeAll(async () => {
		fixture = storeFixture(backend);
		store = await fixture.open();
	});

	afterAll(async () => {
		await store.close();
		await fixture.cleanup();
	});

	test('the subscription is confirmed automatically and nothing is recorded', async () => {
		const before = confirmations.length;
		const result = await handleEventsRequest(store, 'ses', snsRequest('SubscriptionConfirmation', 'You have chosen to subscribe'), config());
		expect(result.response.status).toBe(200);
		expect(result.subscription).toMatchObject({ type: 'SubscriptionConfirmation', topicArn: TOPIC, confirmed: true });
		expect(confirmations.length).toBe(before + 1);
		expect(confirmations[confirmations.length - 1]).toContain('Token=token-1234');
		expect(result.events).toEqual([]);
	});

	test('a bounce notification is recorded once; another topic is refused with 403', async () => {
		const { ids } = await seedList(store, [`${backend}-gone@example.com`], `SES ${backend}`);
		const request = snsRequest('Notification', bounce(`${backend}-gone@example.com`), { messageId: `sns-${backend}-1` });
		const first = await handleEventsRequest(store, 'ses', request, config());
		expect(first.response.status).toBe(200);
		expect(first.events).toHaveLength(1);
		expect(first.events[0]).toMatchObject({ provider: 'ses', kind: 'hard', statusAfter: 'bounced', duplicate: false });
		const retried = await handleEventsRequest(store, 'ses', request, config());
		expect(retried.events[0].duplicate).toBe(true);
		expect((await store.getSubscriber({ id: ids[`${backend}-gone@example.com`] }))!.hardBounces).toBe(1);

		const otherTopic = await handleEventsRequest(
			store,
			'ses',
			snsRequest('Notification', bounce('someone@example.com'), { topic: 'arn:aws:sns:eu-west-1:999999999999:elsewhere' }),
			config(),
		);
		expect(otherTopic.response.status).toBe(403);
		expect(otherTopic.events).toEqual([]);
	});
});
