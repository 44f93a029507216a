import net from 'node:net';
import {
	createPooledTransport,
	describeConnectionError,
	validateSmtpSettings,
	verifySmtp,
	SmtpSettingsError,
} from '../../../lib/send/transport';
import type { SmtpSettings } from '../../../lib/send/transport';
import { parseMessage, smtpSettingsFor, smtpServersClosedAfterAll } from '../../helpers/smtp';
import { testCertificates } from '../../helpers/smtpCerts';

jest.setTimeout(30_000);

const server = smtpServersClosedAfterAll();

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
	return new Promise((resolve) => {
		const probe = net.createServer();
		probe.listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}

describe('validateSmtpSettings', () => {
	const base: SmtpSettings = { host: 'smtp.example.com', port: 587, security: 'starttls' };

	it('accepts sound settings without warnings', () => {
		expect(validateSmtpSettings(base)).toEqual([]);
	});

	it('warns about plain text, naming the password when one is set', () => {
		const warnings = validateSmtpSettings({ ...base, security: 'none', user: 'u', password: 'p' });
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(/unencrypted/);
		expect(warnings[0]).toMatch(/password/);
	});

	it('warns when certificate checks are off and when the port does not fit the mode', () => {
		expect(validateSmtpSettings({ ...base, allowSelfSigned: true })[0]).toMatch(
			/not authenticated/,
		);
		expect(validateSmtpSettings({ ...base, port: 465 })[0]).toMatch(/465.*"tls"/);
		expect(validateSmtpSettings({ ...base, security: 'tls', port: 587 })[0]).toMatch(/"starttls"/);
	});

	it.each([
		[{ host: '' }, /host is empty/],
		[{ host: 'smtp://mail.example.com' }, /not a host name/],
		[{ port: 0 }, /port "0"/],
		[{ port: 70000 }, /port "70000"/],
		[{ security: 'ssl' as never }, /security "ssl"/],
		[{ minTlsVersion: 'TLSv1.1' as never }, /TLSv1.1/],
		[{ password: 'secret' }, /without a user/],
		[{ dkim: { domainName: 'example.com', keySelector: '', privateKey: 'x' } }, /DKIM needs/],
		[
			{ dkim: { domainName: 'example.com', keySelector: 's1', privateKey: 'not a key' } },
			/PEM RSA/,
		],
		[{ pool: { maxConnections: 0 } }, /maxConnections/],
	])('rejects %j', (patch, message) => {
		expect(() => validateSmtpSettings({ ...base, ...patch })).toThrow(SmtpSettingsError);
		expect(() => validateSmtpSettings({ ...base, ...patch })).toThrow(message);
	});

	it('never puts the password in an error', () => {
		try {
			validateSmtpSettings({ ...base, port: -1, user: 'u', password: 'hunter2-secret' });
			throw new Error('should have thrown');
		} catch (error) {
			expect((error as Error).message).not.toContain('hunter2-secret');
		}
	});
});

describe('verifySmtp (credential test)', () => {
	it('passes over STARTTLS with authentication, verifying the certificate against a CA', async () => {
		const srv = await server({ security: 'starttls', auth: { user: 'mailer', pass: 's3cret' } });
		const result = await verifySmtp(
			smtpSettingsFor(srv, { security: 'starttls', user: 'mailer', password: 's3cret' }),
		);
		expect(result).toMatchObject({ ok: true, warnings: [] });
		expect(result.message).toMatch(/STARTTLS.*authenticated as "mailer"/);
	});

	it('passes with TLS on connect', async () => {
		const srv = await server({ security: 'tls' });
		const result = await verifySmtp(smtpSettingsFor(srv, { security: 'tls' }));
		expect(result.ok).toBe(true);
		expect(result.message).toMatch(/over TLS \(TLS\)/);
	});

	it('reports a wrong password as an authentication failure, without the password', async () => {
		const srv = await server({ security: 'starttls', auth: { user: 'mailer', pass: 's3cret' } });
		const result = await verifySmtp(
			smtpSettingsFor(srv, { security: 'starttls', user: 'mailer', password: 'wrong-pass-123' }),
		);
		expect(result.ok).toBe(false);
		expect(result.reason).toBe('auth');
		expect(result.message).toMatch(/^Authentication failed for user "mailer"/);
		expect(result.message).toContain('535');
		expect(result.message).not.toContain('wrong-pass-123');
		expect(srv.stats.authFailures).toBe(1);
	});

	it('reports an unknown host', async () => {
		const result = await verifySmtp({
			host: 'no-such-host.invalid',
			port: 587,
			security: 'starttls',
			timeouts: { dnsMs: 5000 },
		});
		expect(result).toMatchObject({ ok: false, reason: 'host-not-found' });
		expect(result.message).toBe(
			'Host not found: "no-such-host.invalid" does not resolve (check the host name).',
		);
	});

	it('reports a refused connection', async () => {
		const port = await closedPort();
		const result = await verifySmtp({ host: '127.0.0.1', port, security: 'starttls' });
		expect(result).toMatchObject({ ok: false, reason: 'connection-refused' });
		expect(result.message).toContain(`Connection refused by 127.0.0.1:${port}`);
	});

	it('fails a self-signed certificate, and passes it only with allowSelfSigned', async () => {
		const srv = await server({ security: 'tls', cert: testCertificates().selfSigned });
		const strict = await verifySmtp(smtpSettingsFor(srv, { security: 'tls' }));
		expect(strict).toMatchObject({ ok: false, reason: 'tls' });
		expect(strict.message).toMatch(
			/^TLS handshake failed with 127\.0\.0\.1:\d+: the server certificate is self-signed/,
		);
		expect(strict.message).not.toContain('BEGIN');

		const relaxed = await verifySmtp(
			smtpSettingsFor(srv, { security: 'tls', allowSelfSigned: true }),
		);
		expect(relaxed.ok).toBe(true);
		expect(relaxed.warnings.join(' ')).toMatch(/not authenticated/);
	});

	it('fails a certificate from an untrusted CA when no CA is given', async () => {
		const srv = await server({ security: 'starttls' });
		const result = await verifySmtp(
			smtpSettingsFor(srv, { security: 'starttls', caCertificates: undefined }),
		);
		expect(result).toMatchObject({ ok: false, reason: 'tls' });
		expect(result.message).toMatch(/not signed by a trusted certificate authority/);
	});

	it('fails STARTTLS when the server does not offer it', async () => {
		const srv = await server({ security: 'none' });
		const result = await verifySmtp(smtpSettingsFor(srv, { security: 'starttls' }));
		expect(result).toMatchObject({ ok: false, reason: 'tls' });
		expect(result.message).toMatch(/refused STARTTLS/);
	});

	it('explains TLS on connect against a plain port', async () => {
		const srv = await server({ security: 'none' });
		const result = await verifySmtp(smtpSettingsFor(srv, { security: 'tls' }));
		expect(result).toMatchObject({ ok: false, reason: 'tls' });
		expect(result.message).toMatch(/did not answer with TLS.*"starttls"/);
	});

	it('applies the minimum TLS version', async () => {
		const srv = await server({ security: 'tls', maxTlsVersion: 'TLSv1.2' });
		expect((await verifySmtp(smtpSettingsFor(srv, { security: 'tls' }))).ok).toBe(true);
		const result = await verifySmtp(
			smtpSettingsFor(srv, { security: 'tls', minTlsVersion: 'TLSv1.3' }),
		);
		expect(result).toMatchObject({ ok: false, reason: 'tls' });
		expect(result.message).toMatch(/share no TLS version \(minimum accepted: TLSv1\.3\)/);
	});

	it('reports invalid settings without connecting', async () => {
		const result = await verifySmtp({ host: 'x', port: 0, security: 'none' });
		expect(result).toMatchObject({ ok: false, reason: 'settings' });
	});

	it('maps a timeout before the greeting to a hint about the security mode', () => {
		const error = Object.assign(new Error('Greeting never received'), {
			code: 'ETIMEDOUT',
			timeoutType: 'GREETING_TIMEOUT',
			command: 'CONN',
		});
		const described = describeConnectionError(error, {
			host: 'h',
			port: 465,
			security: 'starttls',
		});
		expect(described.reason).toBe('timeout');
		expect(described.message).toMatch(/No answer from h:465 in time.*"tls"/);
	});
});

describe('createPooledTransport', () => {
	it('sends over TLS 1.2+ and refuses to read local files named in a message', async () => {
		const srv = await server({ security: 'starttls' });
		const transport = createPooledTransport(smtpSettingsFor(srv, { security: 'starttls' }));
		try {
			const info = await transport.sendMail({
				from: 'sender@example.com',
				to: 'reader@example.org',
				subject: 'hello',
				text: 'body',
			});
			expect(info.accepted).toEqual(['reader@example.org']);
			await expect(
				transport.sendMail({
					from: 'sender@example.com',
					to: 'reader@example.org',
					subject: 'file',
					text: 'x',
					attachments: [{ path: '/etc/passwd' }],
				}),
			).rejects.toMatchObject({ originalCode: 'EFILEACCESS' });
			await expect(
				transport.sendMail({
					from: 'sender@example.com',
					to: 'reader@example.org',
					subject: 'url',
					html: { path: 'http://127.0.0.1:1/x' },
				}),
			).rejects.toMatchObject({ originalCode: 'EURLACCESS' });
		} finally {
			transport.close();
		}
		expect(srv.messages).toHaveLength(1);
		expect(srv.messages[0].secure).toBe(true);
		expect(['TLSv1.2', 'TLSv1.3']).toContain(srv.messages[0].tlsProtocol);
		const parsed = await parseMessage(srv.messages[0]);
		expect(parsed.subject).toBe('hello');
	});

	it('keeps the sandbox even when a message asks to open it', async () => {
		const srv = await server({});
		const transport = createPooledTransport(smtpSettingsFor(srv), { disableFileAccess: false });
		try {
			await expect(
				transport.sendMail({
					from: 'a@example.com',
					to: 'b@example.org',
					text: 'x',
					disableFileAccess: false,
					attachments: [{ path: '/etc/hostname' }],
				} as never),
			).rejects.toMatchObject({ originalCode: 'EFILEACCESS' });
		} finally {
			transport.close();
		}
	});

	it('uses one pooled connection for many messages', async () => {
		const srv = await server({});
		const transport = createPooledTransport(smtpSettingsFor(srv, { pool: { maxConnections: 1 } }));
		try {
			await Promise.all(
				Array.from({ length: 20 }, (_, i) =>
					transport.sendMail({ from: 'a@example.com', to: `r${i}@example.org`, text: 'x' }),
				),
			);
		} finally {
			transport.close();
		}
		expect(srv.messages).toHaveLength(20);
		expect(srv.stats.connections).toBe(1);
	});
});
