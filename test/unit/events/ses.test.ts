import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	confirmSubscription,
	EventConfigError,
	isGenuineSnsUrl,
	type SesConfig,
	SnsCertificateCache,
	verifyAndParse,
	verifySesRequest,
} from '../../../lib/events';
import { expectFailure, expectOk, fixtureJson, fixtureText, post } from './helpers';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-bounces';
const LOCAL_HOST_PATTERN = /^127\.0\.0\.1:\d+$/;

interface TestPki {
	dir: string;
	caPem: string;
	serverKey: string;
	serverCert: string;
	signingKey: string;
	signingCert: string;
}

/** A throw-away CA, an HTTPS server certificate for 127.0.0.1 and an RSA "SNS signing" certificate. */
function makePki(): TestPki {
	const dir = mkdtempSync(join(tmpdir(), 'sns-pki-'));
	const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	openssl(
		'req',
		'-x509',
		...ec,
		'-keyout',
		'ca.key',
		'-out',
		'ca.crt',
		'-days',
		'2',
		'-subj',
		'/CN=Bulk Mail Test CA',
		'-addext',
		'basicConstraints=critical,CA:TRUE',
		'-addext',
		'keyUsage=critical,keyCertSign,cRLSign',
	);
	openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
	writeFileSync(
		join(dir, 'server.ext'),
		'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
	);
	openssl(
		'x509',
		'-req',
		'-in',
		'server.csr',
		'-CA',
		'ca.crt',
		'-CAkey',
		'ca.key',
		'-CAcreateserial',
		'-out',
		'server.crt',
		'-days',
		'2',
		'-extfile',
		'server.ext',
	);
	openssl(
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-keyout',
		'signing.key',
		'-out',
		'signing.crt',
		'-days',
		'2',
		'-subj',
		'/CN=sns.amazonaws.com',
	);
	const read = (name: string) => readFileSync(join(dir, name), 'utf8');
	return {
		dir,
		caPem: read('ca.crt'),
		serverKey: read('server.key'),
		serverCert: read('server.crt'),
		signingKey: read('signing.key'),
		signingCert: read('signing.crt'),
	};
}

/**
 * The string SNS signs, written out from the AWS documentation independently of the code under
 * test: "Key\nValue\n" pairs in this order, Subject only when present.
 */
function awsStringToSign(message: Record<string, string>): string {
	const keys =
		message.Type === 'Notification'
			? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
			: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
	return keys
		.filter((key) => message[key] !== undefined)
		.map((key) => `${key}\n${message[key]}\n`)
		.join('');
}

let pki: TestPki;
let server: Server;
let baseUrl: string;
const hits: string[] = [];

