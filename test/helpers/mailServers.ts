/**
 * A private Postfix and a private Dovecot for the bounce-mailbox tests: real mail servers that
 * accept a campaign, bounce part of it *after* accepting it, and deliver the bounces into an IMAP
 * mailbox. Both run as root without systemd, each from its own config folder under a temp dir and
 * on free loopback ports, so they never touch the machine's own mail setup.
 *
 *   test ──SMTP──► Postfix (accepts every @lists.test address)
 *                    └─LMTP─► Dovecot: alice/bob/carol delivered; unknown users → 550 5.1.1;
 *                                      `full` over quota → 552 5.2.2
 *                  Postfix's bounce daemon ──LMTP─► Dovecot mailbox `bounces` (IMAP over TLS)
 *
 * `npm test` installs the Debian packages (scripts/services.js); this helper fails — never
 * skips — when a server cannot start, with the server's own log in the error.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, openSync, readdirSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import type { MailboxSettings } from '../../lib/mailbox';
import { testCertificates } from './smtpCerts';
import { freePort } from './services';

export const RECIPIENT_DOMAIN = 'lists.test';
export const BOUNCE_DOMAIN = 'bounce.test';
/** Mailboxes that exist and accept mail. */
export const GOOD_USERS = ['alice', 'bob', 'carol'] as const;
/** A mailbox that exists but is over its quota (Dovecot answers 552 5.2.2). */
export const FULL_USER = 'full';
/** The mailbox the bounces are delivered to, read over IMAP. */
export const BOUNCE_USER = 'bounces';

export interface MailServers {
	/** Postfix's SMTP listener (plain SMTP on loopback: the sending side of the test). */
	smtp: { host: string; port: number };
	/** Dovecot's IMAP over TLS (implicit TLS, self-signed certificate). */
	imap: { host: string; port: number; user: string; password: string; certificate: string };
	/** The address bounces go to; VERP addresses are `bounces+<token>@bounce.test`. */
	bounceAddress: string;
	postfixLog(): string;
	dovecotLog(): string;
	/** Messages delivered into a local user's INBOX (read from the maildir, not over IMAP). */
	deliveredCount(user: string): number;
	stop(): Promise<void>;
}

const POSTFIX = '/usr/sbin/postfix';
const DOVECOT = '/usr/sbin/dovecot';
const MAIL_UID = 8; // Debian's `mail` user owns the mailboxes (Dovecot refuses to deliver as root)

function requireRoot(): void {
	if (typeof process.getuid === 'function' && process.getuid() !== 0) {
		throw new Error('The private Postfix and Dovecot need root (they change to their own users); run the tests as root.');
	}
	for (const [label, file, pkg] of [
		['Postfix', POSTFIX, 'postfix'],
		['Dovecot', DOVECOT, 'dovecot-imapd dovecot-lmtpd'],
	]) {
		if (!existsSync(file)) throw new Error(`${label} (${file}) is missing: run \`npm run services\`, which installs ${pkg}.`);
	}
}

function systemUserId(name: string): number {
	return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
}

function portAnswers(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ host: '127.0.0.1', port });
		socket.setTimeout(1000, () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', () => resolve(false));
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
	});
}

async function waitForPorts(label: string, ports: number[], log: () => string): Promise<void> {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const answers = await Promise.all(ports.map(portAnswers));
		if (answers.every(Boolean)) return;
		if (Date.now() > deadline) {
			throw new Error(`${label} did not start listening on 127.0.0.1:${ports.join(', ')} within 20 s. Its log:\n${log()}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

function readIfThere(file: string): string {
	return existsSync(file) ? readFileSync(file, 'utf8') : '(no log written)';
}

interface DovecotPorts {
	imaps: number;
	lmtp: number;
}

function writeDovecotConfig(dir: string, ports: DovecotPorts, password: string): string {
	const certificates = testCertificates();
	const mail = join(dir, 'mail');
	for (const sub of ['run', 'state']) mkdirSync(join(dir, sub), { recursive: true });
	mkdirSync(mail, { recursive: true });
	chownSync(mail, MAIL_UID, MAIL_UID);
	writeFileSync(join(dir, 'server.crt'), certificates.selfSigned.cert);
	writeFileSync(join(dir, 'server.key'), certificates.selfSigned.key, { mode: 0o600 });
	// IMAP logins: only the bounce mailbox. LMTP looks users up in `users`, where `full` has a
	// quota no message fits in.
	const passwd = join(dir, 'passwd');
	writeFileSync(passwd, `${BOUNCE_USER}:{PLAIN}${password}\n`, { mode: 0o600 });
	chownSync(passwd, systemUserId('dovecot'), 0); // Dovecot's auth process reads it as `dovecot`
	const users = [...GOOD_USERS, BOUNCE_USER].map((user) => `${user}:::::::\n`).join('');
	writeFileSync(join(dir, 'users'), `${users}${FULL_USER}:::::::userdb_quota_rule=*:storage=1B\n`);
	const config = join(dir, 'dovecot.conf');
	writeFileSync(
		config,
		`# Private Dovecot for the bulk-mail bounce tests (written by test/helpers/mailServers.ts)
instance_name = bulkmail-test-${ports.imaps}
protocols = imap lmtp
listen = 127.0.0.1
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
info_log_path = ${join(dir, 'dovecot.log')}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = ${MAIL_UID}
ssl = required
ssl_cert = <${join(dir, 'server.crt')}
ssl_key = <${join(dir, 'server.key')}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
auth_username_format = %Ln
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
mail_location = maildir:${mail}/%n
mail_plugins = quota
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${join(dir, 'passwd')}
}
userdb {
  driver = passwd-file
  args = username_format=%n ${join(dir, 'users')}
  default_fields = uid=${MAIL_UID} gid=${MAIL_UID} home=${mail}/%n
}
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=1G
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${ports.lmtp}
  }
}
`,
	);
	return config;
}

const MASTER_CF_SERVICES = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

function writePostfixConfig(dir: string, smtpPort: number, lmtpPort: number): void {
	mkdirSync(dir, { recursive: true });
	writeFileSync(
		join(dir, 'main.cf'),
		`# Private Postfix for the bulk-mail bounce tests (written by test/helpers/mailServers.ts)
