import { classifySendError, enhancedStatusOf } from '../../../lib/send/errors';
import type { ClassifiedSendError } from '../../../lib/send/errors';
import {
	createHandoverTracker,
	createPooledTransport,
	HANDOVER_TRACKER_KEY,
	handoverStage,
} from '../../../lib/send/transport';
import type { HandoverStage, SmtpSettings } from '../../../lib/send/transport';
import { smtpSettingsFor, startSmtpServer } from '../../helpers/smtp';
import type { ScriptAction, ScriptContext, TestSmtpServer } from '../../helpers/smtp';
import { testCertificates } from '../../helpers/smtpCerts';
import net from 'node:net';

jest.setTimeout(30_000);

/**
 * Provokes each failure against a real smtp-server and classifies what nodemailer reports,
 * with the handover stage read from the tracker as the item sender does.
 */
async function attempt(
	settings: SmtpSettings,
	to = 'reader@example.org',
): Promise<{ error: unknown; stage: HandoverStage; classified: ClassifiedSendError | null }> {
	const transport = createPooledTransport(settings);
	const tracker = createHandoverTracker();
	try {
		await transport.sendMail({
			from: 'sender@example.com',
			to,
			subject: 'test',
			text: 'Hello\r\n'.repeat(50),
			[HANDOVER_TRACKER_KEY]: tracker,
		} as never);
		return { error: null, stage: handoverStage(tracker), classified: null };
	} catch (error) {
		const stage = handoverStage(tracker);
		return { error, stage, classified: classifySendError(error, stage, settings) };
	} finally {
		transport.close();
	}
}

const servers: TestSmtpServer[] = [];
async function serverWith(script: (ctx: ScriptContext) => ScriptAction | undefined, extra = {}) {
	const server = await startSmtpServer({ script, ...extra });
	servers.push(server);
	return server;
}
afterAll(async () => {
	await Promise.all(servers.map((s) => s.close()));
});