beforeAll(async () => {
	pki = makePki();
	server = createServer({ key: pki.serverKey, cert: pki.serverCert }, (request, response) => {
		hits.push(request.url ?? '');
		if (request.url?.startsWith('/SimpleNotificationService-')) {
			response.writeHead(200, { 'content-type': 'application/x-pem-file' });
			response.end(request.url.includes('garbage') ? 'not a certificate' : pki.signingCert);
			return;
		}
		if (request.url?.startsWith('/?Action=ConfirmSubscription')) {
			response.writeHead(200, { 'content-type': 'text/xml' });
			response.end(
				'<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>' +
					`${TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55</SubscriptionArn></ConfirmSubscriptionResult>` +
					'</ConfirmSubscriptionResponse>',
			);
			return;
		}
		response.writeHead(404);
		response.end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
	rmSync(pki.dir, { recursive: true, force: true });
});

function certUrl(name = 'test1'): string {
	return `${baseUrl}/SimpleNotificationService-${name}.pem`;
}

function testConfig(extra: Partial<SesConfig> = {}): SesConfig {
	return {
		allowedTopicArns: [TOPIC],
		certHostPattern: LOCAL_HOST_PATTERN,
		ca: pki.caPem,
		certificateCache: new SnsCertificateCache(),
		...extra,
	};
}

interface EnvelopeOptions {
	type?: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
	version?: '1' | '2';
	signingCertUrl?: string;
	timestamp?: string;
	topicArn?: string;
	subject?: string;
	key?: string;
	messageId?: string;
}

function envelope(message: unknown, options: EnvelopeOptions = {}): Record<string, string> {
	const type = options.type ?? 'Notification';
	const fields: Record<string, string> = {
		Type: type,
		MessageId: options.messageId ?? randomUUID(),
		TopicArn: options.topicArn ?? TOPIC,
		Message: typeof message === 'string' ? message : JSON.stringify(message),
		Timestamp: options.timestamp ?? new Date().toISOString(),
		SignatureVersion: options.version ?? '2',
	};
	if (options.subject !== undefined) fields.Subject = options.subject;
	if (type !== 'Notification') {
		fields.Token = '2336412f37fb687f5d51e6e2425c464de12884e30da5f5c6bf0cfc2b83a0fb6d1f3';
		fields.SubscribeURL = `${baseUrl}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(fields.TopicArn)}&Token=${fields.Token}`;
	}
	const algorithm = fields.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
	fields.Signature = sign(
		algorithm,
		Buffer.from(awsStringToSign(fields)),
		options.key ?? pki.signingKey,
	).toString('base64');
	fields.SigningCertURL = options.signingCertUrl ?? certUrl();
	return fields;
}

function snsPost(body: Record<string, string> | string) {
	const type = typeof body === 'string' ? undefined : body.Type;
	return post(body, {
		'x-amz-sns-message-type': type,
		'content-type': 'text/plain; charset=UTF-8',
	});
}

describe('SES via SNS: signatures and certificates', () => {
	test('v2 (SHA256withRSA) bounce: one hard event per bounced recipient with unique stable ids', async () => {
		const body = envelope(fixtureJson('ses-bounce.json'), { messageId: 'sns-msg-1' });
		const result = expectOk(await verifySesRequest(snsPost(body), testConfig()));
		expect(result.events).toEqual([
			{
				provider: 'ses',
				eventId: 'sns-msg-1:0',
				messageId: 'cmp42.sub7@example.net',
				recipient: 'Jane@example.com',
				kind: 'hard',
				reason: 'userunknown',
				smtpStatus: '5.1.1',
				diagnostic: 'smtp; 550 5.1.1 <jane@example.com>... User unknown',
				occurredAt: '2026-11-03T14:59:38.237Z',
				campaignId: 'cmp_42',
				subscriberId: 'sub_7',
			},
			expect.objectContaining({
				eventId: 'sns-msg-1:1',
				recipient: 'richard@example.com',
				kind: 'hard',
			}),
		]);
		// A retried delivery of the same SNS message gives the same ids.
		const again = expectOk(await verifySesRequest(snsPost(body), testConfig()));
		expect(again.events.map((event) => event.eventId)).toEqual(['sns-msg-1:0', 'sns-msg-1:1']);
	});

	test('a Permanent bounce with a 5.7.x block is the sender\'s; sub-types name the reason', async () => {
		const base = fixtureJson('ses-bounce.json') as { bounce: Record<string, unknown> };
		const parse = async (bounce: Record<string, unknown>, recipients: Array<Record<string, unknown>>) =>
			expectOk(
				await verifySesRequest(
					snsPost(envelope({ ...base, bounce: { ...base.bounce, ...bounce, bouncedRecipients: recipients } })),
					testConfig(),
				),
			).events.map((event) => ({ kind: event.kind, reason: event.reason }));
		const blocked = {
			emailAddress: 'jane@example.com',
			action: 'failed',
			status: '5.7.1',
			diagnosticCode: 'smtp; 550 5.7.1 Service unavailable, Client host [198.51.100.7] blocked using Spamhaus',
		};
		expect(await parse({ bounceType: 'Permanent', bounceSubType: 'General' }, [blocked])).toEqual([
			{ kind: 'sender', reason: 'blocked' },
		]);
		const bare = { emailAddress: 'jane@example.com', action: 'failed' };
		expect(await parse({ bounceType: 'Permanent', bounceSubType: 'NoEmail' }, [bare])).toEqual([{ kind: 'hard', reason: 'userunknown' }]);
		expect(await parse({ bounceType: 'Transient', bounceSubType: 'MailboxFull' }, [bare])).toEqual([{ kind: 'soft', reason: 'mailboxfull' }]);
		expect(await parse({ bounceType: 'Transient', bounceSubType: 'ContentRejected' }, [bare])).toEqual([{ kind: 'sender', reason: 'contenterror' }]);
		expect(await parse({ bounceType: 'Transient', bounceSubType: 'MessageTooLarge' }, [bare])).toEqual([{ kind: 'sender', reason: 'mesgtoobig' }]);
		// a transient bounce is never hard, whatever its status says
		const unknownButTransient = { ...bare, status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 User unknown' };
		expect(await parse({ bounceType: 'Transient', bounceSubType: 'General' }, [unknownButTransient])).toEqual([
			{ kind: 'soft', reason: 'userunknown' },
		]);
		// nothing known: not proof the address is dead
		expect(await parse({ bounceType: 'Undetermined', bounceSubType: 'Undetermined' }, [bare])).toEqual([
			{ kind: 'soft', reason: 'undefined' },
		]);
	});

	test('v1 (SHA1withRSA) complaint with a Subject is verified', async () => {
		const body = envelope(fixtureJson('ses-complaint.json'), {
			version: '1',
			subject: 'Amazon SES Email Event Notification',
			messageId: 'sns-msg-2',
		});
		const result = expectOk(await verifySesRequest(snsPost(body), testConfig()));
		expect(result.events).toEqual([
			expect.objectContaining({
				eventId: 'sns-msg-2',
				recipient: 'richard@example.com',
				kind: 'complaint',
				diagnostic: 'abuse',
				messageId: '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000',
			}),
		]);
	});

	test('delivery, event-publishing transient bounce and click notifications', async () => {
		const delivery = expectOk(
			await verifySesRequest(snsPost(envelope(fixtureJson('ses-delivery.json'))), testConfig()),
		);
		expect(delivery.events[0]).toMatchObject({
			kind: 'delivered',
			recipient: 'mary@example.com',
			smtpStatus: '2.6.0',
		});
		const transient = expectOk(
			await verifySesRequest(
				snsPost(envelope(fixtureJson('ses-event-transient-bounce.json'))),
				testConfig(),
			),
		);
		expect(transient.events[0]).toMatchObject({
			kind: 'soft',
			smtpStatus: '4.2.2',
			campaignId: 'cmp_9',
		});
		const click = expectOk(
			await verifySesRequest(snsPost(envelope(fixtureJson('ses-event-click.json'))), testConfig()),
		);
		expect(click.events[0]).toMatchObject({
			kind: 'click',
			url: 'https://example.net/offer?a=1',
			recipient: 'reader@example.com',
		});
	});

	test('the signing certificate is fetched once and then served from the cache', async () => {
		const config = testConfig();
		const before = hits.length;
		for (let i = 0; i < 3; i += 1) {
			expectOk(
				await verifySesRequest(snsPost(envelope(fixtureJson('ses-complaint.json'))), config),
			);
		}
		expect(hits.slice(before)).toEqual(['/SimpleNotificationService-test1.pem']);
		expect(config.certificateCache?.fetches).toBe(1);
		// A different certificate URL is a different cache entry.
		expectOk(
			await verifySesRequest(
				snsPost(envelope(fixtureJson('ses-complaint.json'), { signingCertUrl: certUrl('test2') })),
				config,
			),
		);
		expect(config.certificateCache?.fetches).toBe(2);
	});

	test('concurrent first requests share one fetch', async () => {
		const config = testConfig();
		const results = await Promise.all(
			[1, 2, 3, 4].map(() =>
				verifySesRequest(snsPost(envelope(fixtureJson('ses-complaint.json'))), config),
			),
		);
		results.forEach((result) => expectOk(result));
		expect(config.certificateCache?.fetches).toBe(1);
	});

	test('a body signed with another key (forged) is rejected', async () => {
		const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
			type: 'pkcs8',
			format: 'pem',
		});
		const forged = envelope(fixtureJson('ses-bounce.json'), { key: otherKey.toString() });
		expectFailure(
			await verifySesRequest(snsPost(forged), testConfig()),
			401,
			/signature does not match/,
		);
	});

	test('tampering with any signed field is detected', async () => {
		const body = envelope(fixtureJson('ses-bounce.json'));
		const tamperedMessage = { ...body, Message: body.Message.replace('Permanent', 'Transient') };
		expectFailure(
			await verifySesRequest(snsPost(tamperedMessage), testConfig()),
			401,
			/signature does not match/,
		);
		const v1Claimed = { ...body, SignatureVersion: '1' };
		expectFailure(
			await verifySesRequest(snsPost(v1Claimed), testConfig()),
			401,
			/signature does not match/,
		);
		const addedSubject = { ...body, Subject: 'hello' };
		expectFailure(
			await verifySesRequest(snsPost(addedSubject), testConfig()),
			401,
			/signature does not match/,
		);
	});

	test('missing or unsupported signature fields get 401', async () => {
		const body = envelope(fixtureJson('ses-bounce.json'));
		const { Signature: _signature, ...unsigned } = body;
		expectFailure(
			await verifySesRequest(snsPost(unsigned as Record<string, string>), testConfig()),
			401,
			/not signed/,
		);
		expectFailure(
			await verifySesRequest(snsPost({ ...body, SignatureVersion: '3' }), testConfig()),
			401,
			/SignatureVersion/,
		);
	});

	test('look-alike and non-https certificate URLs are refused without fetching', async () => {
		const fetchCert = jest.fn(async () => pki.signingCert);
		const lookAlikes = [
			'https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem',
			'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
			'https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-abc.pem',
			'https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
			'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-abc.pem',
			'https://sns.us-east-1.amazonaws.com/evil.pem',
			'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem?x=1',
			'https://xsns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
		];
		for (const url of lookAlikes) {
			const body = envelope(fixtureJson('ses-bounce.json'), { signingCertUrl: url });
			const result = await verifySesRequest(snsPost(body), {
				allowedTopicArns: [TOPIC],
				fetchCert,
			});
			expectFailure(result, 403, /genuine SNS host/);
		}
		expect(fetchCert).not.toHaveBeenCalled();
	});

	test('a genuine SNS certificate URL passes the default host check', async () => {
		const fetchCert = jest.fn(async () => pki.signingCert);
		const genuine =
			'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
		const body = envelope(fixtureJson('ses-bounce.json'), { signingCertUrl: genuine });
		const config = {
			allowedTopicArns: [TOPIC],
			fetchCert,
			certificateCache: new SnsCertificateCache(),
		};
		expectOk(await verifySesRequest(snsPost(body), config));
		expect(fetchCert).toHaveBeenCalledWith(genuine);
	});

	test('isGenuineSnsUrl accepts real SNS hosts only', () => {
		expect(isGenuineSnsUrl('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription')).toBe(
			true,
		);
		expect(isGenuineSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/x.pem')).toBe(true);
		expect(isGenuineSnsUrl('https://SNS.US-EAST-1.AMAZONAWS.COM/x')).toBe(true);
		expect(isGenuineSnsUrl('https://sns.us-east-1.amazonaws.com.evil.com/x')).toBe(false);
		expect(isGenuineSnsUrl('https://sns.us-east-1.evil-amazonaws.com/x')).toBe(false);
		expect(isGenuineSnsUrl('https://sns.amazonaws.com/x')).toBe(false);
		expect(isGenuineSnsUrl('not a url')).toBe(false);
	});

	test('an HTTPS server the trust roots do not vouch for gives 503, and the failure is not cached', async () => {
		const config = testConfig({ ca: undefined });
		const body = envelope(fixtureJson('ses-bounce.json'), { signingCertUrl: certUrl('untrusted') });
		expectFailure(await verifySesRequest(snsPost(body), config), 503, /Could not fetch/);
		expectOk(await verifySesRequest(snsPost(body), { ...config, ca: pki.caPem }));
		expect(config.certificateCache?.fetches).toBe(2);
	});

	test('a certificate URL that serves no certificate gives 401', async () => {
		const body = envelope(fixtureJson('ses-bounce.json'), { signingCertUrl: certUrl('garbage') });
		expectFailure(await verifySesRequest(snsPost(body), testConfig()), 401, /not a valid X.509/);
	});

	test('an expired signing certificate is refused', async () => {
		const inThreeDays = Date.now() + 3 * 24 * 3600 * 1000;
		const body = envelope(fixtureJson('ses-bounce.json'), {
			timestamp: new Date(inThreeDays).toISOString(),
		});
		expectFailure(
			await verifySesRequest(snsPost(body), testConfig({ now: () => inThreeDays })),
			401,
			/expired/,
		);
	});
});

describe('SES via SNS: topic, freshness and payload checks', () => {
	test('a topic that is not allowed gets 403 before any certificate fetch', async () => {
		const fetchCert = jest.fn(async () => pki.signingCert);
		const body = envelope(fixtureJson('ses-bounce.json'), {
			topicArn: 'arn:aws:sns:us-east-1:999999999999:other',
		});
		expectFailure(
			await verifySesRequest(snsPost(body), testConfig({ fetchCert })),
			403,
			/allow-list/,
		);
		expect(fetchCert).not.toHaveBeenCalled();
	});

	test('an empty allow-list is a configuration error', async () => {
		const body = envelope(fixtureJson('ses-bounce.json'));
		await expect(
			verifySesRequest(snsPost(body), testConfig({ allowedTopicArns: [] })),
		).rejects.toBeInstanceOf(EventConfigError);
	});

	test('old messages are rejected as replays (default 1 h, configurable); future ones too', async () => {
		const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000).toISOString();
		const old = envelope(fixtureJson('ses-bounce.json'), { timestamp: twoHoursAgo });
		expectFailure(await verifySesRequest(snsPost(old), testConfig()), 401, /over the 3600 s limit/);
		expectOk(await verifySesRequest(snsPost(old), testConfig({ maxAgeSeconds: 3 * 3600 })));
		const future = envelope(fixtureJson('ses-bounce.json'), {
			timestamp: new Date(Date.now() + 3600 * 1000).toISOString(),
		});
		expectFailure(await verifySesRequest(snsPost(future), testConfig()), 401, /future/);
	});

	test('malformed envelopes get 400', async () => {
		expectFailure(await verifySesRequest(snsPost('{"Type":'), testConfig()), 400, /not valid JSON/);
		expectFailure(
			await verifySesRequest(snsPost('{"Type":"Hello"}'), testConfig()),
			400,
			/"Type" must be/,
		);
		const body = envelope(fixtureJson('ses-bounce.json'));
		const mismatch = post(body, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
		expectFailure(await verifySesRequest(mismatch, testConfig()), 400, /does not match/);
		const { MessageId: _id, ...noId } = body;
		expectFailure(
			await verifySesRequest(snsPost(noId as Record<string, string>), testConfig()),
			400,
			/"MessageId"/,
		);
	});

	test('a signed notification that is not an SES event is ignored, not an error', async () => {
		const text = expectOk(
			await verifySesRequest(snsPost(envelope('hello from the console')), testConfig()),
		);
		expect(text.events).toEqual([]);
		expect(text.ignored[0].reason).toMatch(/not an SES notification/);
		const send = expectOk(
			await verifySesRequest(snsPost(envelope({ eventType: 'Send', mail: {} })), testConfig()),
		);
		expect(send.ignored[0].type).toBe('Send');
	});

	test('a bounce listing no recipients is malformed', async () => {
		const message = {
			notificationType: 'Bounce',
			bounce: { bounceType: 'Permanent', bouncedRecipients: [] },
			mail: {},
		};
		expectFailure(
			await verifySesRequest(snsPost(envelope(message)), testConfig()),
			400,
			/lists no recipients/,
		);
	});

	test('oversize bodies get 413 through the registry', async () => {
		const body = envelope(fixtureJson('ses-bounce.json'));
		expectFailure(
			await verifyAndParse('ses', snsPost(body), testConfig({ maxBodyBytes: 1000 })),
			413,
		);
	});

	test('raw holds the SES message only when asked', async () => {
		const body = envelope(fixtureJson('ses-complaint.json'));
		const plain = expectOk(await verifySesRequest(snsPost(body), testConfig()));
		expect(plain.events[0]).not.toHaveProperty('raw');
		const withRaw = expectOk(
			await verifySesRequest(snsPost(body), testConfig({ includeRaw: true })),
		);
		expect(withRaw.events[0].raw).toEqual(JSON.parse(fixtureText('ses-complaint.json')));
	});
});

describe('SNS subscription handshake', () => {
	test('a verified SubscriptionConfirmation asks to confirm; confirmSubscription GETs SubscribeURL', async () => {
		const body = envelope('You have chosen to subscribe to the topic.', {
			type: 'SubscriptionConfirmation',
			version: '1',
		});
		const result = expectOk(await verifySesRequest(snsPost(body), testConfig()));
		expect(result.events).toEqual([]);
		expect(result.subscription).toEqual({
			type: 'SubscriptionConfirmation',
			topicArn: TOPIC,
			messageId: body.MessageId,
			token: body.Token,
			subscribeUrl: body.SubscribeURL,
		});
		const before = hits.length;
		const confirmed = await confirmSubscription(result.subscription!, {
			certHostPattern: LOCAL_HOST_PATTERN,
			ca: pki.caPem,
		});
		expect(confirmed.subscriptionArn).toBe(`${TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`);
		expect(hits.slice(before)).toEqual([body.SubscribeURL.slice(baseUrl.length)]);
	});

	test('a tampered SubscribeURL breaks the signature', async () => {
		const body = envelope('subscribe', { type: 'SubscriptionConfirmation' });
		const tampered = {
			...body,
			SubscribeURL: `${baseUrl}/?Action=ConfirmSubscription&Token=other`,
		};
		expectFailure(
			await verifySesRequest(snsPost(tampered), testConfig()),
			401,
			/signature does not match/,
		);
	});

	test('confirmSubscription refuses look-alike hosts without any request', async () => {
		const before = hits.length;
		await expect(
			confirmSubscription(
				'https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription&Token=x',
			),
		).rejects.toThrow(/not an https URL of a genuine SNS host/);
		await expect(confirmSubscription(`${baseUrl}/?Action=ConfirmSubscription`)).rejects.toThrow(
			/genuine SNS host/,
		);
		expect(hits.length).toBe(before);
	});

	test('confirmSubscription reports a refused confirmation', async () => {
		await expect(
			confirmSubscription(`${baseUrl}/missing`, {
				certHostPattern: LOCAL_HOST_PATTERN,
				ca: pki.caPem,
			}),
		).rejects.toThrow(/HTTP 404/);
	});
});
