import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

import {
	SENDGRID_SIGNATURE_HEADER,
	SENDGRID_TIMESTAMP_HEADER,
	verifyAndParse,
	verifySendgridRequest,
} from '../../../lib/events';
import { expectFailure, expectOk, fixtureText, nowSeconds, post } from './helpers';

const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
/** The form SendGrid's settings page shows: base64 of the DER SubjectPublicKeyInfo. */
const publicKeyBase64 = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function signedRequest(
	body: string,
	options: { key?: KeyObject; timestamp?: string; signedBody?: string } = {},
) {
	const timestamp = options.timestamp ?? String(nowSeconds());
	const payload = Buffer.from(timestamp + (options.signedBody ?? body), 'utf8');
	const signature = sign('sha256', payload, {
		key: options.key ?? pair.privateKey,
		dsaEncoding: 'der',
	});
	return post(body, {
		[SENDGRID_SIGNATURE_HEADER]: signature.toString('base64'),
		[SENDGRID_TIMESTAMP_HEADER]: timestamp,
	});
}

const eventsBody = fixtureText('sendgrid-events.json');

describe('SendGrid event webhook', () => {
	test('verifies with a base64 DER key and maps every documented event', async () => {
		const result = expectOk(
			await verifySendgridRequest(signedRequest(eventsBody), { publicKey: publicKeyBase64 }),
		);
		const kinds = Object.fromEntries(result.events.map((event) => [event.recipient, event.kind]));
		expect(kinds).toEqual({
			'hard@example.com': 'hard',
			'tech@example.com': 'soft',
			// a block is a refusal of our mail, never the address's fault
			'blocked@example.com': 'sender',
			// SendGrid declining to send to an address on its own list says nothing new about it
			'dropped@example.com': 'soft',
			'slow@example.com': 'deferred',
			'angry@example.com': 'complaint',
			'bye@example.com': 'unsubscribe',
			'groupbye@example.com': 'unsubscribe',
			'ok@example.com': 'delivered',
			'reader@example.com': 'click',
		});
		const reasons = Object.fromEntries(result.events.map((event) => [event.recipient, event.reason]));
		expect(reasons).toMatchObject({
			'hard@example.com': 'userunknown',
			'blocked@example.com': 'blocked',
			'dropped@example.com': 'onhold',
			'angry@example.com': 'feedback',
			'ok@example.com': null,
		});
		expect(result.events).toHaveLength(11);
		expect(result.events.filter((event) => event.kind === 'open')).toHaveLength(1);
		expect(result.ignored).toEqual([
			{ index: 11, type: 'processed', reason: 'not a delivery outcome' },
		]);
		expect(result.events[0]).toEqual({
			provider: 'sendgrid',
			eventId: 'sg-bounce-1',
			messageId: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
			recipient: 'hard@example.com',
			kind: 'hard',
			reason: 'userunknown',
			smtpStatus: '5.1.1',
			diagnostic: '550 5.1.1 The email account that you tried to reach does not exist',
			occurredAt: new Date(1793718000 * 1000).toISOString(),
			campaignId: 'cmp_1',
			subscriberId: 'sub_1',
		});
		const open = result.events.find((event) => event.kind === 'open');
		expect(open).toMatchObject({ campaignId: 'cmp_2', eventId: 'sg-open-10' });
		const click = result.events.find((event) => event.kind === 'click');
		expect(click?.url).toBe('https://example.net/a');
		const deferred = result.events.find((event) => event.kind === 'deferred');
		expect(deferred).toMatchObject({ smtpStatus: '400', diagnostic: '400 try again later' });
	});

	test('accepts the key as PEM too', async () => {
		const result = expectOk(
			await verifySendgridRequest(signedRequest(eventsBody), { publicKey: publicKeyPem }),
		);
		expect(result.events.length).toBeGreaterThan(0);
	});

	test('rejects a signature made with another key (forged)', async () => {
		const forged = signedRequest(eventsBody, { key: other.privateKey });
		expectFailure(
			await verifySendgridRequest(forged, { publicKey: publicKeyBase64 }),
			401,
			/does not match/,
		);
	});

	test('rejects a tampered body and a moved timestamp', async () => {
		const tampered = signedRequest(eventsBody.replace('"dropped"', '"delivered"'), {
			signedBody: eventsBody,
		});
		expectFailure(
			await verifySendgridRequest(tampered, { publicKey: publicKeyBase64 }),
			401,
			/does not match/,
		);
		const request = signedRequest(eventsBody);
		request.headers[SENDGRID_TIMESTAMP_HEADER] = String(
			Number(request.headers[SENDGRID_TIMESTAMP_HEADER]) - 1,
		);
		expectFailure(
			await verifySendgridRequest(request, { publicKey: publicKeyBase64 }),
			401,
			/does not match/,
		);
	});

	test('rejects an expired timestamp (default 300 s) even with a valid signature', async () => {
		const old = signedRequest(eventsBody, { timestamp: String(nowSeconds() - 3600) });
		expectFailure(
			await verifySendgridRequest(old, { publicKey: publicKeyBase64 }),
			401,
			/outside the 300 s window/,
		);
		expectOk(
			await verifySendgridRequest(old, { publicKey: publicKeyBase64, toleranceSeconds: 7200 }),
		);
	});

	test('rejects missing headers and a non-base64 signature', async () => {
		expectFailure(
			await verifySendgridRequest(post(eventsBody), { publicKey: publicKeyBase64 }),
			401,
			/Missing/,
		);
		const request = signedRequest(eventsBody);
		delete request.headers[SENDGRID_TIMESTAMP_HEADER];
		expectFailure(
			await verifySendgridRequest(request, { publicKey: publicKeyBase64 }),
			401,
			/Missing/,
		);
		const garbage = signedRequest(eventsBody);
		garbage.headers[SENDGRID_SIGNATURE_HEADER] = '%%%not-base64%%%';
		expectFailure(await verifySendgridRequest(garbage, { publicKey: publicKeyBase64 }), 401);
	});

	test('malformed JSON and records get 400 after the signature checks out', async () => {
		expectFailure(
			await verifySendgridRequest(signedRequest('[{"event":'), { publicKey: publicKeyBase64 }),
			400,
			/not valid JSON/,
		);
		const noEmail = JSON.stringify([{ event: 'bounce', timestamp: 1793718000, sg_event_id: 'x' }]);
		expectFailure(
			await verifySendgridRequest(signedRequest(noEmail), { publicKey: publicKeyBase64 }),
			400,
			/events\[0\]: "email"/,
		);
		const noTime = JSON.stringify([{ event: 'bounce', email: 'a@b.example', sg_event_id: 'x' }]);
		expectFailure(
			await verifySendgridRequest(signedRequest(noTime), { publicKey: publicKeyBase64 }),
			400,
			/timestamp/,
		);
	});

	test('oversize bodies get 413 through the registry', async () => {
		const result = await verifyAndParse('sendgrid', signedRequest(eventsBody), {
			publicKey: publicKeyBase64,
			maxBodyBytes: 100,
		});
		expectFailure(result, 413);
	});

	test('an RSA or garbage key is a configuration error', async () => {
		const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
			type: 'spki',
			format: 'pem',
		});
		await expect(
			verifySendgridRequest(signedRequest(eventsBody), { publicKey: rsa.toString() }),
		).rejects.toThrow(/P-256/);
		await expect(
			verifySendgridRequest(signedRequest(eventsBody), { publicKey: 'bm90IGEga2V5' }),
		).rejects.toThrow(/not a valid/);
	});

	test('events without sg_event_id get a stable content hash id', async () => {
		const body = JSON.stringify([
			{ event: 'dropped', email: 'a@b.example', timestamp: 1793718000 },
		]);
		const first = expectOk(
			await verifySendgridRequest(signedRequest(body), { publicKey: publicKeyBase64 }),
		);
		const again = expectOk(
			await verifySendgridRequest(signedRequest(body), { publicKey: publicKeyBase64 }),
		);
		expect(first.events[0].eventId).toMatch(/^[0-9a-f]{64}$/);
		expect(again.events[0].eventId).toBe(first.events[0].eventId);
	});
});
