import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

/**
 * Postfix's smtp-sink (Debian package "postfix"): a fast SMTP server that accepts and discards
 * mail, for benchmarks. Started on 127.0.0.1 and a free port; `messageCount()` reads the
 * counters it prints with -c.
 */
export interface SmtpSink {
	host: string;
	port: number;
	pid: number;
	/** Messages received so far (from smtp-sink's running counters). */
	messageCount(): number;
	stop(): Promise<void>;
}

export interface SmtpSinkOptions {
	/** Max simultaneous connections smtp-sink serves (its -m, default 256). */
	maxConcurrency?: number;
	/** Listen backlog. */
	backlog?: number;
	/** Extra smtp-sink arguments, e.g. ['-r', 'RCPT'] for soft rejects. */
	extraArgs?: string[];
}

const CANDIDATES = ['/usr/sbin/smtp-sink', '/usr/bin/smtp-sink', '/usr/lib/postfix/sbin/smtp-sink'];

/** The smtp-sink binary, or null when Postfix is not installed. */
export function findSmtpSink(): string | null {
	for (const path of CANDIDATES) if (existsSync(path)) return path;
	try {
		const found = execFileSync('which', ['smtp-sink'], { encoding: 'utf8' }).trim();
		return found || null;
	} catch {
		return null;
	}
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}

async function waitForGreeting(port: number, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const ok = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1');
			socket.setTimeout(500);
			socket.once('data', (chunk) => {
				socket.end('QUIT\r\n');
				resolve(chunk.toString().startsWith('220'));
			});
			socket.once('error', () => resolve(false));
			socket.once('timeout', () => {
				socket.destroy();
				resolve(false);
			});
		});
		if (ok) return;
		if (Date.now() > deadline)
			throw new Error(`smtp-sink did not answer on port ${port} within ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
	const binary = findSmtpSink();
	if (!binary) {
		throw new Error(
			'smtp-sink is not installed: install Debian\'s "postfix" package (apt-get install postfix).',
		);
	}
	const port = await freePort();
	const args = ['-c', '-m', String(options.maxConcurrency ?? 256), ...(options.extraArgs ?? [])];
	// smtp-sink refuses to run as root without a user to drop privileges to
	if (process.getuid?.() === 0) args.push('-u', 'nobody');
	args.push(`127.0.0.1:${port}`, String(options.backlog ?? 256));
	const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let count = 0;
	let stderr = '';
	let tail = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		tail = (tail + chunk.toString('latin1')).slice(-256);
		const matches = tail.match(/mesg=(\d+)/g);
		if (matches) count = Number(matches[matches.length - 1].slice(5));
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr = (stderr + chunk.toString()).slice(-2000);
	});
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	try {
		await Promise.race([
			waitForGreeting(port, 5000),
			exited.then(() => {
				throw new Error(`smtp-sink exited at start: ${stderr.trim()}`);
			}),
		]);
	} catch (error) {
		child.kill('SIGKILL');
		throw error;
	}
	return {
		host: '127.0.0.1',
		port,
		pid: child.pid!,
		messageCount: () => count,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
				await exited;
				clearTimeout(timer);
			}
		},
	};
}
