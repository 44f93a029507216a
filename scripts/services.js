'use strict';
/**
 * Makes sure the machine services the test suite talks to are there: PostgreSQL on
 * 127.0.0.1:5432, Redis on 127.0.0.1:6379, Postfix (its smtp-sink, and the MTA itself for the
 * bounce tests), Dovecot (IMAP and LMTP), Debian's chromium (and a CJK font for its
 * screenshots) and the cached n8n runtime. The bounce tests start their own private Postfix and
 * Dovecot instances (test/helpers/mailServers.ts); here we only install the packages and check
 * that both can run. Starts or installs what is missing with the machine's own commands and throws a
 * clear error when something still cannot be reached — the suite never silently skips.
 */
const { execFileSync, execSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

const PG_HOST = process.env.PGHOST_TEST || '127.0.0.1';
const PG_PORT = Number(process.env.PGPORT_TEST || 5432);
const REDIS_HOST = process.env.REDIS_HOST_TEST || '127.0.0.1';
const REDIS_PORT = Number(process.env.REDIS_PORT_TEST || 6379);

const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const START_REDIS =
	'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
	'--dir /var/lib/redis --logfile /var/log/redis/ci.log';

function log(message) {
	process.stderr.write(`[services] ${message}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `request` over TCP and resolves with what the server answers first (or rejects). */
function tcpExchange(host, port, request, timeoutMs = 2000) {
	return new Promise((resolve, reject) => {
		const socket = net.connect({ host, port });
		const fail = (error) => {
			socket.destroy();
			reject(error);
		};
		socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${host}:${port}`)));
		socket.once('error', fail);
		socket.once('connect', () => {
			if (request) socket.write(request);
			else {
				socket.end();
				resolve('');
			}
		});
		socket.once('data', (data) => {
			socket.end();
			resolve(data.toString('latin1'));
		});
	});
}

async function postgresAnswers() {
	// An SSLRequest: a live PostgreSQL answers with a single 'S' or 'N' byte.
	const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
	try {
		const answer = await tcpExchange(PG_HOST, PG_PORT, sslRequest);
		return answer === 'S' || answer === 'N';
	} catch {
		return false;
	}
}

async function redisAnswers() {
	try {
		return (await tcpExchange(REDIS_HOST, REDIS_PORT, 'PING\r\n')).startsWith('+PONG');
	} catch {
		return false;
	}
}

async function waitFor(check, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (await check()) return true;
		await sleep(500);
	}
	return check();
}

async function ensureService(name, check, startCommand, where) {
	if (await check()) return;
	log(`${name} is not answering on ${where}; starting it: ${startCommand}`);
	try {
		execSync(startCommand, { stdio: 'inherit', shell: '/bin/bash' });
	} catch (error) {
		log(`starting ${name} failed: ${error.message}`);
	}
	if (!(await waitFor(check, 30_000))) {
		throw new Error(
			`${name} cannot be reached on ${where}, even after running \`${startCommand}\`. ` +
				'The tests need it; start it and run again.',
		);
	}
	log(`${name} is up on ${where}`);
}

function findExecutable(candidates) {
	return candidates.find((file) => fs.existsSync(file));
}

function aptLocked() {
	try {
		execFileSync('fuser', ['/var/lib/dpkg/lock-frontend'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

async function aptInstall(packages) {
	// Another apt run (e.g. one started by hand) holds the lock: wait for it rather than fail.
	const deadline = Date.now() + 15 * 60_000;
	while (aptLocked() && Date.now() < deadline) await sleep(3000);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const install = () =>
		execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
			stdio: 'inherit',
			env,
		});
	try {
		install();
	} catch {
		execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
		install();
	}
}

async function ensureDebianTool(label, candidates, packages) {
	if (findExecutable(candidates)) return findExecutable(candidates);
	log(`${label} is missing; installing Debian package(s) ${packages.join(' ')}`);
	try {
		if (packages.includes('postfix')) {
			// Postfix asks how to deliver mail; the tests run private instances with their own config.
			execSync(
				'echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections',
				{ stdio: 'inherit', shell: '/bin/bash' },
			);
		}
		await aptInstall(packages);
	} catch (error) {
		throw new Error(
			`${label} is missing and \`apt-get install ${packages.join(' ')}\` failed (${error.message}). ` +
				'Install it (as root) and run again.',
		);
	}
	const found = findExecutable(candidates);
	if (!found) throw new Error(`${label} is still missing after installing ${packages.join(' ')}`);
	return found;
}

const SMTP_SINK = ['/usr/sbin/smtp-sink', '/usr/bin/smtp-sink'];
const POSTFIX = ['/usr/sbin/postfix'];
const DOVECOT = ['/usr/sbin/dovecot'];
const DOVECOT_LMTP = ['/usr/lib/dovecot/lmtp'];
const DOVECOT_IMAP = ['/usr/lib/dovecot/imap'];
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
// The browser tests' screenshots (docs/screenshots) show the Japanese report page: without a CJK
// font Chromium draws every kana and kanji as an empty box.
const CJK_FONT = ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'];

/**
 * Postfix and Dovecot are installed, and each one's configuration checker runs: a broken install
 * fails here, before a test tries to start a private instance. The Debian packages do not start
 * the system-wide daemons in a container without an init system, and the tests need them not to.
 */
async function ensureMailServers() {
	await ensureDebianTool('Postfix', POSTFIX, ['postfix']);
	await ensureDebianTool('Dovecot', DOVECOT, ['dovecot-core']);
	await ensureDebianTool('Dovecot IMAP', DOVECOT_IMAP, ['dovecot-imapd']);
	await ensureDebianTool('Dovecot LMTP', DOVECOT_LMTP, ['dovecot-lmtpd']);
	for (const [label, command, args] of [
		['Postfix', '/usr/sbin/postconf', ['-d', 'mail_version']],
		['Dovecot', DOVECOT[0], ['--version']],
	]) {
		try {
			execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
		} catch (error) {
			throw new Error(`${label} is installed but \`${command} ${args.join(' ')}\` fails: ${error.stderr || error.message}`);
		}
	}
}

/** PostgreSQL and Redis only (what the benchmarks need). */
async function ensureDatabases() {
	await ensureService('PostgreSQL', postgresAnswers, START_POSTGRES, `${PG_HOST}:${PG_PORT}`);
	await ensureService('Redis', redisAnswers, START_REDIS, `${REDIS_HOST}:${REDIS_PORT}`);
}

async function ensureServices() {
	await ensureDatabases();
	const smtpSink = await ensureDebianTool("Postfix's smtp-sink", SMTP_SINK, ['postfix']);
	await ensureMailServers();
	const chromium = await ensureDebianTool('Chromium', CHROMIUM, ['chromium']);
	await ensureDebianTool('A Japanese font for the screenshots', CJK_FONT, ['fonts-noto-cjk']);
	const { ensureN8n, runtimeDir } = require('./n8n-runtime');
	ensureN8n();
	return { smtpSink, chromium, n8nRuntime: runtimeDir() };
}

module.exports = { ensureServices, ensureDatabases, ensureMailServers, postgresAnswers, redisAnswers, SMTP_SINK, CHROMIUM };

if (require.main === module) {
	ensureServices().then(
		(found) => log(`all services ready: ${JSON.stringify(found)}`),
		(error) => {
			process.stderr.write(`\n[services] FAILED: ${error.message}\n`);
			process.exit(1);
		},
	);
}
