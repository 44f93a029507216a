import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type {
	SMTPServerAddress,
	SMTPServerAuthentication,
	SMTPServerAuthenticationResponse,
	SMTPServerDataStream,
	SMTPServerOptions,
	SMTPServerSession,
} from 'smtp-server';
import type { SmtpSettings } from '../../lib/send/transport';
import { testCertificates } from './smtpCerts';

/**
 * A capturing SMTP server (npm smtp-server) on 127.0.0.1 and an OS-chosen port, for tests that
 * look at what arrived: TLS on connect or STARTTLS with the test CA's certificate, optional
 * AUTH, and a `script` that decides per command what the server answers (a 4xx/5xx reply, a
 * dropped connection, no answer at all, a delay).
 */

export type SmtpStage = 'mail' | 'rcpt' | 'data';

export type ScriptAction =
	/** Refuse with this reply code (4xx or 5xx) and text. */
	| { reply: number; message?: string }
	/** Destroy the connection without answering. At 'data' this happens after the whole body (and its ".") was read. */
	| { drop: true }
	/** Never answer (the client's socket timeout fires). At 'data', after the body was read. */
	| { hang: true }
	/** Answer normally after a delay. */
	| { delayMs: number };

export interface ScriptContext {
	stage: SmtpStage;
	/** The sender at 'mail', the recipient at 'rcpt', the first recipient at 'data'. */
	address: string;
	/** Recipients accepted so far in this transaction. */
	recipients: string[];
	/** How many times this stage was reached for this address (1 = first time). */
	seen: number;
	session: SMTPServerSession;
}

export interface TestSmtpServerOptions {
	/** 'none' (default): plain, STARTTLS not offered; 'starttls': offered; 'tls': TLS on connect. */
	security?: 'none' | 'starttls' | 'tls';
	/** Key and certificate; the test CA's server certificate by default. */
	cert?: { key: string; cert: string };
	minTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
	maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
	/** When set, AUTH is required and only these credentials pass. */
	auth?: { user: string; pass: string };
	script?: (context: ScriptContext) => ScriptAction | undefined | void;
	/** Largest message accepted (bytes). */
	size?: number;
	/** Parse nothing, keep only counts and envelopes (fast, for many messages). */
	keepRaw?: boolean;
	/** Extra smtp-server options. */
	serverOptions?: Partial<SMTPServerOptions>;
}

export interface ReceivedMessage {
	/** Order of arrival, from 1. */
	seq: number;
	from: string;
	to: string[];
	/** The message as received (empty when keepRaw is false). */
	raw: Buffer;
	size: number;
	/** performance.now() when the final "." was read. */
	receivedAt: number;
	secure: boolean;
	/** Negotiated TLS protocol version, e.g. "TLSv1.3". */
	tlsProtocol: string | null;
	authUser: string | null;
}

export interface ScriptEvent {
	stage: SmtpStage;
	address: string;
	action: 'reply' | 'drop' | 'hang' | 'delay';
	reply?: number;
}

export interface TestSmtpServer {
	host: string;
	port: number;
	messages: ReceivedMessage[];
	/** Every scripted action taken, in order. */
	events: ScriptEvent[];
	stats: { connections: number; authFailures: number };
	/** Messages per recipient address. */
	byRecipient(): Map<string, ReceivedMessage[]>;
	/** Resolves once `count` messages arrived; rejects after `timeoutMs`. */
	waitForMessages(count: number, timeoutMs?: number): Promise<void>;
	close(): Promise<void>;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
	const error = new Error(message) as Error & { responseCode: number };
	error.responseCode = code;
	return error;
}