describe('classifySendError against a real SMTP server', () => {
	it('451 to RCPT is retryable', async () => {
		const server = await serverWith((ctx) =>
			ctx.stage === 'rcpt'
				? { reply: 451, message: '4.7.1 Greylisted, try again later' }
				: undefined,
		);
		const { classified, stage } = await attempt(smtpSettingsFor(server));
		expect(stage).toBe('before-data');
		expect(classified).toMatchObject({
			kind: 'retryable',
			responseCode: 451,
			enhancedStatus: '4.7.1',
			command: 'RCPT TO',
		});
		expect(classified!.message).toMatch(/Temporarily refused \(RCPT TO\): "451 4\.7\.1 Greylisted/);
		expect(server.messages).toHaveLength(0);
	});

	it('421 to MAIL FROM is retryable', async () => {
		const server = await serverWith((ctx) =>
			ctx.stage === 'mail' ? { reply: 421, message: '4.4.5 Too many connections' } : undefined,
		);
		const { classified } = await attempt(smtpSettingsFor(server));
		expect(classified).toMatchObject({ kind: 'retryable', responseCode: 421 });
	});

	it('452 after the end of data is retryable', async () => {
		const server = await serverWith((ctx) =>
			ctx.stage === 'data'
				? { reply: 452, message: '4.3.1 Insufficient system storage' }
				: undefined,
		);
		const { classified, stage } = await attempt(smtpSettingsFor(server));
		expect(stage).toBe('data-sent');
		expect(classified).toMatchObject({ kind: 'retryable', responseCode: 452, command: 'DATA' });
	});

	it('550 to RCPT is permanent and carries the code and the enhanced status', async () => {
		const server = await serverWith((ctx) =>
			ctx.stage === 'rcpt' ? { reply: 550, message: '5.1.1 No such user here' } : undefined,
		);
		const { classified } = await attempt(smtpSettingsFor(server));
		expect(classified).toMatchObject({
			kind: 'permanent',
			responseCode: 550,
			enhancedStatus: '5.1.1',
			command: 'RCPT TO',
			response: '550 5.1.1 No such user here',
		});
	});

	it('554 after the end of data is permanent', async () => {
		const server = await serverWith((ctx) =>
			ctx.stage === 'data' ? { reply: 554, message: '5.7.1 Message rejected as spam' } : undefined,
		);
		const { classified } = await attempt(smtpSettingsFor(server));
		expect(classified).toMatchObject({
			kind: 'permanent',
			responseCode: 554,
			enhancedStatus: '5.7.1',
		});
	});

	it('a connection dropped at RCPT (before any data) is retryable', async () => {
		const server = await serverWith((ctx) => (ctx.stage === 'rcpt' ? { drop: true } : undefined));
		const { classified, stage } = await attempt(smtpSettingsFor(server));
		expect(stage).toBe('before-data');
		expect(classified).toMatchObject({ kind: 'retryable', code: 'ECONNECTION', command: 'CONN' });
	});

	it('a connection dropped after the server read the whole message is unknown', async () => {
		const server = await serverWith((ctx) => (ctx.stage === 'data' ? { drop: true } : undefined));
		const { classified, stage } = await attempt(smtpSettingsFor(server));
		expect(stage).toBe('data-sent');
		expect(classified).toMatchObject({ kind: 'unknown', code: 'ECONNECTION' });
		expect(classified!.message).toMatch(/after the message was handed over.*not retried/);
	});

	it('no reply after the end of data (socket timeout) is unknown', async () => {
		const server = await serverWith((ctx) => (ctx.stage === 'data' ? { hang: true } : undefined));
		const { classified, stage } = await attempt(
			smtpSettingsFor(server, {
				timeouts: { socketMs: 700, greetingMs: 5000, connectionMs: 5000 },
			}),
		);
		expect(stage).toBe('data-sent');
		expect(classified).toMatchObject({ kind: 'unknown', code: 'ETIMEDOUT' });
	});

	it('a wrong password is fatal', async () => {
		const server = await serverWith(() => undefined, { auth: { user: 'u', pass: 'right' } });
		const { classified } = await attempt(
			smtpSettingsFor(server, { user: 'u', password: 'wrong-secret' }),
		);
		expect(classified).toMatchObject({ kind: 'fatal', code: 'EAUTH', responseCode: 535 });
		expect(classified!.message).toMatch(/^Authentication failed for user "u"/);
		expect(classified!.message).not.toContain('wrong-secret');
	});

	it('a self-signed certificate is fatal', async () => {
		const server = await serverWith(() => undefined, {
			security: 'tls',
			cert: testCertificates().selfSigned,
		});
		const { classified } = await attempt(smtpSettingsFor(server, { security: 'tls' }));
		expect(classified).toMatchObject({ kind: 'fatal' });
		expect(classified!.message).toMatch(/TLS handshake failed.*self-signed/);
	});

	it('an unknown host is fatal', async () => {
		const { classified } = await attempt({
			host: 'no-such-host.invalid',
			port: 25,
			security: 'none',
		});
		expect(classified).toMatchObject({ kind: 'fatal', code: 'EDNS' });
		expect(classified!.message).toMatch(/Host not found/);
	});

	it('a refused connection is retryable', async () => {
		const port = await new Promise<number>((resolve) => {
			const probe = net.createServer().listen(0, '127.0.0.1', () => {
				const { port } = probe.address() as net.AddressInfo;
				probe.close(() => resolve(port));
			});
		});
		const { classified } = await attempt({ host: '127.0.0.1', port, security: 'none' });
		expect(classified).toMatchObject({ kind: 'retryable', code: 'ESOCKET' });
		expect(classified!.message).toMatch(/Connection refused before the message was sent/);
	});

	it('a message with an invalid recipient is permanent without reaching the server', async () => {
		const server = await serverWith(() => undefined);
		const { classified } = await attempt(smtpSettingsFor(server), 'not an address <>');
		expect(classified!.kind).toBe('permanent');
		expect(server.messages).toHaveLength(0);
	});
});

describe('classifySendError rules', () => {
	const conn = (extra: object) =>
		Object.assign(
			new Error('Connection closed unexpectedly'),
			{ code: 'ECONNECTION', command: 'CONN' },
			extra,
		);

	it('a lost connection without a known stage is unknown (the safe side)', () => {
		expect(classifySendError(conn({})).kind).toBe('unknown');
		expect(classifySendError(conn({}), 'data-started').kind).toBe('retryable');
		expect(classifySendError(conn({}), 'before-data').kind).toBe('retryable');
	});

	it('ECONNRESET during the greeting and connect timeouts are retryable whatever the stage', () => {
		expect(
			classifySendError(conn({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), 'data-sent').kind,
		).toBe('retryable');
		expect(
			classifySendError(conn({ code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }), 'data-sent')
				.kind,
		).toBe('retryable');
		expect(
			classifySendError(conn({ code: 'ESOCKET', originalCode: 'ECONNRESET' }), 'before-data').kind,
		).toBe('retryable');
	});

	it('a 5xx greeting stops the run; a 4xx greeting is retried', () => {
		const greeting = (code: number) =>
			Object.assign(new Error('Invalid greeting'), {
				code: 'EPROTOCOL',
				command: 'CONN',
				responseCode: code,
				response: `${code} mail.example.com no service for you`,
			});
		expect(classifySendError(greeting(554), 'before-data')).toMatchObject({ kind: 'fatal' });
		expect(classifySendError(greeting(421), 'before-data')).toMatchObject({ kind: 'retryable' });
	});

	it('503 is retryable (session state, not the message)', () => {
		const error = Object.assign(new Error('x'), {
			code: 'EENVELOPE',
			command: 'RCPT TO',
			responseCode: 503,
			response: '503 5.5.1 Bad sequence',
		});
		expect(classifySendError(error, 'before-data').kind).toBe('retryable');
	});

	it('a resolver failure other than "not found" is retryable', () => {
		const error = Object.assign(new Error('queryA ETIMEOUT'), {
			code: 'EDNS',
			originalCode: 'ETIMEOUT',
			command: 'CONN',
		});
		expect(classifySendError(error).kind).toBe('retryable');
	});

	it('an error without a code (message could not be built) is permanent', () => {
		expect(classifySendError(new Error('Invalid header')).kind).toBe('permanent');
	});

	it('reads enhanced status codes', () => {
		expect(enhancedStatusOf('550 5.1.1 <a@b> No such user')).toBe('5.1.1');
		expect(enhancedStatusOf('451-4.7.1 Try later')).toBe('4.7.1');
		expect(enhancedStatusOf('550 No such user')).toBeNull();
		expect(enhancedStatusOf(undefined)).toBeNull();
	});
});