compatibility_level = 3.6
queue_directory = ${join(dir, 'spool')}
data_directory = ${join(dir, 'data')}
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bulkmail-test
maillog_file = ${join(dir, 'maillog')}
maillog_file_prefixes = ${dir}
myhostname = mta.bulkmail.test
mydomain = bulkmail.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
# Every address at the recipient domain is accepted at RCPT (no mailbox map): Dovecot decides at
# delivery, so unknown users and full mailboxes bounce after the message was accepted.
virtual_mailbox_domains = ${RECIPIENT_DOMAIN} ${BOUNCE_DOMAIN}
virtual_mailbox_maps =
virtual_transport = lmtp:inet:127.0.0.1:${lmtpPort}
recipient_delimiter = +
delay_warning_time = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtputf8_enable = no
biff = no
`,
	);
	writeFileSync(
		join(dir, 'master.cf'),
		`127.0.0.1:${smtpPort} inet n - n - - smtpd\n${MASTER_CF_SERVICES}`,
	);
}

/**
 * Runs a server's control command. Its output goes to a file, not a pipe: the daemons it starts
 * inherit the descriptors, and a pipe held open by a daemon would block us forever.
 */
function run(command: string, args: string[], outputFile: string): void {
	const fd = openSync(outputFile, 'a');
	try {
		execFileSync(command, args, { stdio: ['ignore', fd, fd] });
	} catch (error) {
		throw new Error(`\`${command} ${args.join(' ')}\` failed (${(error as Error).message.split('\n')[0]}):\n${readIfThere(outputFile)}`);
	} finally {
		closeSync(fd);
	}
}

/** Starts Dovecot, then Postfix; stops whatever started if the other fails. */
export async function startMailServers(): Promise<MailServers> {
	requireRoot();
	const root = mkdtempSync(join(tmpdir(), 'bulk-mail-mta-'));
	// The servers' own users (postfix, dovecot, mail) must reach their folders inside.
	chmodSync(root, 0o755);
	const [smtpPort, imapsPort, lmtpPort] = [await freePort(), await freePort(), await freePort()];
	const password = `imap-${Math.random().toString(36).slice(2)}`;
	const dovecotDir = join(root, 'dovecot');
	const postfixDir = join(root, 'postfix');
	mkdirSync(dovecotDir);
	const dovecotConfig = writeDovecotConfig(dovecotDir, { imaps: imapsPort, lmtp: lmtpPort }, password);
	writePostfixConfig(postfixDir, smtpPort, lmtpPort);
	const dovecotLog = () => readIfThere(join(dovecotDir, 'dovecot.log'));
	const postfixLog = () => readIfThere(join(postfixDir, 'maillog'));
	const controlLog = join(root, 'control.log');

	let dovecotStarted = false;
	let postfixStarted = false;
	const stop = async () => {
		if (postfixStarted) {
			postfixStarted = false;
			try {
				run(POSTFIX, ['-c', postfixDir, 'stop'], controlLog);
			} catch {
				// already gone
			}
		}
		if (dovecotStarted) {
			dovecotStarted = false;
			try {
				run(DOVECOT, ['-c', dovecotConfig, 'stop'], controlLog);
			} catch {
				// already gone
			}
		}
		// Give the masters a moment to exit before their folders go.
		await new Promise((resolve) => setTimeout(resolve, 300));
		rmSync(root, { recursive: true, force: true });
	};

	try {
		try {
			run(DOVECOT, ['-c', dovecotConfig], controlLog);
		} catch (error) {
			throw new Error(`Dovecot did not start: ${(error as Error).message}\n${dovecotLog()}`);
		}
		dovecotStarted = true;
		await waitForPorts('Dovecot', [imapsPort, lmtpPort], dovecotLog);
		try {
			// `check` creates the queue folders with Postfix's owners; then start the master.
			mkdirSync(join(postfixDir, 'spool'));
			run(POSTFIX, ['-c', postfixDir, 'check'], controlLog);
			run(POSTFIX, ['-c', postfixDir, 'start'], controlLog);
		} catch (error) {
			throw new Error(`Postfix did not start: ${(error as Error).message}\n${postfixLog()}`);
		}
		postfixStarted = true;
		await waitForPorts('Postfix', [smtpPort], postfixLog);
	} catch (error) {
		await stop();
		throw error;
	}

	return {
		smtp: { host: '127.0.0.1', port: smtpPort },
		imap: {
			host: '127.0.0.1',
			port: imapsPort,
			user: BOUNCE_USER,
			password,
			certificate: testCertificates().selfSigned.cert,
		},
		bounceAddress: `${BOUNCE_USER}@${BOUNCE_DOMAIN}`,
		postfixLog,
		dovecotLog,
		deliveredCount: (user) => {
			const inbox = join(dovecotDir, 'mail', user);
			return ['new', 'cur'].reduce((sum, sub) => sum + (existsSync(join(inbox, sub)) ? readdirSync(join(inbox, sub)).length : 0), 0);
		},
		stop,
	};
}