export async function startSmtpServer(
	options: TestSmtpServerOptions = {},
): Promise<TestSmtpServer> {
	const security = options.security ?? 'none';
	const keepRaw = options.keepRaw !== false;
	const messages: ReceivedMessage[] = [];
	const events: ScriptEvent[] = [];
	const stats = { connections: 0, authFailures: 0 };
	const seen = new Map<string, number>();
	const waiters: Array<{ count: number; resolve: () => void }> = [];
	const hanging = new Set<() => void>();
	let server: SMTPServer;

	const notify = () => {
		for (const waiter of [...waiters]) {
			if (messages.length >= waiter.count) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve();
			}
		}
	};

	const connectionOf = (session: SMTPServerSession) => {
		const connections = (
			server as unknown as {
				connections: Set<{ session?: SMTPServerSession; _socket?: { destroy(): void } }>;
			}
		).connections;
		for (const connection of connections) {
			if (connection.session === session || connection.session?.id === session.id)
				return connection;
		}
		return null;
	};

	// Applies the script; calls back (now or later) unless the action drops or hangs.
	const runScript = (
		stage: SmtpStage,
		address: string,
		session: SMTPServerSession,
		callback: (error?: Error | null) => void,
	): void => {
		const key = `${stage}:${address.toLowerCase()}`;
		const count = (seen.get(key) ?? 0) + 1;
		seen.set(key, count);
		const action = options.script?.({
			stage,
			address,
			recipients: (session.envelope?.rcptTo ?? []).map((rcpt) => rcpt.address),
			seen: count,
			session,
		});
		if (!action) return callback();
		if ('reply' in action) {
			events.push({ stage, address, action: 'reply', reply: action.reply });
			return callback(smtpError(action.reply, action.message ?? `Scripted ${action.reply} reply`));
		}
		if ('drop' in action) {
			events.push({ stage, address, action: 'drop' });
			connectionOf(session)?._socket?.destroy();
			return;
		}
		if ('hang' in action) {
			events.push({ stage, address, action: 'hang' });
			hanging.add(() => callback(smtpError(421, 'Server shutting down')));
			return;
		}
		events.push({ stage, address, action: 'delay' });
		setTimeout(() => callback(), action.delayMs);
	};

	const tls =
		security === 'none'
			? {}
			: {
					key: (options.cert ?? testCertificates().server).key,
					cert: (options.cert ?? testCertificates().server).cert,
					...(options.minTlsVersion ? { minVersion: options.minTlsVersion } : {}),
					...(options.maxTlsVersion ? { maxVersion: options.maxTlsVersion } : {}),
				};

	const disabledCommands: string[] = [];
	if (security === 'none') disabledCommands.push('STARTTLS');
	if (!options.auth) disabledCommands.push('AUTH');

	server = new SMTPServer({
		secure: security === 'tls',
		...tls,
		logger: false,
		disableReverseLookup: true,
		banner: 'bulk-mail test server',
		authOptional: !options.auth,
		allowInsecureAuth: true,
		disabledCommands,
		size: options.size,
		onConnect(_session, callback) {
			stats.connections++;
			callback();
		},
		onAuth(
			auth: SMTPServerAuthentication,
			_session: SMTPServerSession,
			callback: (
				error: Error | null | undefined,
				response?: SMTPServerAuthenticationResponse,
			) => void,
		) {
			if (
				options.auth &&
				auth.username === options.auth.user &&
				auth.password === options.auth.pass
			) {
				return callback(null, { user: auth.username });
			}
			stats.authFailures++;
			return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
		},
		onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback) {
			runScript('mail', address.address, session, callback);
		},
		onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback) {
			runScript('rcpt', address.address, session, callback);
		},
		onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
			const chunks: Buffer[] = [];
			let size = 0;
			stream.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (keepRaw) chunks.push(chunk);
			});
			stream.on('end', () => {
				const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
				runScript('data', to[0] ?? '', session, (error) => {
					if (error) return callback(error);
					if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
						return callback(smtpError(552, 'Message exceeds the size limit'));
					}
					const socket = connectionOf(session) as unknown as {
						_socket?: { getProtocol?: () => string | null };
					} | null;
					messages.push({
						seq: messages.length + 1,
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						to,
						raw: keepRaw ? Buffer.concat(chunks) : Buffer.alloc(0),
						size,
						receivedAt: performance.now(),
						secure: Boolean(session.secure),
						tlsProtocol: socket?._socket?.getProtocol?.() ?? null,
						authUser: typeof session.user === 'string' ? session.user : null,
					});
					notify();
					callback(null, 'Message queued as ' + messages.length);
				});
			});
		},
		...options.serverOptions,
	} as SMTPServerOptions);

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.removeListener('error', reject);
			resolve();
		});
	});
	// errors of single client sockets (resets by tests) must not fail the server
	server.on('error', () => undefined);
	const port = (server.server.address() as { port: number }).port;

	return {
		host: '127.0.0.1',
		port,
		messages,
		events,
		stats,
		byRecipient() {
			const map = new Map<string, ReceivedMessage[]>();
			for (const message of messages) {
				for (const rcpt of message.to) {
					const key = rcpt.toLowerCase();
					if (!map.has(key)) map.set(key, []);
					map.get(key)!.push(message);
				}
			}
			return map;
		},
		waitForMessages(count: number, timeoutMs = 5000) {
			if (messages.length >= count) return Promise.resolve();
			return new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => {
					waiters.splice(
						waiters.findIndex((w) => w.resolve === done),
						1,
					);
					reject(
						new Error(
							`Only ${messages.length} of ${count} messages arrived within ${timeoutMs} ms`,
						),
					);
				}, timeoutMs);
				const done = () => {
					clearTimeout(timer);
					resolve();
				};
				waiters.push({ count, resolve: done });
			});
		},
		async close() {
			for (const release of hanging) release();
			hanging.clear();
			const connections = (
				server as unknown as { connections: Set<{ _socket?: { destroy(): void } }> }
			).connections;
			for (const connection of connections) connection._socket?.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** Parses a received message (headers, text, html) with mailparser. */
export function parseMessage(message: ReceivedMessage | Buffer): Promise<ParsedMail> {
	return simpleParser(Buffer.isBuffer(message) ? message : message.raw);
}

/** SmtpSettings that reach the server (trusting the test CA for TLS). */
export function smtpSettingsFor(
	server: TestSmtpServer,
	overrides: Partial<SmtpSettings> = {},
): SmtpSettings {
	return {
		host: server.host,
		port: server.port,
		security: 'none',
		caCertificates: testCertificates().caCert,
		ehloName: 'sender.test',
		timeouts: { connectionMs: 5_000, greetingMs: 5_000, socketMs: 10_000 },
		...overrides,
	};
}

/**
 * A `startSmtpServer` for a test file whose servers all close after the file (jest `afterAll`),
 * so each file need not keep its own list.
 */
export function smtpServersClosedAfterAll(): (options?: TestSmtpServerOptions) => Promise<TestSmtpServer> {
	const servers: TestSmtpServer[] = [];
	afterAll(async () => {
		await Promise.all(servers.map((s) => s.close()));
	});
	return async (options = {}) => {
		const started = await startSmtpServer(options);
		servers.push(started);
		return started;
	};
}

/**
 * A `startSmtpServer` whose servers close after each test (jest `afterEach`); `defaults` go
 * under each call's options. Declare it before `storePerTest` to close the servers first.
 */
export function smtpServersClosedAfterEach(
	defaults: TestSmtpServerOptions = {},
): (options?: TestSmtpServerOptions) => Promise<TestSmtpServer> {
	const servers: TestSmtpServer[] = [];
	afterEach(async () => {
		await Promise.all(servers.splice(0).map((s) => s.close()));
	});
	return async (options = {}) => {
		const started = await startSmtpServer({ ...defaults, ...options });
		servers.push(started);
		return started;
	};
}
