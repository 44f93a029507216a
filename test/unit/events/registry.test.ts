import { generateKeyPairSync } from 'node:crypto';

import {
	extractSmtpStatus,
	findCorrelation,
	type NormalisedEvent,
	normaliseMessageId,
	normaliseRecipient,
	type ProviderConfigs,
	toDeliveryEventInput,
	toDeliveryEventType,
	verifyAndParse,
	WEBHOOK_PROVIDERS,
	type WebhookProvider,
} from '../../../lib/events';
import { expectFailure, post } from './helpers';

describe('normalisation helpers', () => {
	test('recipients are trimmed, unbracketed, and only the domain is lowercased', () => {
		expect(normaliseRecipient('  John.Doe@Example.COM ')).toBe('John.Doe@example.com');
		expect(normaliseRecipient('<a@B.example>')).toBe('a@b.example');
		expect(normaliseRecipient('"quoted@local"@Example.org')).toBe('"quoted@local"@example.org');
		for (const bad of [
			'',
			'no-at-sign',
			'@example.com',
			'user@',
			'two words@example.com',
			'a@b\u0000c',
			42,
			null,
		]) {
			expect(normaliseRecipient(bad)).toBeNull();
		}
	});

	test('message ids lose their angle brackets', () => {
		expect(normaliseMessageId(' <abc@example.net> ')).toBe('abc@example.net');
		expect(normaliseMessageId('')).toBeNull();
	});

	test('enhanced status codes are preferred to reply codes; IP addresses are not codes', () => {
		expect(extractSmtpStatus('smtp; 550 5.1.1 <a@b.c>: user unknown')).toBe('5.1.1');
		expect(extractSmtpStatus('550-5.7.26 unauthenticated')).toBe('5.7.26');
		expect(extractSmtpStatus('host 10.4.2.2 said: 421 try later')).toBe('421');
		expect(extractSmtpStatus(undefined, '452 4.2.2 Mailbox full.')).toBe('4.2.2');
		expect(extractSmtpStatus('no code here')).toBeNull();
	});

	test('correlation ids come from header names or plain keys, case-insensitively', () => {
		expect(findCorrelation({ 'x-bulk-mail-campaign': 'c1', SubscriberId: 's1' })).toEqual({
			campaignId: 'c1',
			subscriberId: 's1',
		});
		expect(
			findCorrelation(null, { campaignId: ['c2'] }, { campaignId: 'ignored', subscriberId: 7 }),
		).toEqual({
			campaignId: 'c2',
			subscriberId: '7',
		});
		expect(findCorrelation({ campaign: 'x' })).toEqual({ campaignId: null, subscriberId: null });
	});
});

describe('mapping to store delivery events', () => {
	const base: NormalisedEvent = {
		provider: 'sendgrid',
		eventId: 'sg-1',
		messageId: 'm',
		recipient: 'a@example.com',
		kind: 'hard',
		reason: 'userunknown',
		smtpStatus: '5.1.1',
		diagnostic: 'user unknown',
		occurredAt: '2026-11-03T10:00:00.000Z',
		campaignId: 'c',
		subscriberId: 's',
	};

	test('hard/soft/sender/complaint/unsubscribe map one to one; other kinds are not store events', () => {
		expect(
			['hard', 'soft', 'sender', 'complaint', 'unsubscribe'].map((kind) =>
				toDeliveryEventType(kind as never),
			),
		).toEqual(['hard', 'soft', 'sender', 'complaint', 'unsubscribe']);
		for (const kind of ['delivered', 'deferred', 'open', 'click'] as const) {
			expect(toDeliveryEventType(kind)).toBeNull();
			expect(toDeliveryEventInput({ ...base, kind })).toBeNull();
		}
	});

	test('the store input carries a provider-prefixed event id and the status in the diagnostic', () => {
		expect(toDeliveryEventInput(base)).toEqual({
			type: 'hard',
			reason: 'userunknown',
			subscriberId: 's',
			email: 'a@example.com',
			diagnostic: '5.1.1 user unknown',
			occurredAt: '2026-11-03T10:00:00.000Z',
			eventId: 'sendgrid:sg-1',
			source: 'sendgrid',
		});
		expect(toDeliveryEventInput({ ...base, diagnostic: '550 5.1.1 gone' })?.diagnostic).toBe(
			'550 5.1.1 gone',
		);
		expect(toDeliveryEventInput({ ...base, diagnostic: null })?.diagnostic).toBe('5.1.1');
	});
});

describe('verifyAndParse registry', () => {
	const configs: { [P in WebhookProvider]: ProviderConfigs[P] } = {
		ses: { allowedTopicArns: ['arn:aws:sns:us-east-1:1:t'] },
		sendgrid: {
			publicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
				.publicKey.export({ type: 'spki', format: 'der' })
				.toString('base64'),
		},
		mailgun: { signingKey: 'k' },
		postmark: { username: 'u', password: 'p' },
		brevo: { bearerToken: 't' },
		generic: { secret: 's' },
		dsn: { bearerToken: 't' },
	};

	test.each(WEBHOOK_PROVIDERS)(
		'%s: a body over the limit gets 413, default limit 1 MiB',
		async (provider) => {
			const big = post(Buffer.alloc(1024 * 1024 + 1, 0x20));
			expectFailure(
				await verifyAndParse(provider, big, configs[provider] as never),
				413,
				/1048576-byte limit/,
			);
			const small = post(Buffer.alloc(2048, 0x20));
			expectFailure(
				await verifyAndParse(provider, small, {
					...configs[provider],
					maxBodyBytes: 1024,
				} as never),
				413,
			);
		},
	);

	test.each(WEBHOOK_PROVIDERS)(
		'%s: an unauthenticated or malformed request yields no events',
		async (provider) => {
			const result = await verifyAndParse(provider, post('{"broken":'), configs[provider] as never);
			expect(result.ok).toBe(false);
			if (!result.ok) expect([400, 401]).toContain(result.status);
			const empty = await verifyAndParse(
				provider,
				post(Buffer.alloc(0)),
				configs[provider] as never,
			);
			expectFailure(empty, 400, /empty/);
		},
	);

	test('an unknown provider gets 400', async () => {
		expectFailure(
			await verifyAndParse('smtp' as never, post('{}'), {} as never),
			400,
			/Unknown provider/,
		);
	});
});