/** Engine settings for the bounce mailbox (the test certificate is self-signed, so allowed here). */
export function bounceMailboxSettings(servers: MailServers, overrides: Partial<MailboxSettings> = {}): MailboxSettings {
	return {
		host: servers.imap.host,
		port: servers.imap.port,
		security: 'tls',
		user: servers.imap.user,
		password: servers.imap.password,
		allowSelfSigned: true,
		folder: 'INBOX',
		processedFolder: 'Processed',
		unreadableFolder: 'Unreadable',
		maxMessages: 100,
		maxMessageBytes: 1024 * 1024,
		...overrides,
	};
}

/** An IMAP session on the bounce mailbox that trusts the test certificate (for setting up and checking). */
export async function openBounceMailbox(servers: MailServers): Promise<ImapFlow> {
	const client = new ImapFlow({
		host: servers.imap.host,
		port: servers.imap.port,
		secure: true,
		auth: { user: servers.imap.user, pass: servers.imap.password },
		tls: { ca: [servers.imap.certificate], servername: 'localhost' },
		logger: false,
		disableAutoIdle: true,
	});
	client.on('error', () => undefined);
	await client.connect();
	return client;
}

/** Message count of each folder (0 for a folder that does not exist yet). */
export async function folderCounts(servers: MailServers, folders: string[]): Promise<Record<string, number>> {
	const client = await openBounceMailbox(servers);
	try {
		const existing = new Set((await client.list()).map((entry) => entry.path));
		const counts: Record<string, number> = {};
		for (const folder of folders) {
			const status = existing.has(folder) ? await client.status(folder, { messages: true }) : false;
			counts[folder] = status ? (status.messages ?? 0) : 0;
		}
		return counts;
	} finally {
		await client.logout();
	}
}

/** Waits until `check` holds for the folder counts; fails with the counts and the MTA log. */
export async function waitForFolders(
	servers: MailServers,
	folders: string[],
	check: (counts: Record<string, number>) => boolean,
	timeoutMs = 60_000,
): Promise<Record<string, number>> {
	const deadline = Date.now() + timeoutMs;
	let counts = await folderCounts(servers, folders);
	while (!check(counts)) {
		if (Date.now() > deadline) {
			throw new Error(`Mailbox folders did not reach the expected counts within ${timeoutMs} ms: ${JSON.stringify(counts)}\nPostfix log:\n${servers.postfixLog().slice(-4000)}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
		counts = await folderCounts(servers, folders);
	}
	return counts;
}

/** Every message of a folder, whole, oldest first. */
export async function folderMessages(servers: MailServers, folder: string): Promise<Buffer[]> {
	const client = await openBounceMailbox(servers);
	try {
		const lock = await client.getMailboxLock(folder);
		try {
			const messages: Buffer[] = [];
			for await (const message of client.fetch('1:*', { source: true })) {
				if (message.source) messages.push(message.source);
			}
			return messages;
		} finally {
			lock.release();
		}
	} finally {
		await client.logout();
	}
}

/** Puts a message into a folder (IMAP APPEND), as another mail client or a redelivery would. */
export async function appendMessage(servers: MailServers, folder: string, source: Buffer | string): Promise<void> {
	const client = await openBounceMailbox(servers);
	try {
		await client.append(folder, source);
	} finally {
		await client.logout();
	}
}
